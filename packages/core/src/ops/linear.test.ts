import { describe, expect, it } from 'vitest';
import { ShapeError } from '../errors.js';
import { tensor } from '../tensor.js';
import { checkOp, type RefInput, randTensor } from '../testing/gradcheck.js';
import { linear } from './linear.js';
import { transpose } from './view.js';

// y[r, o] = Σ_i x[r, i] · W[o, i] + b[o] in float64.
function refLinear(x: RefInput, w: RefInput, b?: RefInput): Float64Array {
  const [O, I] = w.shape;
  const rows = x.values.length / I;
  const out = new Float64Array(rows * O);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < O; o++) {
      let s = b ? b.values[o] : 0;
      for (let i = 0; i < I; i++) s += x.values[r * I + i] * w.values[o * I + i];
      out[r * O + o] = s;
    }
  return out;
}

describe('linear', () => {
  it('computes x @ Wᵀ + b with HF [out, in] weights, with and without bias', () => {
    checkOp({
      inputs: [randTensor([2, 3, 5], 1), randTensor([4, 5], 2), randTensor([4], 3)],
      forward: (x, w, b) => linear(x, w, b),
      reference: refLinear,
    });
    checkOp({
      inputs: [randTensor([1, 9], 4), randTensor([7, 9], 5)],
      forward: (x, w) => linear(x, w),
      reference: refLinear,
    });
    checkOp({
      inputs: [randTensor([6], 6), randTensor([1, 6], 7)],
      forward: (x, w) => linear(x, w),
      reference: refLinear,
    });
    expect(linear(randTensor([6], 6), randTensor([3, 6], 7)).shape).toEqual([3]);
  });

  it('reads a transposed weight view (tied embedding) and a transposed input in place', () => {
    checkOp({
      inputs: [randTensor([5, 3], 8), randTensor([5, 4], 9)],
      forward: (x, w) => linear(transpose(x, 0, 1), transpose(w, 0, 1)),
      reference: (x, w) => {
        const xt = new Float64Array(15);
        for (let i = 0; i < 5; i++) for (let r = 0; r < 3; r++) xt[r * 5 + i] = x.values[i * 3 + r];
        const wt = new Float64Array(20);
        for (let i = 0; i < 5; i++) for (let o = 0; o < 4; o++) wt[o * 5 + i] = w.values[i * 4 + o];
        return refLinear({ values: xt, shape: [3, 5] }, { values: wt, shape: [4, 5] });
      },
    });
  });

  it('keeps the weight view in the graph (no copy of a transposed weight)', () => {
    const y = linear(randTensor([2, 5], 1), transpose(randTensor([5, 4], 2), 0, 1));
    expect(y.gradNode?.inputs[1].gradNode?.name).toBe('transpose');
  });

  it('handles empty batches and in = 0', () => {
    expect(linear(tensor(new Float32Array(0), [0, 3]), randTensor([2, 3], 1)).shape).toEqual([0, 2]);
    const y = linear(
      tensor(new Float32Array(0), [2, 0]),
      tensor(new Float32Array(0), [3, 0]),
      tensor(Float32Array.of(1, 2, 3), [3]),
    );
    expect(Array.from(y.toFloat32Array())).toEqual([1, 2, 3, 1, 2, 3]);
  });

  it('rejects mismatched shapes naming both', () => {
    expect(() => linear(randTensor([2, 4], 1), randTensor([3, 5], 2))).toThrow(
      "linear: x [2, 4] does not end in the weight's in-features 5 (weight [3, 5])",
    );
    expect(() => linear(randTensor([2, 5], 1), randTensor([3, 5], 2), randTensor([4], 3))).toThrow(ShapeError);
    expect(() => linear(randTensor([2, 5], 1), randTensor([5], 2))).toThrow(ShapeError);
  });

  it('propagates NaN from the input', () => {
    const y = linear(tensor(Float32Array.of(Number.NaN, 1), [1, 2]), tensor(Float32Array.of(1, 1, 0, 1), [2, 2]));
    expect(Number.isNaN(y.toFloat32Array()[0])).toBe(true);
  });
});
