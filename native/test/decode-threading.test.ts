// Decode-time threading: an M = 1 product (a decode step's linear layer) is handed to the thread pool only when it
// is large enough to gain from a second thread (parallel.h kMinParallelWork), and its result is bit-identical on 1
// and 2 threads either way. Batch-1 decode ran slower on 2 threads than on 1 while every 256-wide projection paid for
// a hand-off. Built as a stand-alone program (native/test/gemv_threads_check.cc) so the addon has no test-only export;
// counts hand-offs rather than timing them (the cores are shared). Leaves out the batched and MoE call sites, which
// use the same parallel_for_work gate.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const nativeDir = fileURLToPath(new URL('../', import.meta.url));
let rows: number[][] = [];

describe('decode-time gemv threading', () => {
  beforeAll(() => {
    const binary = join(mkdtempSync(join(tmpdir(), 'aha-gemv-')), 'gemv_threads_check');
    const cxx = process.env.CXX ?? 'g++';
    const sources = ['src/parallel.cc', 'src/gemm.cc', 'src/cpu.cc', 'test/gemv_threads_check.cc'].map((f) =>
      join(nativeDir, f),
    );
    execFileSync(cxx, ['-std=c++17', '-O2', '-pthread', `-I${join(nativeDir, 'src')}`, ...sources, '-o', binary]);
    rows = execFileSync(binary, { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((line) => line.split(' ').map(Number));
  }, 120_000);

  const row = (transB: number, N: number, K: number) => {
    const r = rows.find(([t, n, k]) => t === transB && n === N && k === K);
    if (!r) throw new Error(`no row for transB=${transB} N=${N} K=${K}`);
    return { jobs: r[3], same: r[4] };
  };

  it.each([
    [1, 128, 256],
    [1, 768, 256],
    [1, 256, 768],
    [0, 768, 256],
    [1, 37, 301],
  ])('runs a decode-sized product inline on 2 threads (transB=%i, N=%i, K=%i)', (t, N, K) => {
    expect(row(t, N, K)).toEqual({ jobs: 0, same: 1 });
  });

  it.each([
    [1, 4096, 256],
    [0, 4096, 256],
  ])('still threads the lm_head-sized product, bit-identically (transB=%i, N=%i, K=%i)', (t, N, K) => {
    expect(row(t, N, K)).toEqual({ jobs: 1, same: 1 });
  });
});
