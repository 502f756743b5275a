// The threaded sgemm (native/src/gemm.cc) against the float64 reference path: products large enough to go through the
// thread pool (>= 2^18 multiply-adds), with dims that are not multiples of the 6x16 tile, K across the 256 K block and
// N across the 2048 N block, every transpose pair, 1 to 3 threads, both micro-kernels (the widest SIMD one and portable)
// and, in a child process per level, the whole addon under AHA_SIMD=portable|avx2|avx512. These paths are the in-place (unpacked) row-major A, the B
// panels shared between threads and packed by whichever thread needs them first, and the AVX2 transposed-B packing.
import { afterAll, describe, expect, it } from 'vitest';
import { getNumThreads, setNumThreads } from '../native.js';
import { rng } from '../testing/gradcheck.js';
import { runWithSimdLevel, simdLevelsToTest } from '../testing/portable.js';
import { batchedGemm, type GemmPath } from './matmul.js';

// [M, N, K]: every one >= 2^18 multiply-adds except the last two (the inline, unthreaded path).
const SHAPES = [
  [67, 131, 61],
  [130, 33, 257],
  [7, 700, 97],
  [301, 17, 70],
  [13, 2053, 11],
  [97, 50, 300],
  [128, 32, 128],
  [5, 9, 3],
  [31, 2, 40],
];

interface Case {
  M: number;
  N: number;
  K: number;
  tA: number;
  tB: number;
  lda: number;
  ldb: number;
  ldc: number;
  A: Float32Array;
  B: Float32Array;
  C0: Float32Array;
  beta: number;
}

function makeCase([M, N, K]: number[], variant: number, seed: number): Case {
  const r = rng(seed);
  const rand = (n: number) => Float32Array.from({ length: n }, () => 2 * r() - 1);
  const tA = variant & 1;
  const tB = (variant >> 1) & 1;
  const lda = (tA ? M : K) + (variant % 3);
  const ldb = (tB ? K : N) + ((variant + 1) % 3);
  const ldc = N + 3;
  return {
    M,
    N,
    K,
    tA,
    tB,
    lda,
    ldb,
    ldc,
    A: rand(lda * (tA ? K : M)),
    B: rand(ldb * (tB ? N : K)),
    C0: rand(ldc * M),
    beta: variant === 1 ? 0 : 0.5,
  };
}

function gemm(c: Case, path: GemmPath): Float32Array {
  const C = c.C0.slice();
  batchedGemm(c.tA, c.tB, c.M, c.N, c.K, 0.75, c.A, c.lda, [0], c.B, c.ldb, [0], c.beta, C, c.ldc, [0], path, 0);
  return C;
}

describe('sgemm on the thread pool', () => {
  const initial = getNumThreads();
  afterAll(() => setNumThreads(initial));

  it.each(SHAPES.map((s) => [s.join('x'), s]))('%s: every transpose, 1-3 threads, both kernels', (_name, shape) => {
    for (let variant = 0; variant < 4; variant++) {
      const c = makeCase(shape as number[], variant, 7 + variant);
      setNumThreads(1);
      const expected = gemm(c, 2);
      for (const path of [0, 1] as GemmPath[]) {
        let first: Float32Array | undefined;
        for (const threads of [1, 2, 3]) {
          setNumThreads(threads);
          const C = gemm(c, path);
          const what = `${shape} tA=${c.tA} tB=${c.tB} path=${path} threads=${threads}`;
          let worst = 0;
          for (let i = 0; i < c.M; i++) {
            for (let j = 0; j < c.N; j++) worst = Math.max(worst, Math.abs(C[i * c.ldc + j] - expected[i * c.ldc + j]));
            // The padding of C past column N is never written.
            for (let j = c.N; j < c.ldc; j++) expect(C[i * c.ldc + j], what).toBe(c.C0[i * c.ldc + j]);
          }
          expect(worst, what).toBeLessThan(2e-6 * c.K + 1e-6);
          // Each entry sums K in the same order whatever the partition: bit-identical across thread counts.
          if (first) expect(Buffer.from(C.buffer).equals(Buffer.from(first.buffer)), what).toBe(true);
          first ??= C;
        }
      }
    }
  });

  // Each level in a fresh process (the level is fixed at load): the same reference check on odd shapes, the M = 1 and
  // N = 1 (decode) paths included. A level this CPU lacks is reported as a skipped test.
  const LEVEL_SHAPES = [...SHAPES.slice(0, 5), [37, 530, 401], [1, 300, 77], [1, 1000, 513], [45, 1, 200], [29, 47, 1]];
  for (const [level, supported] of simdLevelsToTest()) {
    const name = `matches the reference with AHA_SIMD=${level}${supported ? '' : ' (skipped: this CPU lacks it)'}`;
    it.runIf(supported)(name, () => {
      const script = `
        const n = require('@aha/native');
        let seed = 1;
        const r = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
        let worst = 0;
        for (const [M, N, K] of ${JSON.stringify(LEVEL_SHAPES)})
          for (let v = 0; v < 4; v++) {
            const tA = v & 1, tB = v >> 1, lda = (tA ? M : K) + v, ldb = (tB ? K : N) + 1;
            const A = Float32Array.from({ length: lda * (tA ? K : M) }, r);
            const B = Float32Array.from({ length: ldb * (tB ? N : K) }, r);
            const C0 = Float32Array.from({ length: M * N }, r), beta = v === 1 ? 0 : 0.5;
            const ref = C0.slice();
            n.batchedGemm(tA, tB, M, N, K, 0.75, A, lda, [0], B, ldb, [0], beta, ref, N, [0], 2, 0);
            for (const threads of [1, 2, 3]) {
              n.setNumThreads(threads);
              const C = C0.slice();
              n.batchedGemm(tA, tB, M, N, K, 0.75, A, lda, [0], B, ldb, [0], beta, C, N, [0], 0, 0);
              for (let i = 0; i < C.length; i++) worst = Math.max(worst, Math.abs(C[i] - ref[i]) / K);
            }
          }
        console.log(JSON.stringify({ simd: n.simdLevel(), worst }));`;
      const out = runWithSimdLevel<{ simd: string; worst: number }>(level, { code: script });
      expect(out.simd).toBe(level);
      expect(out.worst).toBeLessThan(2e-6);
    });
  }
});
