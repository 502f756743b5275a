// Worker half of native-terminate.test.ts: loads @aha/core from source (through tsx: Node 20 cannot load TypeScript in
// a worker by itself) and runs large kernels back to back until the parent terminates it.
import { parentPort } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

const core = await tsImport('@aha/core', import.meta.url);
const { cat, matmul, max, noGrad, scaledDotProductAttention, sum, tensor } = core;
const n = 320;
const a = tensor(new Float32Array(n * n).fill(0.5), [n, n]);
const q = tensor(new Float32Array(2 * 4 * 128 * 64).fill(0.1), [2, 4, 128, 64]);
// Many small inputs: cat reads its argument list element by element through N-API, the window where a terminating
// env makes those reads fail (and, before the fix, the failure escaped as a C++ exception).
const pieces = Array.from({ length: 20000 }, (_, i) => tensor(Float32Array.of(i), [1]));
parentPort.postMessage('ready');
for (;;) {
  noGrad(() => {
    matmul(a, a);
    sum(a);
    max(a, 1);
    scaledDotProductAttention(q, q, q, { causal: true });
    cat(pieces, 0);
  });
}
