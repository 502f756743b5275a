import { Tensor, tensor } from '@aha/core';
import { checkOp, type RefInput } from '@aha/core/testing';
import { describe, expect, it } from 'vitest';
import { type GrpoLossType, grpoLoss, grpoLossWithStats } from './loss.js';

const t2 = (rows: number[][]) => tensor(Float32Array.from(rows.flat()), [rows.length, rows[0].length]);

// A straightforward float64 reference written from the formulas in loss.ts' header, one token at a time.
function reference(
  lp: number[],
  old: number[],
  ref: number[] | null,
  adv: number[],
  mask: number[],
  L: number,
  o: { lossType: GrpoLossType; epsilonLow: number; epsilonHigh: number; beta: number; tokensInStep?: number },
): number {
  const B = adv.length;
  const per = lp.map((l, k) => {
    const a = adv[Math.floor(k / L)];
    const rho = Math.exp(l - old[k]);
    const clipped = Math.min(Math.max(rho, 1 - o.epsilonLow), 1 + o.epsilonHigh);
    let v = -Math.min(rho * a, clipped * a);
    if (ref && o.beta > 0) v += o.beta * (Math.exp(ref[k] - l) - (ref[k] - l) - 1);
    return v * mask[k];
  });
  const total = per.reduce((s, v) => s + v, 0);
  const tokens = mask.reduce((s, v) => s + v, 0);
  if (o.lossType === 'grpo') {
    let s = 0;
    for (let i = 0; i < B; i++) {
      let num = 0;
      let den = 0;
      for (let t = 0; t < L; t++) {
        num += per[i * L + t];
        den += mask[i * L + t];
      }
      s += num / Math.max(den, 1);
    }
    return s / B;
  }
  if (o.lossType === 'bnpo') return total / Math.max(tokens, 1);
  if (o.lossType === 'dr_grpo') return total / (B * L);
  return total / Math.max(o.tokensInStep ?? tokens, 1);
}

describe('grpoLoss by hand', () => {
  // ρ = 1 everywhere (μ = 1, first iteration): ℓ_t = −Â. Sequence 0 (Â = 1) has 2 tokens, sequence 1 (Â = −1) has 1.
  const logprobs = t2([
    [-1, -2],
    [-0.5, -1.5],
  ]);
  const mask = t2([
    [1, 1],
    [1, 0],
  ]);
  const base = { logprobs, oldLogprobs: logprobs.detach(), advantages: [1, -1], mask };
  const opts = { epsilonLow: 0.2, epsilonHigh: 0.2, beta: 0 };
  it.each([
    ['grpo', 0, 'per-sequence means −1 and +1, averaged'],
    ['bnpo', -1 / 3, '(−1 −1 +1) / 3 active tokens'],
    ['dr_grpo', -0.25, '(−1) / (B·L = 4)'],
  ] as const)('%s = %d: %s', (lossType, expected, _why) => {
    expect(grpoLoss(base, { ...opts, lossType }).item()).toBeCloseTo(expected, 6);
  });
  it('dapo divides by the active tokens of the whole step', () => {
    expect(grpoLoss(base, { ...opts, lossType: 'dapo', tokensInStep: 6 }).item()).toBeCloseTo(-1 / 6, 6);
  });
  it('reads ≈0 at μ = 1 for grpo while the gradient is −Â·m / (|o|·B), not zero', () => {
    const lp = logprobs.detach().requiresGrad_();
    grpoLoss({ ...base, logprobs: lp }, { ...opts, lossType: 'grpo' }).backward();
    expect(Array.from(lp.grad!.toFloat32Array())).toEqual([-0.25, -0.25, 0.5, 0]);
  });
  it('clips above at 1 + ε_high for positive advantages and stops their gradient', () => {
    const lp = t2([
      [-1 + Math.log(1.5), -2 + Math.log(1.1)],
      [-0.5, -1.5],
    ]).requiresGrad_();
    const { loss, stats } = grpoLossWithStats({ ...base, logprobs: lp }, { ...opts, lossType: 'bnpo' });
    // tokens: −min(1.5, 1.2) = −1.2; −1.1; +1 → −1.3 / 3
    expect(loss.item()).toBeCloseTo(-1.3 / 3, 5);
    expect(stats.clipHigh).toBeCloseTo(1 / 3, 6);
    expect(stats.clipLow).toBe(0);
    loss.backward();
    const g = lp.grad!.toFloat32Array();
    expect(g[0]).toBe(0); // clipped token: no gradient
    expect(g[1]).toBeCloseTo(-1.1 / 3, 5); // dℓ/dl = −Â·ρ / N
  });
  it('adds β·k3 KL, which is ≥ 0 and 0 when the policy equals the reference', () => {
    const ref = t2([
      [-0.9, -2],
      [-0.5, -1.4],
    ]);
    const { loss, stats } = grpoLossWithStats({ ...base, refLogprobs: ref }, { ...opts, lossType: 'bnpo', beta: 0.5 });
    const k = Math.exp(0.1) - 0.1 - 1; // tokens (0,0) and (1,1) differ by 0.1; (1,1) is masked
    expect(stats.kl).toBeCloseTo(k / 3, 6);
    expect(loss.item()).toBeCloseTo((-1 + 0.5 * k - 1 + 1) / 3, 6);
  });
});

