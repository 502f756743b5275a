/**
 * A worker_threads Worker that uses @aha/core and is terminated while a native kernel runs (a reward hitting its time
 * limit) must leave the process alive. Runs the scenario in a child process (an abort would otherwise take vitest's
 * fork with it): the child terminates a kernel-looping worker many times at random points (mid-kernel, and while
 * the addon loads: its module init failing must not abort either), then still runs a kernel.
 * Leaves out: CUDA kernels (none are built here).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('./__fixtures__/terminate-worker/main.mjs', import.meta.url));

describe('terminating a worker mid-kernel', () => {
  it.each([
    ['mid-kernel (0–40 ms after ready)', 20, 40],
    ['while the addon loads on the first kernel call (0–3 ms after ready)', 12, 3],
  ])(
    'leaves the process alive and the kernels usable: %s',
    (_when, rounds, maxDelay) => {
      const r = spawnSync(
        process.execPath,
        ['--conditions=source', '--import', 'tsx', main, String(rounds), String(maxDelay)],
        {
          encoding: 'utf8',
          timeout: 240_000,
          env: { ...process.env, AHA_NUM_THREADS: '2' },
        },
      );
      expect(r.stderr).not.toMatch(/terminate called/);
      expect({ status: r.status, signal: r.signal }).toEqual({ status: 0, signal: null });
      expect(JSON.parse(r.stdout.trim().split('\n').pop() ?? '')).toEqual({ rounds, product: [7, 10, 15, 22] });
    },
    300_000,
  );
});
