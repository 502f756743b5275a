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

  it('after "wait" the whole right trace follows; before it, the plain columns up to a wrong (or right) one', () => {
    const rng = createRng(2);
    const seen = { none: 0, mistake: 0, recheck: 0 };
    for (const p of problems) {
      const [a, b] = p.operands;
      const { trace, kind } = reflectiveAdditionTrace(a, b, { mistake: 0.5, recheck: 0.3 }, rng);
      seen[kind]++;
      const plain = additionTrace(a, b);
      expect(countReflectionWords(trace).counts.wait).toBe(kind === 'none' ? 0 : 1);
      if (kind === 'none') {
        expect(trace).toBe(plain);
        continue;
      }
      const [before, after] = trace.split(' wait ');
      expect(after).toBe(plain);
      const written = before.split(' ');
      const right = plain.split(' ').slice(0, written.length);
      expect(written.slice(0, -1)).toEqual(right.slice(0, -1));
      if (kind === 'mistake') expect(written.at(-1)).not.toBe(right.at(-1));
      else expect(written.at(-1)).toBe(right.at(-1));
    }
    // Shares near the rates (400 draws: ±0.1 is > 4 standard deviations).
    expect(Math.abs(seen.mistake / 400 - 0.5)).toBeLessThan(0.1);
    expect(Math.abs(seen.recheck / 400 - 0.3)).toBeLessThan(0.1);
  });

  it('a wrong column is a misread digit, a dropped or added carry, or a sum off by one — never the right one', () => {
    const rng = createRng(4);
    const seen = new Set<string>();
    const column = { da: 4, db: 8, carryIn: 1 as const, s: 13 };
    for (let i = 0; i < 300; i++) {
      const w = wrongColumn(column, rng);
      expect(w).not.toBe('4+8+1=13');
      const m = /^(\d)\+(\d)(\+1)?=(\d+)$/.exec(w);
      expect(m).not.toBeNull();
      const [da, db, carry, s] = [Number(m?.[1]), Number(m?.[2]), m?.[3] ? 1 : 0, Number(m?.[4])];
      const misread = (da !== 4) !== (db !== 8) && carry === 1 && s === da + db + 1;
      const carryFlip = da === 4 && db === 8 && carry === 0 && s === 12;
      const offByOne = da === 4 && db === 8 && carry === 1 && Math.abs(s - 13) === 1;
      expect(misread || carryFlip || offByOne).toBe(true);
      seen.add(misread ? 'misread' : carryFlip ? 'carry' : 'sum');
    }
    expect([...seen].sort()).toEqual(['carry', 'misread', 'sum']);
    // A zero sum can only go up; no column goes negative.
    for (let i = 0; i < 50; i++) expect(wrongColumn({ da: 0, db: 0, carryIn: 0, s: 0 }, rng)).not.toMatch(/=-|=0$/);
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
