// sgemm throughput (GFLOP/s) of the auto (the AHA_SIMD level) and portable paths on square products, 1 and 2
// threads, plus the hot fused losses. A quick figure for the kernel README, not a test: `npx tsx benchmarks/gemm.ts [sizes...]`.
import { setNumThreads, simdLevel } from '../packages/core/src/native.js';
import { batchedGemm, type GemmPath } from '../packages/core/src/ops/matmul.js';

const sizes = process.argv.slice(2).map(Number).filter(Boolean);
const rand = (n: number) => Float32Array.from({ length: n }, () => Math.random() * 2 - 1);

function gflops(S: number, path: GemmPath): number {
  const A = rand(S * S);
  const B = rand(S * S);
  const C = new Float32Array(S * S);
  const run = () => batchedGemm(0, 0, S, S, S, 1, A, S, [0], B, S, [0], 0, C, S, [0], path, 0);
  run(); // warm-up: page in buffers, grow the packing buffers
  let reps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 1000 || reps < 3) {
    run();
    reps++;
  }
  const seconds = (performance.now() - t0) / 1000 / reps;
  return (2 * S * S * S) / seconds / 1e9;
}

console.log(`simd: ${simdLevel()}`);
for (const threads of [1, 2]) {
  setNumThreads(threads);
  for (const S of sizes.length ? sizes : [512, 1024]) {
    const fast = gflops(S, 0).toFixed(1);
    const portable = gflops(S, 1).toFixed(1);
    console.log(`threads=${threads} ${S}x${S}x${S}: auto ${fast} GFLOP/s, portable ${portable} GFLOP/s`);
  }
}
