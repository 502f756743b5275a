/**
 * Leak check, run as a child process by `leak.test.ts` (`node --expose-gc --import tsx`): trains a small graph built
 * from the core ops for many iterations and prints RSS and array-buffer bytes after a warmup and at the end (both after a
 * forced GC). Native kernels allocate nothing that outlives a call and tensors are plain ArrayBuffers, so RSS must
 * stay flat. Usage: node --expose-gc --import tsx leak-check.ts [iterations]
 */
import { add, mul } from '../ops/binary.js';
import { cat, split } from '../ops/cat.js';
import { max, mean, sum } from '../ops/reduce.js';
import { logSoftmax, softmax } from '../ops/softmax.js';
import { clamp, exp, silu, tanh } from '../ops/unary.js';
import { maskedFill, where } from '../ops/where.js';
import { AdamW } from '../optim/adamw.js';
import { clipGradNorm } from '../optim/clip.js';
import { Tensor } from '../tensor.js';

const iterations = Number(process.argv[2] ?? 10_000);
const gc = (globalThis as { gc?: () => void }).gc;
// RSS is what the brief bounds; arrayBuffers (tensor storage) is the sharp signal: any tensor kept alive per
// iteration shows up there byte for byte, while RSS also moves with V8's heap sizing.
const sample = () => {
  gc?.();
  gc?.();
  const { rss, arrayBuffers } = process.memoryUsage();
  return { rss, arrayBuffers };
};

const rand = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7919 + i * 13));
const x = new Tensor(rand(8 * 16, 1), [8, 16]).requiresGrad_();
const w = new Tensor(rand(16, 2), [16]).requiresGrad_();
const mask = new Tensor(
  Float32Array.from({ length: 16 }, (_, i) => (i % 3 === 0 ? 1 : 0)),
  [16],
);
const opt = new AdamW([x, w], { lr: 1e-3 });

function step(): void {
  const h = silu(add(mul(x, w), 0.1)); // [8, 16]
  const [a, b] = split(h, [6, 10], 1);
  const joined = cat([tanh(b), exp(clamp(a, -2, 2))], 1); // [8, 16]
  const p = softmax(maskedFill(joined, mask, -1e4)); // [8, 16]
  const lp = logSoftmax(where(mask, h, joined), 0); // [8, 16]
  const loss = add(mean(mul(p, lp)), mul(sum(max(h, 1)), 1e-3));
  loss.backward();
  clipGradNorm([x, w], 1);
  opt.step();
  opt.zeroGrad();
}

const warmup = Math.min(2000, Math.floor(iterations / 5));
for (let i = 0; i < warmup; i++) step();
const before = sample();
for (let i = 0; i < iterations; i++) step();
const after = sample();
process.stdout.write(`${JSON.stringify({ iterations, before, after, gc: gc !== undefined })}\n`);
