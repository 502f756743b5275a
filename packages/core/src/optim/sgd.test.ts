import { describe, expect, it } from 'vitest';
import { AhaError } from '../errors.js';
import { type Tensor, tensor } from '../tensor.js';
import { rng } from '../testing/gradcheck.js';
import { SGD } from './sgd.js';

const setGrad = (p: Tensor, g: Float32Array) => {
  p.grad = tensor(g.slice(), p.shape);
};

// torch.optim.SGD's update written out in float64.
function sgdReference(
  p: Float64Array,
  grads: Float64Array[],
  o: { lr: number; momentum: number; dampening: number; wd: number; nesterov: boolean },
): Float64Array {
  const out = Float64Array.from(p);
  const buf = new Float64Array(p.length);
  grads.forEach((g, k) => {
    for (let i = 0; i < out.length; i++) {
      let d = g[i] + o.wd * out[i];
      if (o.momentum > 0) {
        buf[i] = k === 0 ? d : o.momentum * buf[i] + (1 - o.dampening) * d;
        d = o.nesterov ? d + o.momentum * buf[i] : buf[i];
      }
      out[i] -= o.lr * d;
    }
  });
  return out;
}

describe('SGD', () => {
  it('momentum by hand: 1 → 0.95 → 0.855 with g = 0.5, lr = 0.1, μ = 0.9', () => {
    const p = tensor(Float32Array.of(1), [1]).requiresGrad_();
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    setGrad(p, Float32Array.of(0.5));
    opt.step();
    expect(p.item()).toBeCloseTo(0.95, 6);
    setGrad(p, Float32Array.of(0.5));
    opt.step();
    expect(p.item()).toBeCloseTo(0.855, 6);
  });

  it.each([
    { lr: 0.1, momentum: 0, dampening: 0, wd: 0, nesterov: false },
    { lr: 0.05, momentum: 0.9, dampening: 0.1, wd: 0.01, nesterov: false },
    { lr: 0.05, momentum: 0.8, dampening: 0, wd: 0.02, nesterov: true },
  ])('matches the float64 formula: %j', (o) => {
    const r = rng(4);
    const n = 20_001;
    const init = Float32Array.from({ length: n }, () => r() - 0.5);
    const grads = [0, 1, 2, 3].map(() => Float32Array.from({ length: n }, () => r() - 0.5));
    const p = tensor(init.slice(), [n]).requiresGrad_();
    const opt = new SGD([p], {
      lr: o.lr,
      momentum: o.momentum,
      dampening: o.dampening,
      weightDecay: o.wd,
      nesterov: o.nesterov,
    });
    for (const g of grads) {
      setGrad(p, g);
      opt.step();
    }
    const want = sgdReference(
      Float64Array.from(init),
      grads.map((g) => Float64Array.from(g)),
      o,
    );
    const got = p.values();
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
    expect(worst).toBeLessThan(1e-6);
  });

  it('stateDict / loadStateDict carry the momentum buffers', () => {
    const a = tensor(Float32Array.of(1, 2), [2]).requiresGrad_();
    const opt = new SGD([a], { lr: 0.1, momentum: 0.9 });
    expect(opt.stateDict().momentumBuffer).toEqual([null]);
    setGrad(a, Float32Array.of(1, -1));
    opt.step();
    const b = tensor(a.toFloat32Array(), [2]).requiresGrad_();
    const optB = new SGD([b], { lr: 0.1, momentum: 0.9 });
    optB.loadStateDict(opt.stateDict());
    setGrad(a, Float32Array.of(0.5, 0.5));
    setGrad(b, Float32Array.of(0.5, 0.5));
    opt.step();
    optB.step();
    expect(Array.from(b.values())).toEqual(Array.from(a.values()));
  });

  it('rejects invalid options', () => {
    const p = tensor(Float32Array.of(1), [1]);
    expect(() => new SGD([p], { nesterov: true })).toThrow(/nesterov/);
    expect(() => new SGD([p], { momentum: -1 })).toThrow(AhaError);
    expect(() => new SGD([p], { lr: Number.NaN })).toThrow(AhaError);
  });
});
