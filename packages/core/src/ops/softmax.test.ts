import { describe, expect, it } from 'vitest';
import { IndexError, ShapeError } from '../errors.js';
import { tensor } from '../tensor.js';
import { checkOp, type RefInput, randTensor } from '../testing/gradcheck.js';
import { logSoftmax, softmax } from './softmax.js';
import { transpose } from './view.js';

// Reference over `dim` by explicit strides, in float64.
function refSoftmax(dim: number, isLog: boolean) {
  return (x: RefInput): Float64Array => {
    const nd = x.shape.length;
    const d = dim < 0 ? dim + nd : dim;
    const size = x.shape[d];
    const stride = x.shape.slice(d + 1).reduce((a, b) => a * b, 1);
    const out = new Float64Array(x.values.length);
    for (let base = 0; base < x.values.length; base++) {
      if (Math.floor(base / stride) % size !== 0) continue; // visit each row once, from its first element
      const at = (j: number) => base + j * stride;
      let m = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < size; j++) m = Math.max(m, x.values[at(j)]);
      let s = 0;
      for (let j = 0; j < size; j++) s += Math.exp(x.values[at(j)] - m);
      for (let j = 0; j < size; j++) {
        out[at(j)] = isLog ? x.values[at(j)] - m - Math.log(s) : Math.exp(x.values[at(j)] - m) / s;
      }
    }
    return out;
  };
}

describe.each([
  ['softmax', softmax, false],
  ['logSoftmax', logSoftmax, true],
] as const)('%s', (_name, op, isLog) => {
  it.each([[-1], [0], [1]])('over dim %i matches the reference and finite differences', (dim) => {
    checkOp({
      inputs: [randTensor([3, 4, 5], 1, -3, 3)],
      forward: (x) => op(x, dim),
      reference: refSoftmax(dim, isLog),
    });
  });
  it('reads a transposed input', () => {
    checkOp({
      inputs: [randTensor([5, 3], 2, -3, 3)],
      forward: (x) => op(transpose(x, 0, 1)),
      reference: (x) =>
        refSoftmax(
          -1,
          isLog,
        )({
          values: Float64Array.from({ length: 15 }, (_, i) => x.values[(i % 5) * 3 + Math.floor(i / 5)]),
          shape: [3, 5],
        }),
    });
  });
  it('is stable for huge logits', () => {
    const y = op(tensor(Float32Array.of(1000, 1001, 999), [3])).toFloat32Array();
    const want = refSoftmax(-1, isLog)({ values: Float64Array.of(1000, 1001, 999), shape: [3] });
    // float32 spacing near 1000 is 6e-5, so logSoftmax is only that exact there.
    for (let i = 0; i < 3; i++) expect(Math.abs(y[i] - want[i])).toBeLessThan(1e-4);
    expect(y.every(Number.isFinite)).toBe(true);
  });
  it('handles empty tensors and rejects bad dims', () => {
    expect(op(tensor(new Float32Array(0), [0, 4])).shape).toEqual([0, 4]);
    expect(op(tensor(new Float32Array(0), [3, 0])).shape).toEqual([3, 0]);
    expect(() => op(tensor(new Float32Array(4), [4]), 1)).toThrow(IndexError);
    expect(() => op(tensor(Float32Array.of(1), []))).toThrow(ShapeError);
  });
});

describe('softmax output', () => {
  it('rows sum to 1 and logSoftmax is its log', () => {
    const x = randTensor([4, 7], 3, -5, 5).detach();
    const p = softmax(x).toFloat32Array();
    const lp = logSoftmax(x).toFloat32Array();
    for (let r = 0; r < 4; r++) {
      let s = 0;
      for (let j = 0; j < 7; j++) s += p[r * 7 + j];
      expect(s).toBeCloseTo(1, 6);
    }
    for (let i = 0; i < lp.length; i++) expect(Math.exp(lp[i])).toBeCloseTo(p[i], 6);
  });
});
