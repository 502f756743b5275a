import { createRng } from '@aha/core';
import { describe, expect, it } from 'vitest';
import { countReflectionWords, reflectionSplit } from '../metrics.js';
import { additionCompletion, additionProblems, additionTrace, scoreAddition } from './addition.js';
import { reflectiveAdditionCompletion, reflectiveAdditionTrace, wrongColumn } from './reflective-addition.js';

describe('reflectiveAdditionTrace', () => {
  const problems = additionProblems({ count: 400, seed: 3, split: 'train', minDigits: 3, maxDigits: 3 });

  it('with zero rates it is exactly the plain trace (the main job corpus is unchanged)', () => {
    const rng = createRng(1);
    for (const p of problems.slice(0, 50)) {
      const r = reflectiveAdditionTrace(p.operands[0], p.operands[1], { mistake: 0, recheck: 0 }, rng);
      expect(r).toEqual({ trace: additionTrace(p.operands[0], p.operands[1]), kind: 'none' });
    }
  });

  it('after "wait" the right column follows, and the trace goes on as the plain one', () => {
    const rng = createRng(2);
    const seen = { none: 0, mistake: 0, recheck: 0 };
    for (const p of problems) {
      const [a, b] = p.operands;
      const { trace, kind } = reflectiveAdditionTrace(a, b, { mistake: 0.5, recheck: 0.3 }, rng);
      seen[kind]++;
      const plain = additionTrace(a, b);
      expect(countReflectionWords(trace).counts.wait).toBe(kind === 'none' ? 0 : 1);
      // Dropping "X wait " leaves the plain trace; X is wrong for a mistake, the same column for a re-check.
      const m = /(\S+) wait (\S+)/.exec(trace);
      expect(trace.replace(/\S+ wait /, '')).toBe(plain);
      if (kind === 'mistake') expect(m?.[1]).not.toBe(m?.[2]);
      if (kind === 'recheck') expect(m?.[1]).toBe(m?.[2]);
      if (kind === 'none') expect(m).toBeNull();
    }
    // Shares near the rates (400 draws: ±0.1 is > 4 standard deviations).
    expect(Math.abs(seen.mistake / 400 - 0.5)).toBeLessThan(0.1);
    expect(Math.abs(seen.recheck / 400 - 0.3)).toBeLessThan(0.1);
  });

  it('a wrong column drops or adds the carry, or is off by one in the sum — never the right one', () => {
    const rng = createRng(4);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(wrongColumn({ da: 4, db: 8, carryIn: 1, s: 13 }, rng));
    expect([...seen].sort()).toEqual(['4+8+1=12', '4+8+1=14', '4+8=12']);
    seen.clear();
    for (let i = 0; i < 200; i++) seen.add(wrongColumn({ da: 7, db: 5, carryIn: 0, s: 12 }, rng));
    expect([...seen].sort()).toEqual(['7+5+1=13', '7+5=11', '7+5=13']);
    // A zero sum only goes up, a top sum only down.
    for (let i = 0; i < 50; i++)
      expect(['0+0+1=1', '0+0=1']).toContain(wrongColumn({ da: 0, db: 0, carryIn: 0, s: 0 }, rng));
    for (let i = 0; i < 50; i++)
      expect(['9+9=18', '9+9+1=18']).toContain(wrongColumn({ da: 9, db: 9, carryIn: 1, s: 19 }, rng));
  });

  it('the reflective completion still scores 1, and the same seed writes the same corpus', () => {
    const draw = (seed: number) => {
      const rng = createRng(seed);
      return problems.map((p) => reflectiveAdditionCompletion(p, { mistake: 0.2, recheck: 0.1 }, rng).completion);
    };
    const c = draw(7);
    expect(draw(7)).toEqual(c);
    expect(draw(8)).not.toEqual(c);
    for (const [i, completion] of c.entries()) expect(scoreAddition(completion, problems[i])).toBe(1);
    // Plain ones equal the main job's reference completion.
    const plain = c.filter((x) => !x.includes('wait'));
    expect(plain.length).toBeGreaterThan(0);
    for (const x of plain) expect(problems.some((p) => additionCompletion(p) === x)).toBe(true);
  });

  it('rejects rates that do not make a distribution', () => {
    expect(() => reflectiveAdditionTrace('1', '2', { mistake: 0.8, recheck: 0.3 }, createRng(0))).toThrow(/rates/);
    expect(() => reflectiveAdditionTrace('1', '2', { mistake: -0.1, recheck: 0 }, createRng(0))).toThrow(/rates/);
  });
});

describe('reflectionSplit', () => {
  it("splits by whether a completion reflects, with each side's accuracy over the judged ones", () => {
    const texts = ['1+2=3', '7+5=11 wait 7+5=12', 'Wait, check', 'plain', 'awaiting'];
    const s = reflectionSplit(texts, [1, 1, 0, 0, null]);
    expect(s.share).toBeCloseTo(2 / 5);
    expect(s.reflecting).toEqual({ count: 2, accuracy: 0.5 });
    // "awaiting" is not a reflection word; its null does not count in the accuracy.
    expect(s.other).toEqual({ count: 3, accuracy: 0.5 });
    expect(reflectionSplit(['x'], [1]).reflecting.accuracy).toBeNull();
    expect(() => reflectionSplit(['x'], [])).toThrow(/1 completions/);
  });
});
