/**
 * Runs code in a child process with the portable kernels forced (AHA_DISABLE_SIMD=1 is read once per process, so a
 * test that wants both paths needs a second process), and returns the JSON object the child prints as its last
 * stdout line. Test support: the kernels' SIMD-vs-portable checks use it.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * `{ file }`: a TypeScript script (run through tsx); `{ code }`: inline JavaScript (`node -e`, from the repo root so
 * `require('@aha/native')` resolves). `env` adds variables (e.g. AHA_NUM_THREADS). A failing child throws with its
 * stderr.
 */
export function runWithPortableKernels<T>(
  script: { file: string } | { code: string },
  env: Record<string, string> = {},
): T {
  const args =
    'file' in script
      ? ['--conditions=source', '--import', createRequire(import.meta.url).resolve('tsx'), script.file]
      : ['-e', script.code];
  const out = execFileSync(process.execPath, args, {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, ...env, AHA_DISABLE_SIMD: '1' },
    timeout: 60_000,
    maxBuffer: 64 * 2 ** 20,
  });
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as T;
}
