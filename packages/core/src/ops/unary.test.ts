import { describe, expect, it } from 'vitest';
import { DTypeError, ValueError } from '../errors.js';
import { Tensor, tensor } from '../tensor.js';
import { checkOp, type RefInput, randTensor } from '../testing/gradcheck.js';
import { abs, clamp, exp, log, neg, pow, relu, rsqrt, sigmoid, silu, sqrt, square, tanh } from './unary.js';
import { expand, transpose } from './view.js';

const sig = (x: number) => 1 / (1 + Math.exp(-x));
const map = (f: (x: number) => number) => (x: RefInput) => x.values.map(f);

// [name, op, float64 reference, input range]
const cases: [string, (x: Tensor) => Tensor, (x: number) => number, [number, number]][] = [
  ['neg', neg, (x) => -x, [-2, 2]],
  ['exp', exp, Math.exp, [-2, 2]],
  ['log', log, Math.log, [0.3, 3]],
  ['sqrt', sqrt, Math.sqrt, [0.3, 3]],
  ['rsqrt', rsqrt, (x) => 1 / Math.sqrt(x), [0.3, 3]],
  ['tanh', tanh, Math.tanh, [-2, 2]],
  ['relu', relu, (x) => Math.max(x, 0), [-2, 2]],
  ['sigmoid', sigmoid, sig, [-4, 4]],
  ['silu', silu, (x) => x * sig(x), [-4, 4]],
  ['abs', abs, Math.abs, [-2, 2]],
  ['square', square, (x) => x * x, [-2, 2]],
  ['pow 2.5', (x) => pow(x, 2.5), (x) => x ** 2.5, [0.3, 2]],
  ['pow 3 on negatives', (x) => pow(x, 3), (x) => x ** 3, [-2, -0.2]],
  ['pow -1', (x) => pow(x, -1), (x) => 1 / x, [0.5, 2]],
  ['clamp both', (x) => clamp(x, -0.5, 0.7), (x) => Math.min(Math.max(x, -0.5), 0.7), [-2, 2]],
  ['clamp min only', (x) => clamp(x, 0.1), (x) => Math.max(x, 0.1), [-2, 2]],
  ['clamp max only', (x) => clamp(x, undefined, 0.1), (x) => Math.min(x, 0.1), [-2, 2]],
];

describe.each(cases)('%s', (_name, op, f, [lo, hi]) => {
  it('matches the float64 reference and finite differences', () => {
    checkOp({ inputs: [randTensor([3, 5], 11, lo, hi)], forward: op, reference: map(f) });
  });
  it('reads a transposed view directly', () => {
    const x = randTensor([4, 3], 12, lo, hi);
    checkOp({
      inputs: [x],
      forward: (t) => op(transpose(t, 0, 1)),
      reference: (t) => Float64Array.from({ length: 12 }, (_, i) => f(t.values[(i % 4) * 3 + Math.floor(i / 4)])),
    });
  });
  it('reads a broadcast (expanded) view and sums its gradient', () => {
    checkOp({
      inputs: [randTensor([1, 4], 13, lo, hi)],
      forward: (t) => op(expand(t, [3, 4])),
      reference: (t) => Float64Array.from({ length: 12 }, (_, i) => f(t.values[i % 4])),
    });
  });
  it('agrees with the reference on a large input (threaded, SIMD path)', () => {
    const n = 70_001;
    const x = randTensor([n], 14, lo, hi).detach();
    const y = op(x).toFloat32Array();
    const xv = x.values();
    let worst = 0;
    for (let i = 0; i < n; i++) {
      const want = f(xv[i]);
      worst = Math.max(worst, Math.abs(y[i] - want) / Math.max(Math.abs(want), 1e-3));
    }
    expect(worst).toBeLessThan(1e-5);
  });
});

describe('unary edge cases', () => {
  it('clamp sends no gradient through clipped values', () => {
    const x = tensor(Float32Array.of(-3, 0.2, 5), [3]).requiresGrad_();
    clamp(x, -1, 1).backward(tensor(Float32Array.of(1, 1, 1), [3]));
    expect(Array.from(x.grad!.toFloat32Array())).toEqual([0, 1, 0]);
  });
  it('clamp with min > max gives max everywhere (torch.clamp)', () => {
    const x = tensor(Float32Array.of(-3, 0, 3), [3]);
    expect(Array.from(clamp(x, 2, 1).toFloat32Array())).toEqual([1, 1, 1]);
  });
  it('relu and abs have zero gradient at 0', () => {
    const x = tensor(Float32Array.of(0, 0), [2]).requiresGrad_();
    relu(x).backward(tensor(Float32Array.of(1, 1), [2]));
    expect(Array.from(x.grad!.toFloat32Array())).toEqual([0, 0]);
    x.grad = null;
    abs(x).backward(tensor(Float32Array.of(1, 1), [2]));
    expect(Array.from(x.grad!.toFloat32Array())).toEqual([0, 0]);
  });
  it('propagates NaN, and log/sqrt of negatives give NaN like IEEE float', () => {
    const x = tensor(Float32Array.of(Number.NaN, -1), [2]);
    for (const op of [neg, exp, tanh, relu, sigmoid, silu, abs, square, (t: Tensor) => clamp(t, 0, 1)]) {
      expect(Number.isNaN(op(x).toFloat32Array()[0])).toBe(true);
    }
    expect(Number.isNaN(log(x).toFloat32Array()[1])).toBe(true);
    expect(Number.isNaN(sqrt(x).toFloat32Array()[1])).toBe(true);
  });
  it('handles empty and 0-d tensors', () => {
    expect(exp(tensor(new Float32Array(0), [0, 4])).shape).toEqual([0, 4]);
    expect(square(tensor(Float32Array.of(3), [])).item()).toBe(9);
  });
  it('rejects bad parameters with typed errors', () => {
    const x = tensor(Float32Array.of(1, 2), [2]);
    expect(() => pow(x, Number.NaN)).toThrow(ValueError);
    expect(() => pow(x, Number.NaN)).toThrow('pow: exponent must be a finite number, got NaN');
    expect(() => clamp(x)).toThrow(ValueError);
    expect(() => clamp(x, Number.NaN, 1)).toThrow('clamp: min must be a finite number');
    const bad = new Tensor(new Float64Array(2) as unknown as Float32Array, [2]);
    expect(() => exp(bad)).toThrow(DTypeError);
    expect(() => exp(bad)).toThrow('exp: x must hold float32 values (a Float32Array), got Float64Array');
    expect(() => exp([1, 2] as unknown as Tensor)).toThrow('exp: x must be a Tensor, got Array');
  });
});
