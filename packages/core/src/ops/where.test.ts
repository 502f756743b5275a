import { describe, expect, it } from 'vitest';
import { DTypeError, ShapeError, ValueError } from '../errors.js';
import { type Tensor, tensor } from '../tensor.js';
import { checkOp, type RefInput, randTensor, rng } from '../testing/gradcheck.js';
import { transpose } from './view.js';
import { maskedFill, where } from './where.js';

function maskTensor(shape: number[], seed: number): Tensor {
  const r = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(
    Float32Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0)),
    shape,
  );
}

// Index of `idx` (in an output of `out` shape) inside an input of `shape` broadcast to it.
function bcastIndex(shape: number[], out: number[], i: number): number {
  const lead = out.length - shape.length;
  let rem = i;
  const idx: number[] = [];
  for (let d = out.length - 1; d >= 0; d--) {
    idx[d] = rem % out[d];
    rem = Math.floor(rem / out[d]);
  }
  let flat = 0;
  for (let d = 0; d < shape.length; d++) flat = flat * shape[d] + (shape[d] === 1 ? 0 : idx[lead + d]);
  return flat;
}

function refWhere(mask: Tensor, out: number[]) {
  const m = mask.toFloat32Array();
  const n = out.reduce((a, b) => a * b, 1);
  return (a: RefInput, b: RefInput) =>
    Float64Array.from({ length: n }, (_, i) =>
      m[bcastIndex(mask.shape, out, i)] !== 0
        ? a.values[bcastIndex(a.shape, out, i)]
        : b.values[bcastIndex(b.shape, out, i)],
    );
}

describe('where', () => {
  it('selects elementwise and routes gradients to a and b', () => {
    const mask = maskTensor([3, 4], 1);
    checkOp({
      inputs: [randTensor([3, 4], 2), randTensor([3, 4], 3)],
      forward: (a, b) => where(mask, a, b),
      reference: refWhere(mask, [3, 4]),
    });
  });
  it('broadcasts mask, a and b together, summing broadcast gradients', () => {
    const mask = maskTensor([3, 1], 4);
    checkOp({
      inputs: [randTensor([4], 5), randTensor([2, 1, 1], 6)],
      forward: (a, b) => where(mask, a, b),
      reference: refWhere(mask, [2, 3, 4]),
    });
  });
  it('reads a transposed mask and a transposed operand', () => {
    const maskT = maskTensor([4, 3], 7);
    const mask = transpose(maskT, 0, 1);
    const a = randTensor([4, 3], 8);
    checkOp({
      inputs: [a, randTensor([3, 4], 9)],
      forward: (x, y) => where(mask, transpose(x, 0, 1), y),
      reference: (x, y) => {
        const xt = Float64Array.from({ length: 12 }, (_, i) => x.values[(i % 4) * 3 + Math.floor(i / 4)]);
        return refWhere(tensor(mask.toFloat32Array(), [3, 4]), [3, 4])({ values: xt, shape: [3, 4] }, y);
      },
    });
  });
  it('takes numbers for a and b', () => {
    const mask = tensor(Float32Array.of(1, 0, 1), [3]);
    expect(Array.from(where(mask, 5, -1).toFloat32Array())).toEqual([5, -1, 5]);
  });
  it('rejects shapes that do not broadcast and non-tensors', () => {
    const mask = tensor(new Float32Array(6), [2, 3]);
    expect(() => where(mask, tensor(new Float32Array(4), [4]), 0)).toThrow(ShapeError);
    expect(() => where([1] as unknown as Tensor, 1, 0)).toThrow(DTypeError);
  });
});

describe('maskedFill', () => {
  it('fills where the mask is set, and the gradient flows to x elsewhere', () => {
    const mask = maskTensor([1, 5], 10);
    const m = mask.toFloat32Array();
    checkOp({
      inputs: [randTensor([3, 5], 11)],
      forward: (x) => maskedFill(x, mask, -7),
      reference: (x) => x.values.map((v, i) => (m[i % 5] !== 0 ? -7 : v)),
    });
  });
  it('accepts -Infinity (attention masks)', () => {
    const x = tensor(Float32Array.of(1, 2), [2]);
    const out = maskedFill(x, tensor(Float32Array.of(0, 1), [2]), Number.NEGATIVE_INFINITY).toFloat32Array();
    expect(Array.from(out)).toEqual([1, Number.NEGATIVE_INFINITY]);
  });
  it('rejects a mask that would grow x, and a NaN value', () => {
    const x = tensor(new Float32Array(3), [3]);
    expect(() => maskedFill(x, tensor(new Float32Array(6), [2, 3]), 0)).toThrow(
      'maskedFill: mask [2, 3] does not broadcast to x [3]',
    );
    expect(() => maskedFill(x, tensor(new Float32Array(3), [3]), Number.NaN)).toThrow(ValueError);
  });
});
