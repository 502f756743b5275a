import { ShapeError, tensor, ValueError } from '@aha/core';
import { checkOp, type RefInput, randTensor } from '@aha/core/testing';
import { describe, expect, it } from 'vitest';
import { type Divergence, distillLoss, forwardKl, generalizedJsd, reverseKl, tokenDivergence } from './losses.js';

// Float64 reference: per-position divergence from raw logits rows, then the masked mean.
function logSoftmax64(row: ArrayLike<number>, tau: number): number[] {
  const z = Array.from(row, (v) => v / tau);
  const m = Math.max(...z);
  const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
  return z.map((v) => v - lse);
}
const kl64 = (lp: number[], lq: number[]) => lp.reduce((s, v, i) => s + Math.exp(v) * (v - lq[i]), 0);
function divergence64(s: number[], t: number[], kind: Divergence, tau: number, beta: number): number {
  const ls = logSoftmax64(s, tau);
  const lt = logSoftmax64(t, tau);
  if (kind === 'forward_kl' || (kind === 'jsd' && beta === 0)) return kl64(lt, ls);
  if (kind === 'reverse_kl' || (kind === 'jsd' && beta === 1)) return kl64(ls, lt);
  const lm = lt.map((v, i) => Math.log(beta * Math.exp(v) + (1 - beta) * Math.exp(ls[i])));
  return beta * kl64(lt, lm) + (1 - beta) * kl64(ls, lm);
}
function reference(kind: Divergence, mask: number[][], tau: number, beta: number) {
  return (s: RefInput, t: RefInput) => {
    const [B, T, V] = s.shape;
    let total = 0;
    let count = 0;
    for (let b = 0; b < B; b++)
      for (let i = 0; i < T; i++) {
        if (!mask[b][i]) continue;
        const o = (b * T + i) * V;
        total +=
          mask[b][i] *
          divergence64(
            Array.from(s.values.subarray(o, o + V)),
            Array.from(t.values.subarray(o, o + V)),
            kind,
            tau,
            beta,
          );
        count += mask[b][i];
      }
    return Float64Array.of(count ? total / count : 0);
  };
}

describe('distillation losses against a float64 reference (forward and finite-difference gradients)', () => {
  const mask = [
    [0, 1, 1, 1],
    [1, 1, 0, 0],
  ];
  const cases: [string, Divergence, number, number][] = [
    ['forward KL, τ = 1', 'forward_kl', 1, 0.5],
    ['forward KL, τ = 2', 'forward_kl', 2, 0.5],
    ['reverse KL, τ = 1', 'reverse_kl', 1, 0.5],
    ['reverse KL, τ = 0.7', 'reverse_kl', 0.7, 0.5],
    ['JSD β = 0.5', 'jsd', 1, 0.5],
    ['JSD β = 0.1, τ = 1.5', 'jsd', 1.5, 0.1],
    ['JSD β = 0.9', 'jsd', 1, 0.9],
    ['JSD β = 0 is forward KL', 'jsd', 1, 0],
    ['JSD β = 1 is reverse KL', 'jsd', 1, 1],
  ];
  it.each(cases)('%s', (_name, kind, temperature, beta) => {
    checkOp({
      inputs: [randTensor([2, 4, 6], 11, -3, 3), randTensor([2, 4, 6], 12, -3, 3)],
      forward: (s, t) => distillLoss(s, t, kind, { mask, temperature, beta }),
      reference: reference(kind, mask, temperature, beta),
      forwardTol: 1e-4,
      gradTol: 2e-3,
    });
  });

  it('stays finite and exact when the two distributions barely overlap (JSD mixture never takes log 0)', () => {
    checkOp({
      inputs: [randTensor([1, 2, 5], 21, -40, 40), randTensor([1, 2, 5], 22, -40, 40)],
      forward: (s, t) => generalizedJsd(s, t, { beta: 0.3 }),
      reference: reference('jsd', [[1, 1]], 1, 0.3),
      forwardTol: 1e-4,
      gradTol: 5e-3,
    });
  });
});

describe('hand-worked case', () => {
  // Teacher p = [1/2, 1/2] (logits 0, 0); student q = [1/4, 3/4] (logits 0, ln 3).
  const student = tensor(Float32Array.of(0, Math.log(3)), [1, 1, 2]);
  const teacher = tensor(Float32Array.of(0, 0), [1, 1, 2]);
  it('forward KL(p‖q) = ½ ln 2 + ½ ln(2/3) = ½ ln(4/3)', () => {
    expect(forwardKl(student, teacher).item()).toBeCloseTo(0.5 * Math.log(4 / 3), 6);
  });
  it('reverse KL(q‖p) = ¼ ln(1/2) + ¾ ln(3/2)', () => {
    expect(reverseKl(student, teacher).item()).toBeCloseTo(0.25 * Math.log(0.5) + 0.75 * Math.log(1.5), 6);
  });
  it('JSD(½) with m = [3/8, 5/8]', () => {
    const klPm = 0.5 * Math.log(0.5 / 0.375) + 0.5 * Math.log(0.5 / 0.625);
    const klQm = 0.25 * Math.log(0.25 / 0.375) + 0.75 * Math.log(0.75 / 0.625);
    expect(generalizedJsd(student, teacher, { beta: 0.5 }).item()).toBeCloseTo(0.5 * klPm + 0.5 * klQm, 6);
  });
  it('is 0 for equal distributions and ignores masked-out positions', () => {
    const s = tensor(Float32Array.of(1, 2, 3, 9, 0, 0), [1, 2, 3]);
    const t = tensor(Float32Array.of(1, 2, 3, 0, 0, 9), [1, 2, 3]);
    for (const kind of ['forward_kl', 'reverse_kl', 'jsd'] as const) {
      expect(distillLoss(s, t, kind, { mask: [[1, 0]] }).item()).toBeCloseTo(0, 6);
      expect(distillLoss(s, t, kind, { mask: [[1, 1]] }).item()).toBeGreaterThan(0.1);
    }
    expect(tokenDivergence(s, t, 'forward_kl').shape).toEqual([1, 2]);
  });
});

describe('argument errors', () => {
  const a = tensor(new Float32Array(6), [1, 2, 3]);
  it('names mismatched shapes, a bad mask, τ and β', () => {
    expect(() => forwardKl(a, tensor(new Float32Array(8), [1, 2, 4]))).toThrow(ShapeError);
    expect(() => forwardKl(a, tensor(new Float32Array(8), [1, 2, 4]))).toThrow(
      /\[1, 2, 3\] and teacherLogits \[1, 2, 4\]/,
    );
    expect(() => forwardKl(a, a, { mask: [[1]] })).toThrow(/mask is 1 rows of \[1\]/);
    expect(() => forwardKl(a, a, { temperature: 0 })).toThrow(ValueError);
    expect(() => generalizedJsd(a, a, { beta: 1.5 })).toThrow(/beta must be in \[0, 1\], got 1.5/);
  });
});
