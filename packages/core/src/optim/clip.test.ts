import { describe, expect, it } from 'vitest';
import { ValueError } from '../errors.js';
import { type Tensor, tensor } from '../tensor.js';
import { clipGradNorm } from './clip.js';

function param(grad: number[] | null): Tensor {
  const p = tensor(new Float32Array(grad?.length ?? 1), [grad?.length ?? 1]).requiresGrad_();
  if (grad) p.grad = tensor(Float32Array.from(grad), [grad.length]);
  return p;
}

describe('clipGradNorm', () => {
  it('returns the global norm and scales all gradients down to maxNorm', () => {
    const a = param([3, 4]);
    const b = param([12]);
    const c = param(null);
    expect(clipGradNorm([a, b, c], 6.5)).toBeCloseTo(13, 6); // √(9 + 16 + 144)
    const scale = 6.5 / (13 + 1e-6);
    expect(Array.from(a.grad!.values())).toEqual([Math.fround(3 * scale), Math.fround(4 * scale)]);
    expect(b.grad!.values()[0]).toBeCloseTo(12 * scale, 5);
    expect(clipGradNorm([a, b], 100)).toBeCloseTo(6.5, 4);
  });
  it('leaves gradients under the limit untouched', () => {
    const a = param([0.3, 0.4]);
    expect(clipGradNorm([a], 1)).toBeCloseTo(0.5, 6);
    expect(Array.from(a.grad!.values())).toEqual([Math.fround(0.3), Math.fround(0.4)]);
  });
  it('sums a large gradient across threads', () => {
    const n = 100_000;
    const p = tensor(new Float32Array(n), [n]);
    p.grad = tensor(new Float32Array(n).fill(0.5), [n]);
    expect(clipGradNorm([p], 1e9)).toBeCloseTo(Math.sqrt(n * 0.25), 6);
  });
  it('returns a non-finite norm without touching the gradients', () => {
    const a = param([Number.NaN, 1]);
    expect(Number.isNaN(clipGradNorm([a], 1))).toBe(true);
    expect(a.grad!.values()[1]).toBe(1);
  });
  it('rejects a bad maxNorm', () => {
    expect(() => clipGradNorm([], 0)).toThrow(ValueError);
    expect(() => clipGradNorm([], Number.NaN)).toThrow(
      'clipGradNorm: maxNorm must be a positive finite number, got NaN',
    );
    expect(clipGradNorm([], 1)).toBe(0);
  });
});
