// Gradient buffers that the op leaves unzeroed because its kernel zeroes (threaded) or overwrites them itself: the
// view backwards (scatterStridedAdd) and binaryBackward. Fresh Float32Arrays are zero anyway, so here the buffer pool
// is primed with a NaN-filled buffer of the gradient's exact length first: a kernel that relies on a zeroed buffer, or
// misses an element, then returns NaN.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  allocFloat32,
  clearBufferPool,
  poisonBufferPool,
  releaseFloat32,
  setBufferPoolOptions,
} from '../memory/pool.js';
import { getNumThreads, setNumThreads } from '../native.js';
import { Tensor } from '../tensor.js';
import { randTensor } from '../testing/gradcheck.js';
import { add, mul } from './binary.js';
import { expand, narrow, permute, slice, transpose } from './view.js';

const defaults = setBufferPoolOptions({});
const threads = getNumThreads();
beforeEach(() => {
  setBufferPoolOptions({ enabled: true, minLength: 1 });
  clearBufferPool();
});
afterEach(() => {
  setBufferPoolOptions(defaults);
  clearBufferPool();
  setNumThreads(threads);
});

// The next allocFloat32(n) returns a NaN-filled buffer.
function primeNaN(n: number): void {
  releaseFloat32(allocFloat32(n));
  poisonBufferPool();
}

// Backward of y = fn(x) with dy = ones, the x gradient's buffer drawn from a NaN-primed pool.
function gradOf(x: Tensor, fn: (x: Tensor) => Tensor): Float32Array {
  const y = fn(x);
  const dy = new Tensor(new Float32Array(y.numel).fill(1), y.shape);
  primeNaN(x.numel);
  y.backward(dy);
  return x.grad!.toFloat32Array();
}

// Expected gradient of a view with dy = ones: how many times each element of x appears in the view.
function counts(x: Tensor, fn: (x: Tensor) => Tensor): Float32Array {
  const ids = new Tensor(
    Float32Array.from({ length: x.numel }, (_, i) => i),
    x.shape,
  );
  const c = new Float32Array(x.numel);
  for (const v of fn(ids).toFloat32Array()) c[v]++;
  return c;
}

describe('gradient buffers the kernels initialise themselves', () => {
  const views: [string, number[], (x: Tensor) => Tensor][] = [
    ['transpose (one-to-one: assigned)', [40, 70], (x) => transpose(x, 0, 1)],
    ['permute (one-to-one: assigned)', [6, 20, 30], (x) => permute(x, [2, 0, 1])],
    ['narrow (partial: zeroed, then added)', [40, 70], (x) => narrow(x, 1, 5, 30)],
    ['strided slice (partial)', [40, 70], (x) => slice(x, 0, 1, undefined, 3)],
    ['expand (broadcast: zeroed, serial sum)', [1, 3000], (x) => expand(x, [5, 3000])],
  ];
  for (const t of [1, 2]) {
    it.each(views)(`%s on ${t} thread(s)`, (_name, shape, fn) => {
      setNumThreads(t);
      const x = randTensor(shape, 1).requiresGrad_();
      expect(Array.from(gradOf(x, fn))).toEqual(Array.from(counts(x, fn)));
    });

    it(`binary backward with a broadcast operand on ${t} thread(s)`, () => {
      setNumThreads(t);
      const a = randTensor([1, 2048], 2).requiresGrad_(); // broadcast over 3 rows: its gradient is a sum
      const b = randTensor([3, 2048], 3).requiresGrad_();
      const y = mul(a, b);
      primeNaN(2048);
      primeNaN(3 * 2048);
      y.backward(new Tensor(new Float32Array(y.numel).fill(1), y.shape));
      const bv = b.toFloat32Array();
      const ga = a.grad!.toFloat32Array();
      for (let j = 0; j < 2048; j++) expect(ga[j]).toBeCloseTo(bv[j] + bv[2048 + j] + bv[4096 + j], 5);
      expect(Array.from(b.grad!.toFloat32Array().subarray(0, 2048))).toEqual(Array.from(a.toFloat32Array()));
    });

    it(`binary backward of a same-shape add (overwritten) on ${t} thread(s)`, () => {
      setNumThreads(t);
      const a = randTensor([50, 60], 4).requiresGrad_();
      const b = randTensor([50, 60], 5).requiresGrad_();
      const y = add(a, b);
      const g = randTensor([50, 60], 6);
      primeNaN(3000);
      y.backward(g);
      expect(Array.from(a.grad!.toFloat32Array())).toEqual(Array.from(g.toFloat32Array()));
      expect(Array.from(b.grad!.toFloat32Array())).toEqual(Array.from(g.toFloat32Array()));
    });
  }
});
