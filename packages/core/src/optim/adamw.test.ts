import { describe, expect, it } from 'vitest';
import { AhaError, ValueError } from '../errors.js';
import { mul, sub } from '../ops/binary.js';
import { mean } from '../ops/reduce.js';
import { square } from '../ops/unary.js';
import { type Tensor, tensor } from '../tensor.js';
import { rng } from '../testing/gradcheck.js';
import { AdamW } from './adamw.js';

// torch.optim.AdamW's update written out in float64 (the formula of its docs, one parameter at a time).
function adamwReference(
  p: Float64Array,
  grads: Float64Array[],
  o: { lr: number; beta1: number; beta2: number; eps: number; wd: number },
): Float64Array {
  const m = new Float64Array(p.length);
  const v = new Float64Array(p.length);
  const out = Float64Array.from(p);
  grads.forEach((g, k) => {
    const t = k + 1;
    for (let i = 0; i < out.length; i++) {
      out[i] *= 1 - o.lr * o.wd;
      m[i] = o.beta1 * m[i] + (1 - o.beta1) * g[i];
      v[i] = o.beta2 * v[i] + (1 - o.beta2) * g[i] * g[i];
      const mHat = m[i] / (1 - o.beta1 ** t);
      const denom = Math.sqrt(v[i]) / Math.sqrt(1 - o.beta2 ** t) + o.eps;
      out[i] -= o.lr * (mHat / denom) * 1;
    }
  });
  return out;
}

const setGrad = (p: Tensor, g: Float32Array) => {
  p.grad = tensor(g.slice(), p.shape);
};

describe('AdamW', () => {
  it('first step by hand: decay, then a step of lr·sign(g)', () => {
    // p = 1, g = 0.5, lr = 0.1, λ = 0.1: p ← 0.99; m = 0.05, v = 0.00025; m̂ = 0.5, √v̂ = 0.5; p ← 0.99 − 0.1·(0.5/(0.5+1e-8))
    const p = tensor(Float32Array.of(1), [1]).requiresGrad_();
    const opt = new AdamW([p], { lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.1 });
    setGrad(p, Float32Array.of(0.5));
    opt.step();
    expect(p.item()).toBeCloseTo(0.99 - 0.1 * (0.5 / (0.5 + 1e-8)), 6);
  });

  it('matches the float64 formula over several steps on a large parameter (threaded / SIMD path)', () => {
    const n = 40_003;
    const r = rng(3);
    const init = Float32Array.from({ length: n }, () => r() * 2 - 1);
    const grads = [0, 1, 2, 3, 4].map(() => Float32Array.from({ length: n }, () => (r() * 2 - 1) * 0.1));
    const p = tensor(init.slice(), [n]).requiresGrad_();
    const hyper = { lr: 0.01, beta1: 0.8, beta2: 0.95, eps: 1e-6, wd: 0.05 };
    const opt = new AdamW([p], {
      lr: hyper.lr,
      betas: [hyper.beta1, hyper.beta2],
      eps: hyper.eps,
      weightDecay: hyper.wd,
    });
    for (const g of grads) {
      setGrad(p, g);
      opt.step();
    }
    const want = adamwReference(
      Float64Array.from(init),
      grads.map((g) => Float64Array.from(g)),
      hyper,
    );
    const got = p.values();
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
    expect(worst).toBeLessThan(2e-6);
  });

  it('skips parameters without a gradient (their step counter does not advance)', () => {
    const a = tensor(Float32Array.of(1), [1]).requiresGrad_();
    const b = tensor(Float32Array.of(1), [1]).requiresGrad_();
    const opt = new AdamW([a, b], { lr: 0.1, weightDecay: 0 });
    setGrad(a, Float32Array.of(1));
    opt.step();
    expect(b.item()).toBe(1);
    expect(opt.stateDict().steps).toEqual([1, 0]);
    opt.zeroGrad();
    expect(a.grad).toBeNull();
  });

  it('stateDict / loadStateDict resume bit-exactly', () => {
    const r = rng(5);
    const init = Float32Array.from({ length: 7 }, () => r());
    const grads = [0, 1, 2].map(() => Float32Array.from({ length: 7 }, () => r() - 0.5));
    const a = tensor(init.slice(), [7]).requiresGrad_();
    const optA = new AdamW([a], { lr: 0.05 });
    setGrad(a, grads[0]);
    optA.step();
    setGrad(a, grads[1]);
    optA.step();
    const state = optA.stateDict();
    expect(state.expAvg).toEqual([expect.any(Float32Array)]);
    const b = tensor(a.toFloat32Array(), [7]).requiresGrad_();
    const optB = new AdamW([b], { lr: 0.5 });
    optB.loadStateDict(state);
    expect(optB.lr).toBe(0.05);
    setGrad(a, grads[2]);
    optA.step();
    setGrad(b, grads[2]);
    optB.step();
    expect(Array.from(b.values())).toEqual(Array.from(a.values()));
  });

  it('trains: the loss of a small regression falls', () => {
    const r = rng(9);
    const x = tensor(
      Float32Array.from({ length: 32 }, () => r() * 2 - 1),
      [32],
    );
    const y = mul(x, 3);
    const w = tensor(Float32Array.of(0), [1]).requiresGrad_();
    const opt = new AdamW([w], { lr: 0.1, weightDecay: 0 });
    const lossAt = () => mean(square(sub(mul(x, w), y)));
    const first = lossAt().item();
    for (let i = 0; i < 100; i++) {
      opt.zeroGrad();
      lossAt().backward();
      opt.step();
    }
    expect(lossAt().item()).toBeLessThan(first * 1e-2);
  });

  it('rejects invalid options, params and states with typed errors', () => {
    const p = tensor(Float32Array.of(1, 2), [2]);
    expect(() => new AdamW([p], { lr: -1 })).toThrow(AhaError);
    expect(() => new AdamW([p], { betas: [1, 0.9] })).toThrow(/betas/);
    expect(() => new AdamW([p], { eps: 0 })).toThrow(/eps/);
    expect(() => new AdamW([p, p])).toThrow(ValueError);
    expect(() => new AdamW([{} as Tensor])).toThrow('AdamW: params[0] must be a float32 Tensor');
    const opt = new AdamW([p]);
    expect(() => {
      opt.lr = Number.NaN;
    }).toThrow(ValueError);
    expect(() => opt.loadStateDict({ kind: 'sgd' })).toThrow(AhaError);
    const bad = { ...opt.stateDict(), expAvg: [new Float32Array(3)] };
    expect(() => opt.loadStateDict(bad)).toThrow('AdamW.loadStateDict: expAvg[0] must be a Float32Array of 2 values');
    p.grad = tensor(new Float32Array(3), [3]);
    expect(() => opt.step()).toThrow('AdamW: params[0].grad [3] does not match [2]');
  });
});
