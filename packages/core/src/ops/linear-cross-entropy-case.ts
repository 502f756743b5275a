/**
 * One fixed, thread-splittable case of the fused LM-head losses (600 tokens, 700 vocabulary columns in chunks of
 * 256, ignored tokens, T ≠ 1), shared by the thread-count test and, run as a script, by the SIMD-vs-portable test:
 * `AHA_DISABLE_SIMD=1 node --import tsx linear-cross-entropy-case.ts` prints `{ simd, outputs }` as JSON.
 */
import { pathToFileURL } from 'node:url';
import { simdLevel } from '../native.js';
import { mulberry32 } from '../random.js';
import { Tensor } from '../tensor.js';
import { linearCrossEntropy, linearLogProbs } from './linear-cross-entropy.js';

// Uniform [lo, hi) values (the test helpers import vitest, which a plain child process cannot load).
function uniform(shape: number[], seed: number, lo: number, hi: number): Tensor {
  const r = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(
    Float32Array.from({ length: n }, () => lo + (hi - lo) * r()),
    shape,
  );
}

/** Outputs and gradients of linearCrossEntropy (mean) and linearLogProbs (+ entropy), as plain arrays. */
export function runFixedCase(): number[][] {
  const [N, D, V] = [600, 24, 700];
  const r = mulberry32(5);
  const targets = Int32Array.from({ length: N }, (_, i) => (i % 7 === 3 ? -100 : Math.floor(r() * V)));
  const out: number[][] = [];
  const h = uniform([N, D], 1, -2, 2).requiresGrad_();
  const w = uniform([V, D], 2, -1, 1).requiresGrad_();
  const loss = linearCrossEntropy(h, w, targets, { temperature: 0.8, chunkSize: 256 });
  loss.backward();
  out.push([loss.item()], Array.from(h.grad!.values()), Array.from(w.grad!.values()));
  h.grad = null;
  w.grad = null;
  const lp = linearLogProbs(
    h,
    w,
    targets.map((t) => Math.max(t, 0)),
    {
      temperature: 0.8,
      withEntropy: true,
      chunkSize: 256,
    },
  );
  lp.logprobs.backward(uniform([N], 3, -1, 1));
  out.push(
    Array.from(lp.logprobs.values()),
    Array.from(lp.entropy!.values()),
    Array.from(h.grad!.values()),
    Array.from(w.grad!.values()),
  );
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${JSON.stringify({ simd: simdLevel(), outputs: runFixedCase() })}\n`);
}
