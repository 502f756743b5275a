import { describe, expect, it } from 'vitest';
import { ShapeError, ValueError } from '../errors.js';
import { tensor } from '../tensor.js';
import { checkOp, type RefInput, randTensor } from '../testing/gradcheck.js';
import { rmsNorm } from './rms-norm.js';
import { transpose } from './view.js';

function refRmsNorm(eps: number) {
  return (x: RefInput, w: RefInput): Float64Array => {
    const D = w.shape[0];
    const out = new Float64Array(x.values.length);
    for (let r = 0; r < x.values.length / D; r++) {
      let ss = 0;
      for (let j = 0; j < D; j++) ss += x.values[r * D + j] ** 2;
      const rs = 1 / Math.sqrt(ss / D + eps);
      for (let j = 0; j < D; j++) out[r * D + j] = x.values[r * D + j] * rs * w.values[j];
    }
    return out;
  };
}

describe('rmsNorm', () => {
  it('matches x · rsqrt(mean(x²) + eps) · w with gradients to x and w', () => {
    checkOp({
      inputs: [randTensor([2, 3, 8], 1), randTensor([8], 2, 0.5, 1.5)],
      forward: (x, w) => rmsNorm(x, w, 1e-6),
      reference: refRmsNorm(1e-6),
    });
    checkOp({
      inputs: [randTensor([70, 5], 3), randTensor([5], 4)],
      forward: (x, w) => rmsNorm(x, w, 0.1),
      reference: refRmsNorm(0.1),
    });
  });

  it('normalises a transposed view', () => {
    checkOp({
      inputs: [randTensor([6, 4], 5), randTensor([6], 6)],
      forward: (x, w) => rmsNorm(transpose(x, 0, 1), w, 1e-5),
      reference: (x, w) => {
        const t = new Float64Array(24);
        for (let i = 0; i < 6; i++) for (let j = 0; j < 4; j++) t[j * 6 + i] = x.values[i * 4 + j];
        return refRmsNorm(1e-5)({ values: t, shape: [4, 6] }, w);
      },
    });
  });

  it('keeps zeros finite thanks to eps, propagates NaN, handles empty rows', () => {
    const y = rmsNorm(tensor(new Float32Array(4), [1, 4]), tensor(new Float32Array(4).fill(1), [4]), 1e-6);
    expect(Array.from(y.toFloat32Array())).toEqual([0, 0, 0, 0]);
    const n = rmsNorm(tensor(Float32Array.of(Number.NaN, 1), [1, 2]), tensor(Float32Array.of(1, 1), [2]), 1e-6);
    expect(n.toFloat32Array().every(Number.isNaN)).toBe(true);
    expect(rmsNorm(tensor(new Float32Array(0), [0, 4]), randTensor([4], 1), 1e-6).shape).toEqual([0, 4]);
  });

  it('rejects a wrong weight shape and a bad eps', () => {
    expect(() => rmsNorm(randTensor([2, 4], 1), randTensor([3], 2), 1e-6)).toThrow(
      'rmsNorm: weight [3] must be [4] for x [2, 4]',
    );
    expect(() => rmsNorm(randTensor([2, 4], 1), randTensor([4], 2), Number.NaN)).toThrow(ValueError);
    expect(() => rmsNorm(randTensor([], 1), randTensor([1], 2), 1e-6)).toThrow(ShapeError);
  });
});
