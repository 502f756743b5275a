/**
 * The SIMD level settings (native/src/cpu.cc): AHA_SIMD picks portable | avx2 | avx512, AHA_DISABLE_SIMD=1 is an alias
 * of portable, and a value that is unknown, contradictory or beyond what this CPU supports makes the addon refuse to
 * load with a message naming the setting (never a silent fallback). Each case is a fresh process: the level is fixed
 * when the addon loads. Leaves out: whether the kernels at each level are right (packages/core/src/ops/*.test.ts).
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const native = require('../index.cjs') as { simdLevel(): string; simdLevels(): string[] };
const nativeDir = fileURLToPath(new URL('..', import.meta.url));
const LEVELS = ['portable', 'avx2', 'avx512'];

/** The child's level, or its load error as `error: <code> <message>`. */
function levelWith(env: Record<string, string>): string {
  const code = `try { console.log(require('./index.cjs').simdLevel()) } catch (e) { console.log('error:', e.code, e.message) }`;
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  if (!('AHA_SIMD' in env)) delete childEnv.AHA_SIMD;
  if (!('AHA_DISABLE_SIMD' in env)) delete childEnv.AHA_DISABLE_SIMD;
  return execFileSync(process.execPath, ['-e', code], { cwd: nativeDir, env: childEnv, encoding: 'utf8' }).trim();
}

describe('SIMD level', () => {
  const supported = native.simdLevels();

  it('lists the supported levels narrowest first, and uses the widest by default', () => {
    expect(supported[0]).toBe('portable');
    expect(supported).toEqual(LEVELS.slice(0, supported.length));
    expect(levelWith({})).toBe(supported[supported.length - 1]);
  });

  it.each(LEVELS)('AHA_SIMD=%s is used when the CPU supports it, else the addon refuses to load', (level) => {
    const got = levelWith({ AHA_SIMD: level });
    if (supported.includes(level)) expect(got).toBe(level);
    else expect(got).toMatch(new RegExp(`^error: AHA_SIMD_UNSUPPORTED .*AHA_SIMD=${level} but this CPU`));
  });

  it.each([
    [{ AHA_DISABLE_SIMD: '1' }, 'portable'],
    [{ AHA_DISABLE_SIMD: '1', AHA_SIMD: 'portable' }, 'portable'],
    [{ AHA_SIMD: 'sse' }, /^error: AHA_SIMD_UNSUPPORTED .*AHA_SIMD must be one of portable, avx2, avx512, got "sse"/],
    [{ AHA_DISABLE_SIMD: 'yes' }, /^error: AHA_SIMD_UNSUPPORTED .*AHA_DISABLE_SIMD must be 1 or 0, got "yes"/],
    [{ AHA_DISABLE_SIMD: '1', AHA_SIMD: 'avx2' }, /^error: AHA_SIMD_UNSUPPORTED .*AHA_DISABLE_SIMD=1 contradicts/],
  ] as Array<[Record<string, string>, string | RegExp]>)('%o gives %s', (env, expected) => {
    const got = levelWith(env);
    if (typeof expected === 'string') expect(got).toBe(expected);
    else expect(got).toMatch(expected);
  });
});
