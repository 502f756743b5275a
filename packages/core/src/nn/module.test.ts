import { describe, expect, it } from 'vitest';
import { tensor } from '../tensor.js';
import { Embedding, InitRng, Linear, Module, ModuleList, RMSNorm } from './module.js';

class Block extends Module {
  readonly proj: Linear;
  readonly norm: RMSNorm;
  constructor(rng: InitRng) {
    super();
    this.proj = this.child('proj', new Linear(3, 2, { rng, bias: true }));
    this.norm = this.child('norm', new RMSNorm(2));
  }
}

describe('Module', () => {
  it('names parameters by their dotted attribute path (HF names)', () => {
    const rng = new InitRng(1);
    const list = new ModuleList([new Block(rng), new Block(rng)]);
    expect(list.namedParameters('model.layers.').map(([n]) => n)).toEqual([
      'model.layers.0.proj.weight',
      'model.layers.0.proj.bias',
      'model.layers.0.norm.weight',
      'model.layers.1.proj.weight',
      'model.layers.1.proj.bias',
      'model.layers.1.norm.weight',
    ]);
    expect(list.parameters().every((p) => p.requiresGrad)).toBe(true);
  });

  it('propagates train/eval to children', () => {
    const b = new Block(new InitRng(1));
    b.eval();
    expect(b.proj.training).toBe(false);
    b.train();
    expect(b.norm.training).toBe(true);
  });

  it('initialises deterministically from the seed, with the requested std', () => {
    const a = new Linear(64, 64, { rng: new InitRng(7), std: 0.5 }).weight.toFloat32Array();
    const b = new Linear(64, 64, { rng: new InitRng(7), std: 0.5 }).weight.toFloat32Array();
    const c = new Linear(64, 64, { rng: new InitRng(8), std: 0.5 }).weight.toFloat32Array();
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const std = Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(std).toBeGreaterThan(0.47);
    expect(std).toBeLessThan(0.53);
  });
});

describe('layers', () => {
  it('Linear uses the HF [out, in] layout', () => {
    const l = new Linear(3, 2, { bias: true });
    l.weight.storage.set([1, 2, 3, 4, 5, 6]); // rows are outputs
    l.bias!.storage.set([10, 20]);
    const y = l.forward(tensor(Float32Array.of(1, 0, -1), [1, 3]));
    expect(Array.from(y.toFloat32Array())).toEqual([1 - 3 + 10, 4 - 6 + 20]);
  });

  it('RMSNorm divides by the root mean square and scales', () => {
    const n = new RMSNorm(2, 0);
    n.weight.storage.set([1, 2]);
    const y = n.forward(tensor(Float32Array.of(3, 4), [1, 2])).toFloat32Array();
    const rms = Math.sqrt((9 + 16) / 2);
    expect(y[0]).toBeCloseTo(3 / rms, 6);
    expect(y[1]).toBeCloseTo((2 * 4) / rms, 6);
  });

  it('Embedding looks up rows and rejects ids outside the vocabulary', () => {
    const e = new Embedding(4, 2);
    e.weight.storage.set([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(Array.from(e.forward(Int32Array.of(3, 1), [1, 2]).toFloat32Array())).toEqual([6, 7, 2, 3]);
    expect(() => e.forward(Int32Array.of(4), [1])).toThrow(/outside/);
  });
});
