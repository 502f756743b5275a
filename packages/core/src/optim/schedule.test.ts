import { describe, expect, it } from 'vitest';
import { AhaError } from '../errors.js';
import { tensor } from '../tensor.js';
import { AdamW } from './adamw.js';
import { constantLr, cosineWarmupDecay, LrScheduler, linearWarmupDecay } from './schedule.js';

describe('schedules', () => {
  it('constantLr: linear warmup then 1', () => {
    const f = constantLr({ warmupSteps: 4 });
    expect([0, 1, 2, 4, 100].map(f)).toEqual([0, 0.25, 0.5, 1, 1]);
    expect(constantLr()(0)).toBe(1);
  });
  it('linearWarmupDecay: warmup, then a straight line to minRatio at totalSteps, held after', () => {
    const f = linearWarmupDecay({ warmupSteps: 2, totalSteps: 12, minRatio: 0.1 });
    expect(f(1)).toBe(0.5);
    expect(f(2)).toBe(1);
    expect(f(7)).toBeCloseTo(0.1 + 0.9 * 0.5, 12); // halfway through the decay
    expect(f(12)).toBeCloseTo(0.1, 12);
    expect(f(50)).toBeCloseTo(0.1, 12);
  });
  it('cosineWarmupDecay: half a cosine from 1 to minRatio', () => {
    const f = cosineWarmupDecay({ warmupSteps: 0, totalSteps: 10, minRatio: 0 });
    expect(f(0)).toBe(1);
    expect(f(5)).toBeCloseTo(0.5, 12);
    expect(f(10)).toBeCloseTo(0, 12);
    const g = cosineWarmupDecay({ warmupSteps: 10, totalSteps: 20, minRatio: 0.2 });
    expect(g(15)).toBeCloseTo(0.2 + 0.8 * 0.5, 12);
    expect(g(20)).toBeCloseTo(0.2, 12);
  });
  it('rejects invalid options', () => {
    expect(() => linearWarmupDecay({ warmupSteps: 2 })).toThrow(AhaError);
    expect(() => cosineWarmupDecay({ warmupSteps: 20, totalSteps: 10 })).toThrow(/totalSteps/);
    expect(() => constantLr({ warmupSteps: -1 })).toThrow(AhaError);
    expect(() => constantLr({ minRatio: 2 })).toThrow(AhaError);
  });
});

describe('LrScheduler', () => {
  it('sets the optimizer lr each step and resumes from its state', () => {
    const opt = new AdamW([tensor(Float32Array.of(1), [1])], { lr: 0.1 });
    const sched = new LrScheduler(opt, linearWarmupDecay({ warmupSteps: 2, totalSteps: 4 }));
    expect(opt.lr).toBe(0);
    sched.step();
    expect(sched.lr).toBeCloseTo(0.05, 12);
    sched.step();
    sched.step();
    expect(opt.lr).toBeCloseTo(0.05, 12);
    const state = sched.stateDict();
    expect(state).toEqual({ step: 3, baseLr: 0.1 });

    const opt2 = new AdamW([tensor(Float32Array.of(1), [1])], { lr: 7 });
    const sched2 = new LrScheduler(opt2, linearWarmupDecay({ warmupSteps: 2, totalSteps: 4 }));
    sched2.loadStateDict(state);
    expect(opt2.lr).toBeCloseTo(0.05, 12);
    sched.step();
    sched2.step();
    expect(opt2.lr).toBe(opt.lr);
    expect(() => sched2.loadStateDict({ step: -1, baseLr: 1 })).toThrow(AhaError);
  });
});
