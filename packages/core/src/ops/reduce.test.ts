import { describe, expect, it } from 'vitest';
import { IndexError, ShapeError, ValueError } from '../errors.js';
import { tensor } from '../tensor.js';
import { checkOp, type RefInput, randTensor } from '../testing/gradcheck.js';
import { max, mean, sum } from './reduce.js';
import { expand, permute, transpose } from './view.js';

// Reference: visits every element, maps its multi-index to the output index with the reduced dims dropped.
function refReduce(dims: number[] | undefined, kind: 'sum' | 'mean' | 'max') {
  return (x: RefInput): Float64Array => {
    const nd = x.shape.length;
    const red = (dims ?? x.shape.map((_, i) => i)).map((d) => (d < 0 ? d + nd : d));
    const keptShape = x.shape.filter((_, i) => !red.includes(i));
    const nOut = keptShape.reduce((a, b) => a * b, 1);
    const out = new Float64Array(nOut).fill(kind === 'max' ? Number.NEGATIVE_INFINITY : 0);
    const count = red.reduce((a, d) => a * x.shape[d], 1);
    for (let i = 0; i < x.values.length; i++) {
      let rem = i;
      const idx: number[] = [];
      for (let d = nd - 1; d >= 0; d--) {
        idx[d] = rem % x.shape[d];
        rem = Math.floor(rem / x.shape[d]);
      }
      let o = 0;
      for (let d = 0; d < nd; d++) if (!red.includes(d)) o = o * x.shape[d] + idx[d];
      out[o] = kind === 'max' ? Math.max(out[o], x.values[i]) : out[o] + x.values[i];
    }
    if (kind === 'mean') for (let o = 0; o < nOut; o++) out[o] /= count;
    return out;
  };
}

describe.each(['sum', 'mean'] as const)('%s', (kind) => {
  const op = kind === 'sum' ? sum : mean;
  it('over all dims', () => {
    checkOp({ inputs: [randTensor([3, 4, 2], 1)], forward: (x) => op(x), reference: refReduce(undefined, kind) });
  });
  it.each([[[0]], [[1]], [[-1]], [[0, 2]], [[2, 0]], [[1, 2]]])('over dims %j, with and without keepdim', (dims) => {
    checkOp({ inputs: [randTensor([3, 4, 2], 2)], forward: (x) => op(x, dims), reference: refReduce(dims, kind) });
    const y = op(randTensor([3, 4, 2], 3), dims, true);
    expect(y.shape).toEqual([3, 4, 2].map((s, i) => (dims.map((d) => (d + 3) % 3).includes(i) ? 1 : s)));
  });
  it('reads permuted and broadcast views', () => {
    checkOp({
      inputs: [randTensor([2, 3, 4], 4)],
      forward: (x) => op(permute(x, [2, 0, 1]), [1]),
      reference: (x) => {
        const p = Float64Array.from({ length: 24 }, (_, i) => {
          const [k, a, b] = [Math.floor(i / 6), Math.floor(i / 3) % 2, i % 3];
          return x.values[a * 12 + b * 4 + k];
        });
        return refReduce([1], kind)({ values: p, shape: [4, 2, 3] });
      },
    });
    checkOp({
      inputs: [randTensor([1, 4], 5)],
      forward: (x) => op(expand(x, [3, 4]), 0),
      reference: (x) =>
        refReduce([0], kind)({ values: Float64Array.from({ length: 12 }, (_, i) => x.values[i % 4]), shape: [3, 4] }),
    });
  });
  it('over leading dims of wide rows (the row-accumulating path, column blocks of 512)', () => {
    checkOp({
      inputs: [randTensor([5, 3, 40], 15)],
      forward: (x) => op(x, [0, 1]),
      reference: refReduce([0, 1], kind),
    });
    checkOp({ inputs: [randTensor([4, 2, 20], 16)], forward: (x) => op(x, 1), reference: refReduce([1], kind) });
    checkOp({ inputs: [randTensor([3, 1100], 17)], forward: (x) => op(x, 0, true), reference: refReduce([0], kind) });
  });
  it('a large full reduction (split across threads) matches a float64 sum', () => {
    const x = randTensor([300_001], 6).detach();
    let s = 0;
    for (const v of x.values()) s += v;
    const want = kind === 'sum' ? s : s / x.numel;
    expect(Math.abs(op(x).item() - want)).toBeLessThan(1e-4 * Math.max(1, Math.abs(want)));
  });
});

describe('reduction edge cases', () => {
  it('sum over an empty dim is 0, mean is NaN (PyTorch)', () => {
    const x = tensor(new Float32Array(0), [2, 0]);
    expect(Array.from(sum(x, 1).toFloat32Array())).toEqual([0, 0]);
    expect(mean(x, 1).toFloat32Array().every(Number.isNaN)).toBe(true);
    expect(sum(x).item()).toBe(0);
  });
  it('rejects out-of-range and repeated dims', () => {
    const x = tensor(new Float32Array(6), [2, 3]);
    expect(() => sum(x, 2)).toThrow(IndexError);
    expect(() => sum(x, 2)).toThrow('sum: dim 2 is out of range for a tensor with 2 dims');
    expect(() => mean(x, [1, -1])).toThrow(ValueError);
  });
});

describe('max', () => {
  it.each([[0], [1], [-1]])('over dim %i matches the reference and sends the gradient to the argmax', (dim) => {
    checkOp({ inputs: [randTensor([3, 4, 5], 7)], forward: (x) => max(x, dim), reference: refReduce([dim], 'max') });
    expect(max(randTensor([3, 4, 5], 8), dim, true).shape).toEqual(
      [3, 4, 5].map((s, i) => (i === (dim + 3) % 3 ? 1 : s)),
    );
  });
  it('reads a transposed view', () => {
    checkOp({
      inputs: [randTensor([4, 3], 9)],
      forward: (x) => max(transpose(x, 0, 1), 1),
      reference: (x) => refReduce([0], 'max')(x),
    });
  });
  it('sends the whole gradient to the first of tied maxima', () => {
    const x = tensor(Float32Array.of(1, 3, 3, 0), [4]).requiresGrad_();
    max(x, 0).backward();
    expect(Array.from(x.grad!.toFloat32Array())).toEqual([0, 1, 0, 0]);
  });
  it('NaN counts as the max (torch.max)', () => {
    expect(Number.isNaN(max(tensor(Float32Array.of(1, Number.NaN, 5), [3]), 0).item())).toBe(true);
  });
  it('rejects an empty dim and 0-d input', () => {
    expect(() => max(tensor(new Float32Array(0), [2, 0]), 1)).toThrow(ShapeError);
    expect(() => max(tensor(Float32Array.of(1), []), 0)).toThrow(ShapeError);
    expect(max(tensor(new Float32Array(0), [0, 3]), 1).shape).toEqual([0]);
  });
});
