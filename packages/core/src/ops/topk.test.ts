import { describe, expect, it } from 'vitest';
import { IndexError } from '../errors.js';
import { tensor } from '../tensor.js';
import { randTensor } from '../testing/gradcheck.js';
import { topk } from './topk.js';
import { transpose } from './view.js';

// Reference: stable sort of (value, index) pairs along `dim` of a contiguous [outer, n, inner] layout.
function refTopk(values: Float32Array, shape: number[], dim: number, k: number) {
  const outer = shape.slice(0, dim).reduce((a, b) => a * b, 1);
  const inner = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  const n = shape[dim];
  const out = { values: new Array<number>(outer * k * inner), indices: new Array<number>(outer * k * inner) };
  for (let o = 0; o < outer; o++)
    for (let c = 0; c < inner; c++) {
      const order = Array.from({ length: n }, (_, j) => j).sort((a, b) => {
        const va = values[(o * n + a) * inner + c];
        const vb = values[(o * n + b) * inner + c];
        return vb - va || a - b;
      });
      for (let j = 0; j < k; j++) {
        out.values[(o * k + j) * inner + c] = values[(o * n + order[j]) * inner + c];
        out.indices[(o * k + j) * inner + c] = order[j];
      }
    }
  return out;
}

describe('topk', () => {
  it('returns the k largest along any dim, largest first', () => {
    const x = randTensor([3, 7, 4], 1);
    for (const [dim, k] of [
      [0, 2],
      [1, 3],
      [2, 4],
      [-2, 7],
    ]) {
      const d = dim < 0 ? dim + 3 : dim;
      const { values, indices } = topk(x, k, dim);
      const ref = refTopk(x.toFloat32Array(), x.shape, d, k);
      expect(values.shape).toEqual(x.shape.map((s, i) => (i === d ? k : s)));
      expect(Array.from(values.toFloat32Array())).toEqual(ref.values);
      expect(Array.from(indices)).toEqual(ref.indices);
    }
  });

  it('breaks ties by the lower index (deterministic routing)', () => {
    const x = tensor(Float32Array.of(1, 3, 3, 0, 3, 1), [6]);
    const { values, indices } = topk(x, 4);
    expect(Array.from(values.toFloat32Array())).toEqual([3, 3, 3, 1]);
    expect(Array.from(indices)).toEqual([1, 2, 4, 0]);
  });

  it('reads a transposed view and ranks NaN first, like PyTorch', () => {
    const x = randTensor([5, 3], 2);
    const t = transpose(x, 0, 1); // [3, 5]
    const ref = refTopk(t.toFloat32Array(), [3, 5], 1, 2);
    expect(Array.from(topk(t, 2).indices)).toEqual(ref.indices);
    const n = topk(tensor(Float32Array.of(1, Number.NaN, 2), [3]), 2);
    expect(Array.from(n.indices)).toEqual([1, 2]);
    expect(Number.isNaN(n.values.toFloat32Array()[0])).toBe(true);
  });

  it('handles k = 0 and empty leading dims, rejects bad k / dim', () => {
    expect(topk(randTensor([2, 3], 1), 0).values.shape).toEqual([2, 0]);
    expect(topk(tensor(new Float32Array(0), [0, 3]), 2).indices.length).toBe(0);
    expect(() => topk(randTensor([2, 3], 1), 4)).toThrow('topk: k = 4 must be an integer in [0, 3] (size of dim 1)');
    expect(() => topk(randTensor([2, 3], 1), 1.5)).toThrow(IndexError);
    expect(() => topk(randTensor([2, 3], 1), 1, 2)).toThrow(IndexError);
  });
});
