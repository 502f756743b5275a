import { tensor } from '@aha/core';
import { checkOp, type RefInput, randTensor } from '@aha/core/testing';
import { describe, expect, it } from 'vitest';
import { binaryCrossEntropyLoss, bradleyTerryLoss, logSigmoid } from './losses.js';

const vec = (xs: number[]) => tensor(Float32Array.from(xs), [xs.length]);
/** −log σ(d) = log(1 + e^{−d}), by hand. */
const nls = (d: number) => Math.log1p(Math.exp(-d));

describe('logSigmoid', () => {
  it('matches log σ(x), stays finite at ±100 and has the exact gradient 1/2 at 0', () => {
    const y = logSigmoid(vec([0, 2, -3, 100, -100])).toFloat32Array();
    expect(y[0]).toBeCloseTo(-Math.LN2, 6);
    expect(y[1]).toBeCloseTo(-nls(2), 6);
    expect(y[2]).toBeCloseTo(-nls(-3), 5);
    expect(y[3]).toBeCloseTo(0, 6);
    expect(y[4]).toBeCloseTo(-100, 3);
    const x = vec([0]).requiresGrad_();
    logSigmoid(x).backward(vec([1]));
    expect(x.grad?.toFloat32Array()[0]).toBeCloseTo(0.5, 6);
  });
});

describe('bradleyTerryLoss', () => {
  const rc = [1, 0.5, -2, 3];
  const rr = [0, 1, -2, -1];
  const cases: { why: string; margin?: number | number[]; c?: number; expected: number }[] = [
    {
      why: 'plain BT: mean −log σ(r_c − r_r) over d = [1, −0.5, 0, 4]',
      expected: (nls(1) + nls(-0.5) + nls(0) + nls(4)) / 4,
    },
    {
      why: 'a constant margin shifts every difference by −m',
      margin: 1,
      expected: (nls(0) + nls(-1.5) + nls(-1) + nls(3)) / 4,
    },
    {
      why: 'per-pair margins (Llama 2)',
      margin: [0, 0.5, 1, 2],
      expected: (nls(1) + nls(-1) + nls(-1) + nls(2)) / 4,
    },
    {
      why: 'centering adds c · mean((r_c + r_r)²) = 0.1 · (1 + 2.25 + 16 + 4) / 4',
      c: 0.1,
      expected: (nls(1) + nls(-0.5) + nls(0) + nls(4)) / 4 + (0.1 * (1 + 2.25 + 16 + 4)) / 4,
    },
  ];
  for (const k of cases) {
    it(k.why, () => {
      const out = bradleyTerryLoss(vec(rc), vec(rr), { margin: k.margin, centerRewardsCoefficient: k.c });
      expect(out.loss.shape).toEqual([]);
      expect(out.loss.item()).toBeCloseTo(k.expected, 6);
    });
  }

  it('reports accuracy (ties count as wrong), the mean margin and the mean rewards', () => {
    const out = bradleyTerryLoss(vec(rc), vec(rr));
    expect(out.accuracy).toBe(0.5); // pairs 0 and 3; pair 2 is a tie
    expect(out.marginMean).toBeCloseTo((1 - 0.5 + 0 + 4) / 4, 6);
    expect(out.chosenMean).toBeCloseTo(2.5 / 4, 6);
    expect(out.rejectedMean).toBeCloseTo(-2 / 4, 6);
  });

  it('accepts [N, 1] rewards (the value head output) and is stable for large gaps', () => {
    const out = bradleyTerryLoss(tensor(Float32Array.of(60, -60), [2, 1]), tensor(Float32Array.of(-60, 60), [2, 1]));
    expect(out.loss.item()).toBeCloseTo(60, 3); // (0 + 120) / 2
  });

  it('has the analytic gradient (finite differences, with margin and centering)', () => {
    const margin = [0.3, -0.2, 0, 1, 0.5];
    const c = 0.05;
    checkOp({
      inputs: [randTensor([5], 1, -2, 2), randTensor([5], 2, -2, 2)],
      forward: (a, b) => bradleyTerryLoss(a, b, { margin, centerRewardsCoefficient: c }).loss,
      reference: (a: RefInput, b: RefInput) => {
        let s = 0;
        let q = 0;
        for (let i = 0; i < 5; i++) {
          s += nls(a.values[i] - b.values[i] - margin[i]);
          q += (a.values[i] + b.values[i]) ** 2;
        }
        return Float64Array.of(s / 5 + (c * q) / 5);
      },
    });
  });

  it('rejects mismatched shapes, margins and a negative coefficient', () => {
    expect(() => bradleyTerryLoss(vec([1, 2]), vec([1]))).toThrow(/chosen has 2 rewards, rejected 1/);
    expect(() => bradleyTerryLoss(vec([1, 2]), vec([1, 2]), { margin: [1] })).toThrow(/margin has 1 entries/);
    expect(() => bradleyTerryLoss(tensor(new Float32Array(4), [2, 2]), vec([1, 2]))).toThrow(/\[N\] or \[N, 1\]/);
    expect(() => bradleyTerryLoss(vec([1]), vec([1]), { centerRewardsCoefficient: -1 })).toThrow(/≥ 0/);
  });
});

describe('binaryCrossEntropyLoss', () => {
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  const bce = (z: number, y: number) => -(y * Math.log(sig(z)) + (1 - y) * Math.log(1 - sig(z)));

  it('equals mean −(y log σ(z) + (1 − y) log(1 − σ(z))), with soft labels, and reports accuracy', () => {
    const z = [2, -1, 0.5, -3];
    const y = [1, 0, 0, 0.25];
    const out = binaryCrossEntropyLoss(vec(z), y);
    expect(out.loss.item()).toBeCloseTo(z.reduce((s, zi, i) => s + bce(zi, y[i]), 0) / 4, 6);
    expect(out.accuracy).toBe(0.75); // sample 2 predicts 1 for label 0
    expect(out.probabilityMean).toBeCloseTo(z.reduce((s, zi) => s + sig(zi), 0) / 4, 6);
  });

  it('is ln 2 at z = 0 whatever the label, and finite for confident logits', () => {
    expect(binaryCrossEntropyLoss(vec([0, 0]), [1, 0]).loss.item()).toBeCloseTo(Math.LN2, 6);
    expect(binaryCrossEntropyLoss(vec([80]), [0]).loss.item()).toBeCloseTo(80, 3);
  });

  it('has the analytic gradient (finite differences)', () => {
    const y = [1, 0, 0.3, 1, 0];
    checkOp({
      inputs: [randTensor([5, 1], 3, -3, 3)],
      forward: (z) => binaryCrossEntropyLoss(z, y).loss,
      reference: (z: RefInput) => Float64Array.of(y.reduce((s, yi, i) => s + bce(z.values[i], yi), 0) / 5),
    });
  });

  it('rejects labels outside [0, 1] and a count mismatch', () => {
    expect(() => binaryCrossEntropyLoss(vec([1]), [2])).toThrow(/labels\[0\] must be in \[0, 1\], got 2/);
    expect(() => binaryCrossEntropyLoss(vec([1, 2]), [1])).toThrow(/2 logits but 1 labels/);
  });
});
