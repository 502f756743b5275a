import { AhaError } from '@aha/core';
import { describe, expect, it } from 'vitest';
import { groupAdvantages, groupStats } from './advantages.js';

describe('groupAdvantages', () => {
  it('G=2, one right one wrong: ±0.5 / sample std √0.5 (worked by hand)', () => {
    // mean 0.5; deviations ±0.5; sample var = (0.25 + 0.25) / 1 = 0.5 → std 0.70711
    const a = groupAdvantages([1, 0, 0, 1], 2, { epsilon: 0 });
    expect(a[0]).toBeCloseTo(Math.SQRT1_2, 12);
    expect(a[1]).toBeCloseTo(-Math.SQRT1_2, 12);
    expect(a[2]).toBeCloseTo(-Math.SQRT1_2, 12);
    expect(a[3]).toBeCloseTo(Math.SQRT1_2, 12);
  });

  it('default epsilon 1e-4 is added to the std (TRL)', () => {
    const a = groupAdvantages([1, 0], 2);
    expect(a[0]).toBeCloseTo(0.5 / (Math.SQRT1_2 + 1e-4), 12);
  });

  it('G=4, one of four right: sample std 0.5 → [1.5, −0.5, −0.5, −0.5]', () => {
    // mean 0.25; squares 0.5625 + 3·0.0625 = 0.75; /3 = 0.25 → std 0.5
    expect(groupAdvantages([1, 0, 0, 0], 4, { epsilon: 0 })).toEqual([1.5, -0.5, -0.5, -0.5]);
  });

  it('population std divides by G: std √0.1875', () => {
    const a = groupAdvantages([1, 0, 0, 0], 4, { epsilon: 0, std: 'population' });
    expect(a[0]).toBeCloseTo(0.75 / Math.sqrt(0.1875), 12); // 1.7320508
    expect(a[1]).toBeCloseTo(-0.25 / Math.sqrt(0.1875), 12);
  });

  it("scale 'none' (Dr. GRPO) only centres", () => {
    expect(groupAdvantages([1, 0, 0, 0, 2, 4, 6, 8], 4, { scale: 'none' })).toEqual([
      0.75, -0.25, -0.25, -0.25, -3, -1, 1, 3,
    ]);
  });

  it('groups are independent: the second group does not shift the first', () => {
    const a = groupAdvantages([3, 1, 100, -100], 2, { epsilon: 0 });
    // group 0: mean 2, deviations ±1, sample std √2
    expect(a[0]).toBeCloseTo(1 / Math.SQRT2, 12);
    expect(a[2]).toBeCloseTo(1 / Math.SQRT2, 12); // scale-free: ±100 gives the same advantage
  });

  it('zero-variance groups give exactly 0, even with epsilon 0', () => {
    const a = groupAdvantages([0.5, 0.5, 0.5, 1, 0, 1], 3, { epsilon: 0 });
    expect(a.slice(0, 3)).toEqual([0, 0, 0]);
    expect(a.every(Number.isFinite)).toBe(true);
  });

  it('each group of the output sums to ~0', () => {
    const r = [0.1, 0.9, 0.4, 0.7, 1, 0, 0, 0.3];
    const a = groupAdvantages(r, 4);
    expect(a[0] + a[1] + a[2] + a[3]).toBeCloseTo(0, 12);
    expect(a[4] + a[5] + a[6] + a[7]).toBeCloseTo(0, 12);
  });

  it('G=1: no sample std, advantage 0', () => {
    expect(groupAdvantages([5, 7], 1)).toEqual([0, 0]);
  });

  it('rejects a length that is not a multiple of G, naming both', () => {
    expect(() => groupAdvantages([1, 0, 1], 2)).toThrow(/rewards.length \(3\).*groupSize \(2\)/);
  });

  it('rejects NaN / Infinity rewards, naming the index', () => {
    expect(() => groupAdvantages([1, Number.NaN], 2)).toThrow(/rewards\[1\] is NaN/);
    expect(() => groupAdvantages([Number.POSITIVE_INFINITY, 0], 2)).toThrow(/rewards\[0\] is Infinity/);
  });

  it('rejects groupSize < 1 or non-integer, with a typed value error', () => {
    for (const g of [0, -2, 1.5]) {
      try {
        groupAdvantages([1, 2], g);
        expect.unreachable();
      } catch (err) {
        expect(AhaError.is(err, 'value')).toBe(true);
        expect((err as Error).message).toMatch(/groupSize must be an integer >= 1/);
      }
    }
  });

  it('rejects a negative epsilon', () => {
    expect(() => groupAdvantages([1, 0], 2, { epsilon: -1 })).toThrow(/epsilon/);
  });
});

describe('groupStats', () => {
  it('reports means, stds and zero-variance groups', () => {
    const s = groupStats([1, 1, 0, 0, 1, 0, 2, 2], 2);
    expect(s.groups).toBe(4);
    expect(s.means).toEqual([1, 0, 0.5, 2]);
    expect(s.stds[2]).toBeCloseTo(Math.SQRT1_2, 12);
    expect(s.zeroVarianceGroups).toEqual([0, 1, 3]);
    expect(s.zeroVarianceShare).toBe(0.75);
  });

  it('empty input: no groups', () => {
    expect(groupStats([], 4)).toMatchObject({ groups: 0, zeroVarianceShare: 0 });
  });

  it('applies the same checks', () => {
    expect(() => groupStats([1, 2, 3], 2)).toThrow(/multiple of groupSize/);
  });
});
