import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('memory', () => {
  it('10k forward/backward/AdamW iterations keep RSS flat (child process with --expose-gc)', () => {
    const script = fileURLToPath(new URL('./leak-check.ts', import.meta.url));
    const tsx = createRequire(import.meta.url).resolve('tsx');
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', tsx, script, '10000'], {
      encoding: 'utf8',
      env: { ...process.env, AHA_NUM_THREADS: '1' },
      timeout: 120_000,
    });
    const result = JSON.parse(out.trim().split('\n').pop()!);
    expect(result.gc).toBe(true);
    const growthMb = (result.after - result.before) / 2 ** 20;
    expect(growthMb).toBeLessThan(4);
  }, 150_000);
});
