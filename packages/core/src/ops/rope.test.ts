import { describe, expect, it } from 'vitest';
import { ShapeError, ValueError } from '../errors.js';
import { type Tensor, tensor } from '../tensor.js';
import { checkOp, type RefInput, randTensor } from '../testing/gradcheck.js';
import { type RopeLayout, rope } from './rope.js';
import { transpose } from './view.js';

// Tables for angle θ = pos · base^(−2i/D), as HF DeepseekV3RotaryEmbedding computes them (per batch when B > 1).
function tables(B: number, T: number, half: number, shift = 0): [Tensor, Tensor] {
  const c = new Float32Array(B * T * half);
  const s = new Float32Array(B * T * half);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++)
      for (let i = 0; i < half; i++) {
        const theta = (t + b * shift) * 10000 ** (-i / half);
        c[(b * T + t) * half + i] = Math.cos(theta);
        s[(b * T + t) * half + i] = Math.sin(theta);
      }
  return [tensor(c, [B, T, half]), tensor(s, [B, T, half])];
}

// HF formulas, literally: 'half' = x·cos2 + rotate_half(x)·sin2 with cos2 = cat(cos, cos); 'interleaved' = the same
// on adjacent pairs (the complex multiply of DeepSeek's inference/model.py).
function refRope(cos: Tensor, sin: Tensor, layout: RopeLayout) {
  const c = cos.toFloat32Array();
  const s = sin.toFloat32Array();
  const tb = cos.shape[0];
  return (x: RefInput): Float64Array => {
    const [B, H, T, D] = x.shape;
    const half = D / 2;
    const out = new Float64Array(x.values.length);
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++)
        for (let t = 0; t < T; t++) {
          const base = ((b * H + h) * T + t) * D;
          const row = ((tb === 1 ? 0 : b) * T + t) * half;
          for (let d = 0; d < D; d++) {
            const i = layout === 'half' ? d % half : d >> 1;
            let rotated: number;
            if (layout === 'half') rotated = d < half ? -x.values[base + d + half] : x.values[base + d - half];
            else rotated = d % 2 === 0 ? -x.values[base + d + 1] : x.values[base + d - 1];
            out[base + d] = x.values[base + d] * c[row + i] + rotated * s[row + i];
          }
        }
    return out;
  };
}

describe.each(['half', 'interleaved'] as const)('rope (%s)', (layout) => {
  it('rotates pairs as HF does, gradient is the inverse rotation', () => {
    const [c, s] = tables(1, 5, 4);
    checkOp({
      inputs: [randTensor([2, 3, 5, 8], 1)],
      forward: (x) => rope(x, c, s, layout),
      reference: refRope(c, s, layout),
    });
    const [cb, sb] = tables(2, 3, 2, 7); // per-batch positions (left-padded batches)
    checkOp({
      inputs: [randTensor([2, 2, 3, 4], 2)],
      forward: (x) => rope(x, cb, sb, layout),
      reference: refRope(cb, sb, layout),
    });
  });

  it('reads a [B, T, H, D] projection transposed to [B, H, T, D] in place', () => {
    const [c, s] = tables(1, 4, 3);
    checkOp({
      inputs: [randTensor([2, 4, 3, 6], 3)],
      forward: (x) => rope(transpose(x, 1, 2), c, s, layout),
      reference: (x) => {
        const [B, T, H, D] = x.shape;
        const v = new Float64Array(x.values.length);
        for (let b = 0; b < B; b++)
          for (let t = 0; t < T; t++)
            for (let h = 0; h < H; h++)
              for (let d = 0; d < D; d++) v[((b * H + h) * T + t) * D + d] = x.values[((b * T + t) * H + h) * D + d];
        return refRope(c, s, layout)({ values: v, shape: [B, H, T, D] });
      },
    });
  });

  it('preserves each pair norm (a rotation)', () => {
    const x = randTensor([1, 1, 2, 6], 4);
    const [c, s] = tables(1, 2, 3);
    const y = rope(x, c, s, layout).toFloat32Array();
    const v = x.toFloat32Array();
    const norm = (a: Float32Array) => a.reduce((p, q) => p + q * q, 0);
    expect(norm(y)).toBeCloseTo(norm(v), 5);
  });
});

describe('rope errors', () => {
  it('rejects bad shapes and layouts, propagates NaN', () => {
    const [c, s] = tables(1, 3, 2);
    expect(() => rope(randTensor([1, 1, 3, 5], 1), c, s, 'half')).toThrow(ShapeError);
    expect(() => rope(randTensor([1, 1, 4, 4], 1), c, s, 'half')).toThrow(
      'rope: cos [1, 3, 2] must be [1 or 1, 4, 2] for x [1, 1, 4, 4]',
    );
    expect(() => rope(randTensor([1, 1, 3, 4], 1), c, s, 'neox' as RopeLayout)).toThrow(ValueError);
    const x = tensor(Float32Array.of(Number.NaN, 1, 0, 0), [1, 1, 1, 4]);
    const [c1, s1] = tables(1, 1, 2);
    expect(Number.isNaN(rope(x, c1, s1, 'interleaved').toFloat32Array()[0])).toBe(true);
    expect(rope(tensor(new Float32Array(0), [0, 2, 3, 4]), c, s, 'half').shape).toEqual([0, 2, 3, 4]);
  });
});
