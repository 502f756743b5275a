/**
 * The Tensor constructor and shape checks against crafted layouts: hand-made strides that reach past the storage, an
 * expand to 2^64 elements, sizes that are not safe integers. Before these checks a crafted view reached the kernels
 * (sum / max read out of bounds, a 2^64-element expand summed to a wrong value without error); now each one is a
 * ShapeError naming the shape, strides, offset and storage length. Leaves out: the native last-line checks with the
 * TypeScript layer bypassed (native/test/size-overflow.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { AhaError } from './errors.js';
import { contiguous } from './ops/copy.js';
import { max, mean, sum } from './ops/reduce.js';
import { exp } from './ops/unary.js';
import { expand, reshape } from './ops/view.js';
import { Tensor, tensor, zeros } from './tensor.js';

const storage = (n: number) => new Float32Array(n);

describe('crafted layouts are ShapeErrors', () => {
  const cases: [string, () => unknown, RegExp][] = [
    [
      'strides reaching past the storage',
      () => new Tensor(storage(4), [2, 2], [2, 4]),
      /reaches element 6, past .* 4 values/,
    ],
    ['offset past the storage', () => new Tensor(storage(4), [1], [1], 4), /reaches element 4/],
    [
      'a wrapping stride extent (2^24 · 2^40)',
      () => new Tensor(storage(1), [2 ** 24 + 1], [2 ** 40]),
      /past the storage/,
    ],
    ['a negative stride', () => new Tensor(storage(4), [2], [-1], 3), /invalid stride -1/],
    ['a fractional stride', () => new Tensor(storage(4), [2], [1.5]), /invalid stride 1.5/],
    ['strides of another rank', () => new Tensor(storage(4), [2, 2], [1]), /do not match shape/],
    ['a negative offset', () => new Tensor(storage(4), [2], [1], -1), /invalid offset -1/],
    ['a size beyond 2^53', () => new Tensor(storage(1), [2 ** 60], [0]), /invalid size/],
    ['2^64 elements from safe sizes', () => new Tensor(storage(1), [2 ** 32, 2 ** 32], [0, 0]), /more than 2\^53/],
    ['expand to 2^64 elements', () => expand(tensor(storage(1), [1, 1]), [2 ** 32, 2 ** 32]), /more than 2\^53/],
    ['zeros of 2^64 elements', () => zeros([2 ** 32, 2 ** 32]), /more than 2\^53/],
    ['reshape to a NaN size', () => reshape(tensor(storage(4), [4]), [Number.NaN]), /invalid size|cannot reshape/],
  ];
  it.each(cases)('%s', (_what, run, message) => {
    let error: unknown;
    try {
      run();
    } catch (e) {
      error = e;
    }
    expect(AhaError.is(error, 'shape')).toBe(true);
    expect((error as Error).message).toMatch(message);
  });

  it('real views pass: an expand of stride 0, an empty view at the end of its storage, a transposed view', () => {
    const x = tensor(Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3]);
    expect(sum(expand(tensor(Float32Array.of(2), [1, 1]), [1000, 1000])).item()).toBe(2e6);
    expect(new Tensor(storage(4), [0, 5], [5, 1], 4).numel).toBe(0);
    expect(Array.from(contiguous(new Tensor(x.storage, [3, 2], [1, 3])).values())).toEqual([1, 4, 2, 5, 3, 6]);
    expect(max(x, 1).toArray()).toEqual([3, 6]);
    expect(mean(exp(zeros([2, 2]))).item()).toBe(1);
  });
});