describe('grpoLoss against the reference on random batches, with finite-difference gradients', () => {
  const B = 3;
  const L = 4;
  const r = (i: number) => Math.sin(i * 12.9898) * 0.3;
  const lpv = Array.from({ length: B * L }, (_, i) => -1 + r(i));
  const oldv = lpv.map((v, i) => v + r(i + 50) * 0.8); // ratios spread across both clip edges
  const refv = lpv.map((v, i) => v + r(i + 99));
  const adv = [0.7, -1.2, 0.3];
  const maskv = [1, 1, 1, 0, 1, 1, 0, 0, 1, 1, 1, 1];
  const types: GrpoLossType[] = ['grpo', 'bnpo', 'dr_grpo', 'dapo'];
  it.each(types)('%s', (lossType) => {
    const o = { lossType, epsilonLow: 0.2, epsilonHigh: 0.28, beta: 0.04, tokensInStep: 20 };
    const lp = new Tensor(Float32Array.from(lpv), [B, L]).requiresGrad_();
    checkOp({
      inputs: [lp],
      forward: (x) =>
        grpoLoss(
          {
            logprobs: x,
            oldLogprobs: new Tensor(Float32Array.from(oldv), [B, L]),
            refLogprobs: new Tensor(Float32Array.from(refv), [B, L]),
            advantages: adv,
            mask: new Tensor(Float32Array.from(maskv), [B, L]),
          },
          o,
        ),
      reference: (x: RefInput) => Float64Array.of(reference(Array.from(x.values), oldv, refv, adv, maskv, L, o)),
      forwardTol: 1e-5,
      eps: 1e-6,
    });
  });
});

describe('grpoLoss input errors', () => {
  const lp = t2([[-1, -1]]);
  const ok = { logprobs: lp, oldLogprobs: lp, advantages: [1], mask: t2([[1, 1]]) };
  const o = { lossType: 'grpo' as const, epsilonLow: 0.2, epsilonHigh: 0.2, beta: 0 };
  it('names mismatched shapes', () => {
    expect(() => grpoLoss({ ...ok, mask: t2([[1, 1, 1]]) }, o)).toThrow('grpoLoss: mask is [1, 3], logprobs is [1, 2]');
  });
  it('rejects a wrong number of advantages, NaN advantages, and β > 0 without a reference', () => {
    expect(() => grpoLoss({ ...ok, advantages: [1, 2] }, o)).toThrow('2 advantages for a batch of 1');
    expect(() => grpoLoss({ ...ok, advantages: [Number.NaN] }, o)).toThrow('finite');
    expect(() => grpoLoss(ok, { ...o, beta: 0.1 })).toThrow('beta > 0 needs refLogprobs');
  });
});
