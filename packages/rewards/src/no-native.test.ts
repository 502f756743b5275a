/**
 * A reward plugin installs only @aha/rewards, which must not need the native addon: this runs the package (from
 * source, as a plugin author's script would) in a child process where every load of `@aha/native` or of any `.node`
 * file fails, then scores samples with the rule rewards and `verifyMath`. If any module of @aha/rewards reaches
 * @aha/core (and so the addon), the child exits with the loader's error.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('./index.ts', import.meta.url));

// Module hooks: refuse @aha/core, @aha/native and every .node binary, the way a machine without the addon would.
const hooks = `
export async function resolve(specifier, context, next) {
  if (/^@aha\\/(core|native)(\\/|$)/.test(specifier) || specifier.endsWith('.node')) {
    throw new Error('native addon unavailable: ' + specifier);
  }
  return next(specifier, context);
}`;

const script = (hooksUrl: string) => `
import { register } from 'node:module';
register(${JSON.stringify(hooksUrl)});
const r = await import(${JSON.stringify(entry)});
const samples = [{ prompt: '2+2?', completion: '<think>2+2=4</think>\\n<answer>4</answer>', solution: '4' }];
const [acc, fmt] = await r.scoreRewards([r.accuracyReward(), r.formatReward()], samples);
const v = await r.verifyMath('1/2', '\\\\boxed{0.5}');
console.log(JSON.stringify({ acc: acc.values, fmt: fmt.values, verdict: v.verdict }));
`;

describe('@aha/rewards without the native addon', () => {
  it('imports and scores with @aha/core and every .node file unloadable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aha-no-native-'));
    writeFileSync(join(dir, 'hooks.mjs'), hooks);
    writeFileSync(join(dir, 'main.mjs'), script(`file://${join(dir, 'hooks.mjs')}`));
    const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', join(dir, 'main.mjs')], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stderr).not.toMatch(/native addon unavailable/);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop() ?? '')).toEqual({ acc: [1], fmt: [1], verdict: 'equal' });
  });
});
