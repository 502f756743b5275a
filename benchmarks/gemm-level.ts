/**
 * Child of benchmarks/run.ts: aha's sgemm on square S x S x S products (non-transposed, beta 0) at the SIMD level the
 * process was started with (AHA_SIMD, fixed when the addon loads), on each thread count given. Prints one JSON line
 * `{ simd, rows: [{ size, threads, seconds }] }`: min wall seconds of one call over repeats after a warm-up.
 * Usage: `AHA_SIMD=avx512 tsx --conditions=source benchmarks/gemm-level.ts 1,2 1024 2048`.
 */
import { performance } from 'node:perf_hooks';
import { setNumThreads, simdLevel } from '../packages/core/src/native.js';
import { batchedGemm } from '../packages/core/src/ops/matmul.js';

const [threadList = '1', ...sizeArgs] = process.argv.slice(2);
const threads = threadList.split(',').map(Number);
const sizes = sizeArgs.map(Number);
if (threads.some((t) => !Number.isInteger(t) || t < 1) || sizes.some((s) => !Number.isInteger(s) || s < 1)) {
  throw new Error(`gemm-level: usage: gemm-level.ts THREADS[,THREADS] SIZE..., got ${process.argv.slice(2).join(' ')}`);
}

function rand(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() - 0.5;
  return a;
}

const rows: { size: number; threads: number; seconds: number }[] = [];
for (const t of threads) {
  setNumThreads(t);
  for (const S of sizes) {
    const A = rand(S * S);
    const B = rand(S * S);
    const C = new Float32Array(S * S);
    const call = () => batchedGemm(0, 0, S, S, S, 1, A, S, [0], B, S, [0], 0, C, S, [0], 0, 0);
    call();
    let best = Infinity;
    const start = performance.now();
    for (let reps = 0; reps < 3 || performance.now() - start < 300; reps++) {
      const t0 = performance.now();
      call();
      best = Math.min(best, (performance.now() - t0) / 1000);
    }
    rows.push({ size: S, threads: t, seconds: best });
  }
}
process.stdout.write(`${JSON.stringify({ simd: simdLevel(), rows })}\n`);
