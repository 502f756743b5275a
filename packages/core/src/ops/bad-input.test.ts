/**
 * Bad input against the native layer and the ops above it: wrong dtypes, short buffers, mismatched ranks, NaN sizes,
 * negative or out-of-range dims, empty tensors. Every case must end in a thrown error (typed, from the TypeScript
 * layer; TypeError / RangeError from the native boundary when the TypeScript checks are bypassed), never in a crash or
 * an out-of-bounds read.
 */
import { describe, expect, it } from 'vitest';
import { AhaError } from '../errors.js';
import { nativeTable } from '../native.js';
import { AdamW } from '../optim/adamw.js';
import { Tensor, tensor } from '../tensor.js';
import { maximum } from './binary.js';
import { cat, split } from './cat.js';
import { max, mean, sum } from './reduce.js';
import { logSoftmax, softmax } from './softmax.js';
import { exp, pow, sigmoid } from './unary.js';
import { maskedFill, where } from './where.js';

const f32 = (n: number) => new Float32Array(n);
const f64Tensor = () => new Tensor(new Float64Array(6) as unknown as Float32Array, [2, 3]);
const x = () => tensor(f32(6), [2, 3]);
// biome-ignore lint/suspicious/noExplicitAny: calling raw kernels with deliberately wrong arguments.
const k = (name: string) => nativeTable()[name] as (...args: any[]) => unknown;

describe('typed errors from the ops', () => {
  const cases: [string, () => unknown, string][] = [
    ['Float64Array storage (unary)', () => exp(f64Tensor()), 'dtype'],
    ['Float64Array storage (reduce)', () => sum(f64Tensor()), 'dtype'],
    ['Float64Array storage (softmax)', () => softmax(f64Tensor()), 'dtype'],
    ['Float64Array storage (cat)', () => cat([x(), f64Tensor()], 0), 'dtype'],
    ['Float64Array mask', () => where(f64Tensor(), x(), 0), 'dtype'],
    ['a plain array as a tensor', () => sigmoid([1, 2] as unknown as Tensor), 'dtype'],
    ['NaN exponent', () => pow(x(), Number.NaN), 'value'],
    ['dim out of range (sum)', () => mean(x(), 5), 'index'],
    ['negative dim out of range (max)', () => max(x(), -3), 'index'],
    ['fractional dim', () => logSoftmax(x(), 0.5), 'index'],
    ['Float64Array storage (binary)', () => maximum(f64Tensor(), 1), 'dtype'],
    ['dims that are not numbers', () => sum(x(), 'all' as unknown as number), 'value'],
    ['shapes that do not broadcast', () => maximum(x(), tensor(f32(4), [4])), 'shape'],
    ['mask that grows x', () => maskedFill(tensor(f32(3), [3]), x(), 0), 'shape'],
    ['split sizes that do not add up', () => split(x(), [1, 1], 1), 'shape'],
    ['max over an empty dim', () => max(tensor(f32(0), [3, 0]), 1), 'shape'],
    ['optimizer over a Float64Array parameter', () => new AdamW([f64Tensor()]), 'dtype'],
  ];
  it.each(cases)('%s', (_name, run, code) => {
    let thrown: unknown;
    try {
      run();
    } catch (err) {
      thrown = err;
    }
    expect(AhaError.is(thrown, code as never), `expected AhaError[${code}], got ${String(thrown)}`).toBe(true);
  });
  it('empty tensors flow through every op', () => {
    const e = tensor(f32(0), [0, 3]).requiresGrad_();
    const y = sum(add3(exp(e), softmax(e), logSoftmax(e, 0)), 1);
    expect(y.shape).toEqual([0]);
    mean(y).backward();
    expect(e.grad!.shape).toEqual([0, 3]);
  });
});

function add3(a: Tensor, b: Tensor, c: Tensor): Tensor {
  return cat([a, b, c], 0);
}

