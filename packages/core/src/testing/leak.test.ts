import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('memory', () => {
  it('10k forward/backward/AdamW iterations keep RSS flat (child process with --expose-gc)', () => {
    const script = fileURLToPath(new URL('./leak-check.ts', import.meta.url));
    const tsx = createRequire(import.meta.url).resolve('tsx');
    const out = execFileSync(
      process.execPath,
      ['--expose-gc', '--conditions=source', '--import', tsx, script, '10000'],
      {
        encoding: 'utf8',
        env: { ...process.env, AHA_NUM_THREADS: '1' },
        timeout: 120_000,
      },
    );
    const result = JSON.parse(out.trim().split('\n').pop()!);
    expect(result.gc).toBe(true);
    const mb = (bytes: number) => bytes / 2 ** 20;
    // A leak of one small tensor per iteration (≥ 64 bytes × 10k) would add ≥ 0.6 MB of array buffers.
    expect(mb(result.after.arrayBuffers - result.before.arrayBuffers)).toBeLessThan(0.25);
    expect(mb(result.after.rss - result.before.rss)).toBeLessThan(8);
  }, 150_000);
});
