/**
 * Fits y = 3x − 2 by gradient descent with aha's tensors and autograd: the smallest end-to-end use of @aha/core.
 * Run: npm start -w @aha/example-quickstart (or npx tsx --conditions=source examples/quickstart/main.ts); the last line
 * prints the fitted w and b, which the example's test checks against 3 and −2.
 */
import { getNumThreads, mul, simdLevel, sub, tensor } from '@aha/core';

const n = 64;
const xs = Float32Array.from({ length: n }, (_, i) => i / n);
const x = tensor(xs, [n, 1]);
const y = tensor(
  xs.map((v) => 3 * v - 2),
  [n, 1],
);
const w = tensor(Float32Array.of(0), [1, 1]).requiresGrad_();
const b = tensor(Float32Array.of(0), [1]).requiresGrad_();

console.log(`aha quickstart: ${getNumThreads()} threads, ${simdLevel()} kernels`);
const lr = 0.5;
for (let step = 0; step <= 200; step++) {
  const err = sub(sub(mul(x, w), mul(b, -1)), y); // x·w + b − y
  const sq = mul(err, err);
  const loss = sq.values().reduce((s, v) => s + v, 0) / n;
  w.grad = null;
  b.grad = null;
  sq.backward(tensor(new Float32Array(n).fill(1 / n), [n, 1]));
  for (const p of [w, b]) {
    const v = p.values();
    const g = p.grad!.values();
    for (let i = 0; i < v.length; i++) v[i] -= lr * g[i];
  }
  if (step % 40 === 0)
    console.log(`step ${step}: loss ${loss.toFixed(6)}  w=${w.item().toFixed(4)} b=${b.item().toFixed(4)}`);
}
