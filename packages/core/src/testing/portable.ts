/**
 * Runs code in a child process with one CPU kernel level forced (AHA_SIMD=portable|avx2|avx512 is read once per
 * process, so a test that wants several levels needs a process per level), and returns the JSON object the child
 * prints as its last stdout line. Test support: the kernels' level-vs-level checks use it. `simdLevelsToTest` lists
 * every level with whether this CPU can run it, so a test covers each level it can and prints a skip for the rest.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { type SimdLevel, simdLevels } from '../native.js';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

/** Every level, narrowest first. */
export const SIMD_LEVELS: readonly SimdLevel[] = ['portable', 'avx2', 'avx512'];

/** `[level, supported]` for every level: tests run `it.runIf(supported)` so a missing level shows as a skipped test. */
export function simdLevelsToTest(): Array<[SimdLevel, boolean]> {
  const supported = new Set(simdLevels());
  return SIMD_LEVELS.map((level) => [level, supported.has(level)]);
}

/**
 * `{ file }`: a TypeScript script (run through tsx); `{ code }`: inline JavaScript (`node -e`, from the repo root so
 * `require('@aha/native')` resolves). `env` adds variables (e.g. AHA_NUM_THREADS). A failing child throws with its
 * stderr (a level the CPU lacks fails to load the addon).
 */
export function runWithSimdLevel<T>(
  level: SimdLevel,
  script: { file: string } | { code: string },
  env: Record<string, string> = {},
): T {
  const args =
    'file' in script
      ? ['--conditions=source', '--import', createRequire(import.meta.url).resolve('tsx'), script.file]
      : ['-e', script.code];
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env, AHA_SIMD: level };
  delete childEnv.AHA_DISABLE_SIMD;
  const out = execFileSync(process.execPath, args, {
    cwd: repoRoot,
    encoding: 'utf8',
    env: childEnv,
    timeout: 60_000,
    maxBuffer: 64 * 2 ** 20,
  });
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as T;
}

/** `runWithSimdLevel('portable', ...)`: the plain C++ kernels on any CPU. */
export function runWithPortableKernels<T>(
  script: { file: string } | { code: string },
  env: Record<string, string> = {},
): T {
  return runWithSimdLevel<T>('portable', script, env);
}