describe('the native boundary throws instead of crashing', () => {
  const shape = [2, 3];
  const strides = [3, 1];
  const cases: [string, () => unknown][] = [
    ['unary: Float64Array input', () => k('unaryForward')(1, shape, new Float64Array(6), strides, 0, 0, 0, f32(6))],
    ['unary: input too short for its strides', () => k('unaryForward')(1, shape, f32(5), strides, 0, 0, 0, f32(6))],
    ['unary: offset past the end', () => k('unaryForward')(1, shape, f32(6), strides, 4, 0, 0, f32(6))],
    ['unary: output too short', () => k('unaryForward')(1, shape, f32(6), strides, 0, 0, 0, f32(2))],
    ['unary: unknown opcode', () => k('unaryForward')(99, shape, f32(6), strides, 0, 0, 0, f32(6))],
    ['unary: strides rank mismatch', () => k('unaryForward')(1, shape, f32(6), [1], 0, 0, 0, f32(6))],
    ['unary: NaN in the shape', () => k('unaryForward')(1, [Number.NaN], f32(6), [1], 0, 0, 0, f32(6))],
    ['unary: negative size', () => k('unaryForward')(1, [-1], f32(6), [1], 0, 0, 0, f32(6))],
    ['unary backward: missing gradient', () => k('unaryBackward')(1, shape, f32(6), strides, 0, 0, 0)],
    ['binary: opcode past minimum', () => k('binaryForward')(6, shape, f32(6), strides, 0, f32(6), strides, 0, f32(6))],
    [
      'where: mask too short',
      () => k('whereForward')(shape, f32(2), strides, 0, f32(6), strides, 0, f32(6), strides, 0, f32(6)),
    ],
    [
      'where backward: gradient too small',
      () => k('whereBackward')(shape, f32(6), strides, 0, f32(6), f32(2), strides, null, strides),
    ],
    ['sum: kept dims beyond the rank', () => k('sumForward')(shape, strides, 0, f32(6), 3, 1, f32(6))],
    ['sum: output too short', () => k('sumForward')(shape, strides, 0, f32(6), 1, 1, f32(1))],
    ['max: empty reduced dim', () => k('maxForward')([2, 0], [0, 1], 0, f32(0), f32(2), new Int32Array(2))],
    ['max: argmax as Float32Array', () => k('maxForward')(shape, strides, 0, f32(6), f32(2), f32(2))],
    ['max backward: argmax out of range', () => k('maxBackward')(shape, strides, f32(2), Int32Array.of(0, 7), f32(6))],
    ['softmax: buffer smaller than rows·cols', () => k('softmaxForward')(4, 4, f32(15), f32(16), false)],
    ['cat: an input is not a Float32Array', () => k('catForward')(1, 1, [2, 2], [f32(2), [1, 2]], f32(4))],
    ['cat: wrong number of inputs', () => k('catForward')(1, 1, [2, 2], [f32(2)], f32(4))],
    ['cat: input too short', () => k('catForward')(2, 1, [2, 2], [f32(4), f32(3)], f32(8))],
    ['cat backward: gradient too small', () => k('catBackward')(1, 1, [2, 2], f32(4), [f32(2), f32(1)])],
    [
      'adamw: state shorter than the parameter',
      () => k('adamwStep')(f32(4), f32(4), f32(4), f32(3), 4, 0.1, 0.9, 0.99, 1e-8, 0, 1),
    ],
    ['adamw: step 0', () => k('adamwStep')(f32(4), f32(4), f32(4), f32(4), 4, 0.1, 0.9, 0.99, 1e-8, 0, 0)],
    [
      'sgd: Float64Array gradient',
      () => k('sgdStep')(f32(4), new Float64Array(4), null, 4, 0.1, 0, 0, 0, false, false),
    ],
    ['sumSquares: n past the end', () => k('sumSquares')(f32(4), 5)],
    ['scaleInPlace: missing scale', () => k('scaleInPlace')(f32(4), 4)],
  ];
  it.each(cases)('%s', (_name, run) => {
    expect(run).toThrow(/argument|too small|rank|range|empty|needs|opcode|entries|must/);
  });
});
