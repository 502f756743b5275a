// The native thread pool under back-to-back jobs: every index of every job must be visited exactly once. Regression
// test for a race where a worker delayed between claiming a chunk and reading the job's size ran a chunk of the next
// job twice (seen as rare hangs and crashes of long training runs on loaded machines). A stress run in several
// processes with AHA_NUM_THREADS=3 reproduced it within seconds before the fix; one process here is a smoke check.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { getNumThreads, kernel, setNumThreads } from './native.js';

const poolSelfCheck = kernel<(jobs: number, n: number, grain: number) => number>('poolSelfCheck');

describe('thread pool', () => {
  const initial = getNumThreads();
  afterAll(() => setNumThreads(initial));

  it.each([2, 3, 4])('visits every index of 5000 back-to-back jobs exactly once with %i threads', (threads) => {
    setNumThreads(threads);
    expect(poolSelfCheck(5000, 64, 1)).toBe(0);
    expect(poolSelfCheck(500, 4096, 16)).toBe(0);
  });

  it('is as exact when waiting threads sleep at once (AHA_SPIN_US=0: every job goes through the wake-up path)', () => {
    const script = `const n = require('@aha/native'); const bad = [];
      for (const t of [2, 3]) { n.setNumThreads(t); bad.push(n.poolSelfCheck(2000, 64, 1), n.poolSelfCheck(200, 4096, 16)); }
      console.log(JSON.stringify(bad));`;
    const out = execFileSync(process.execPath, ['-e', script], {
      cwd: fileURLToPath(new URL('../../../', import.meta.url)),
      env: { ...process.env, AHA_SPIN_US: '0' },
      encoding: 'utf8',
    });
    expect(JSON.parse(out.trim().split('\n').pop() ?? 'null')).toEqual([0, 0, 0, 0]);
  });
});
