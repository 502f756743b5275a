// The native thread pool under back-to-back jobs: every index of every job must be visited exactly once. Regression
// test for a race where a worker delayed between claiming a chunk and reading the job's size ran a chunk of the next
// job twice (seen as rare hangs and crashes of long training runs on loaded machines). A stress run in several
// processes with AHA_NUM_THREADS=3 reproduced it within seconds before the fix; one process here is a smoke check.
// The check is a stand-alone C++ program (native/test/pool_check.cc) compiled against the pool's own source, so the
// shipped addon has no test-only export.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { kernel } from './native.js';

const nativeDir = fileURLToPath(new URL('../../../native/', import.meta.url));
let binary = '';

const poolCheck = (threads: number, jobs: number, n: number, grain: number, env: Record<string, string> = {}) =>
  Number(
    execFileSync(binary, [threads, jobs, n, grain].map(String), {
      encoding: 'utf8',
      env: { ...process.env, ...env },
    }).trim(),
  );

describe('thread pool', () => {
  beforeAll(() => {
    binary = join(mkdtempSync(join(tmpdir(), 'aha-pool-')), 'pool_check');
    const cxx = process.env.CXX ?? 'g++';
    const sources = [join(nativeDir, 'src/parallel.cc'), join(nativeDir, 'test/pool_check.cc')];
    execFileSync(cxx, ['-std=c++17', '-O2', '-pthread', `-I${join(nativeDir, 'src')}`, ...sources, '-o', binary]);
  });

  it('is not an export of the shipped addon', () => {
    expect(() => kernel('poolSelfCheck')()).toThrow(/no kernel "poolSelfCheck"/);
  });

  it.each([2, 3, 4])('visits every index of 5000 back-to-back jobs exactly once with %i threads', (threads) => {
    expect(poolCheck(threads, 5000, 64, 1)).toBe(0);
    expect(poolCheck(threads, 500, 4096, 16)).toBe(0);
  });

  it('is as exact when waiting threads sleep at once (AHA_SPIN_US=0: every job goes through the wake-up path)', () => {
    for (const threads of [2, 3]) {
      expect(poolCheck(threads, 2000, 64, 1, { AHA_SPIN_US: '0' })).toBe(0);
      expect(poolCheck(threads, 200, 4096, 16, { AHA_SPIN_US: '0' })).toBe(0);
    }
  });
});
