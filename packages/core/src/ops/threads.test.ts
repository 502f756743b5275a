// The op tests check each kernel against float64 references on small inputs, which run on one thread. Here every
// kernel of this op family runs on inputs large enough to be split across threads, and its outputs and gradients must
// be bit-identical on 1 and 2 threads: chunk boundaries, per-thread buffers and line ownership are then right too.
import { afterAll, describe, expect, it } from 'vitest';
import { getNumThreads, setNumThreads } from '../native.js';
import type { Tensor } from '../tensor.js';
import { randTensor, rng } from '../testing/gradcheck.js';
import { tokenLogprobs } from './cross-entropy.js';
import { embedding } from './embedding.js';
import { gather } from './gather.js';
import { indexSelect } from './index-select.js';
import { linear } from './linear.js';
import { rmsNorm } from './rms-norm.js';
import { rope } from './rope.js';
import { scatterAdd } from './scatter-add.js';
import { topk } from './topk.js';
import { expand, narrow, slice, transpose } from './view.js';

const ids = (n: number, size: number, seed: number) => {
  const r = rng(seed);
  return Int32Array.from({ length: n }, () => Math.floor(r() * size));
};

// Runs fn on fresh leaves, returns the output values and every leaf gradient, concatenated.
function run(make: () => Tensor[], fn: (...xs: Tensor[]) => Tensor): Float32Array[] {
  const xs = make();
  const y = fn(...xs);
  const out = [y.toFloat32Array()];
  if (y.requiresGrad) {
    const g = randTensor(y.shape, 99).detach();
    y.backward(g);
    for (const x of xs) out.push(x.grad ? x.grad.toFloat32Array() : new Float32Array(0));
  }
  return out;
}

const cases: [string, () => Tensor[], (...xs: Tensor[]) => Tensor][] = [
  [
    'linear',
    () => [randTensor([300, 64], 1), randTensor([96, 64], 2), randTensor([96], 3)],
    (x, w, b) => linear(x, w, b),
  ],
  ['rmsNorm', () => [randTensor([3000, 8], 4), randTensor([8], 5)], (x, w) => rmsNorm(x, w, 1e-6)],
  ['embedding', () => [randTensor([50, 300], 6)], (w) => embedding(w, ids(400, 50, 7), [400])],
  ['indexSelect', () => [randTensor([40, 30, 300], 8)], (x) => indexSelect(x, 1, ids(50, 30, 9))],
  ['gather', () => [randTensor([600, 20], 10)], (x) => gather(x, 1, ids(600 * 6, 20, 11), [600, 6])],
  [
    'scatterAdd',
    () => [randTensor([600, 20], 12), randTensor([600, 6], 13)],
    (x, s) => scatterAdd(x, 1, ids(3600, 20, 14), [600, 6], s),
  ],
  [
    'tokenLogprobs',
    () => [randTensor([4, 500, 80], 15, -5, 5)],
    (x) => tokenLogprobs(x, ids(2000, 80, 16), { temperature: 0.8 }),
  ],
  ['topk', () => [randTensor([2000, 30], 17)], (x) => topk(x, 5).values],
  [
    'rope',
    () => [randTensor([2, 8, 300, 16], 18), randTensor([1, 300, 8], 19).detach(), randTensor([1, 300, 8], 20).detach()],
    (x, c, s) => rope(x, c, s, 'half'),
  ],
  // View backwards (scatterStridedAdd): threaded for the injective slice / transpose, serial for a broadcast.
  ['narrow of a transpose', () => [randTensor([64, 40, 30], 21)], (x) => narrow(transpose(x, 0, 1), 2, 3, 25)],
  ['strided slice', () => [randTensor([300, 120], 22)], (x) => slice(x, 1, 1, undefined, 2)],
  ['expand', () => [randTensor([1, 3000], 23)], (x) => expand(x, [40, 3000])],
];

describe('thread-count invariance', () => {
  const before = getNumThreads();
  afterAll(() => setNumThreads(before));
  it.each(cases)('%s gives identical results on 1 and 2 threads', (_name, make, fn) => {
    setNumThreads(1);
    const one = run(make, fn);
    setNumThreads(2);
    const two = run(make, fn);
    expect(two.length).toBe(one.length);
    for (let i = 0; i < one.length; i++) {
      expect(Buffer.from(two[i].buffer).equals(Buffer.from(one[i].buffer)), `output ${i}`).toBe(true);
    }
  });
});
