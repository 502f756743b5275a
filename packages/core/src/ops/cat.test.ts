import { describe, expect, it } from 'vitest';
import { IndexError, ShapeError, ValueError } from '../errors.js';
import { type Tensor, tensor } from '../tensor.js';
import { checkOp, type RefInput, randTensor } from '../testing/gradcheck.js';
import { cat, split } from './cat.js';
import { transpose } from './view.js';

// Reference: out[o, j, i] from the input that owns j, by index arithmetic.
function refCat(dim: number) {
  return (...xs: RefInput[]): Float64Array => {
    const nd = xs[0].shape.length;
    const d = dim < 0 ? dim + nd : dim;
    const outer = xs[0].shape.slice(0, d).reduce((a, b) => a * b, 1);
    const inner = xs[0].shape.slice(d + 1).reduce((a, b) => a * b, 1);
    const out: number[] = [];
    for (let o = 0; o < outer; o++) {
      for (const x of xs) {
        const len = x.shape[d] * inner;
        for (let k = 0; k < len; k++) out.push(x.values[o * len + k]);
      }
    }
    return Float64Array.from(out);
  };
}

describe('cat', () => {
  it.each([[0], [1], [-1]])('along dim %i matches the reference, gradients split back', (dim) => {
    const shapes = [
      [2, 3, 4],
      [2, 3, 4],
      [2, 3, 4],
    ].map((s, k) => s.map((v, i) => (i === (dim + 3) % 3 ? v + k : v)));
    checkOp({
      inputs: shapes.map((s, k) => randTensor(s, 10 + k)),
      forward: (...xs) => cat(xs, dim),
      reference: refCat(dim),
    });
  });
  it('takes non-contiguous inputs and inputs without grad', () => {
    const a = randTensor([3, 2], 20);
    const b = randTensor([2, 3], 21).detach();
    checkOp({
      inputs: [a, b],
      forward: (x, y) => cat([transpose(x, 0, 1), y], 0),
      reference: (x, y) => {
        const xt = Float64Array.from({ length: 6 }, (_, i) => x.values[(i % 3) * 2 + Math.floor(i / 3)]);
        return refCat(0)({ values: xt, shape: [2, 3] }, { values: y.values, shape: [2, 3] });
      },
    });
  });
  it('reads contiguous views at a storage offset without copying', () => {
    const x = tensor(
      Float32Array.from({ length: 8 }, (_, i) => i),
      [4, 2],
    );
    const [a, b] = split(x, 2, 0);
    expect(b.offset).toBe(4);
    expect(Array.from(cat([b, a], 0).toFloat32Array())).toEqual([4, 5, 6, 7, 0, 1, 2, 3]);
  });
  it('accepts empty pieces', () => {
    const a = tensor(Float32Array.of(1, 2), [1, 2]);
    const e = tensor(new Float32Array(0), [0, 2]);
    const y = cat([e, a, e], 0);
    expect(y.shape).toEqual([1, 2]);
    expect(Array.from(y.toFloat32Array())).toEqual([1, 2]);
  });
  it('rejects mismatched shapes, empty lists and bad dims', () => {
    const a = tensor(new Float32Array(6), [2, 3]);
    const b = tensor(new Float32Array(8), [2, 4]);
    expect(() => cat([a, b], 0)).toThrow(ShapeError);
    expect(() => cat([a, b], 0)).toThrow('cat: xs[1] [2, 4] does not match xs[0] [2, 3] outside dim 0');
    expect(cat([a, b], 1).shape).toEqual([2, 7]);
    expect(() => cat([], 0)).toThrow(ValueError);
    expect(() => cat([a, a], 2)).toThrow(IndexError);
    expect(() => cat([a, tensor(new Float32Array(6), [6])], 0)).toThrow(ShapeError);
  });
});

describe('split', () => {
  it('returns views by chunk size (last one smaller) and by sizes', () => {
    const x = tensor(
      Float32Array.from({ length: 10 }, (_, i) => i),
      [5, 2],
    );
    const parts = split(x, 2, 0);
    expect(parts.map((p) => p.shape)).toEqual([
      [2, 2],
      [2, 2],
      [1, 2],
    ]);
    expect(parts[2].storage).toBe(x.storage);
    expect(Array.from(parts[2].toFloat32Array())).toEqual([8, 9]);
    const cols = split(x, [1, 1], -1);
    expect(Array.from(cols[1].toFloat32Array())).toEqual([1, 3, 5, 7, 9]);
  });
  it('cat inverts split, and gradients flow through the views', () => {
    checkOp({
      inputs: [randTensor([3, 5], 30)],
      forward: (x) => {
        const [a, b, c] = split(x, [2, 1, 2], 1);
        return cat([c, a, b], 1) as Tensor;
      },
      reference: (x) =>
        Float64Array.from({ length: 15 }, (_, i) => {
          const [r, j] = [Math.floor(i / 5), i % 5];
          const src = [3, 4, 0, 1, 2][j];
          return x.values[r * 5 + src];
        }),
    });
  });
  it('rejects sizes that do not add up and bad chunk sizes', () => {
    const x = tensor(new Float32Array(6), [2, 3]);
    expect(() => split(x, [1, 1], 1)).toThrow('split: sizes [1, 1] add up to 2, but dim 1 of x has size 3');
    expect(() => split(x, 0, 1)).toThrow(ValueError);
    expect(() => split(x, [4, -1], 1)).toThrow(ValueError);
  });
});
