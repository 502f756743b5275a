import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SafetyError } from '../errors.js';
import {
  analyzeReflection,
  countReflectionWords,
  REFLECTION_WORDS,
  readReflectionMetrics,
  reflectionByStep,
  reflectionChartSeries,
  reflectionFromMetrics,
} from './reflection.js';

/** A completion of exactly `words` words with `waits` of them "wait" and `buts` of them "but". */
function completion(words: number, waits: number, buts = 0): string {
  return [...Array(waits).fill('wait'), ...Array(buts).fill('but'), ...Array(words - waits - buts).fill('x')].join(' ');
}

/**
 * A synthetic training run, 40 steps of 1000 words: "wait" at 1‰ for the first 4 steps (the baseline), 2‰ after,
 * one spike of 12‰ at step 15, and 10‰ from step 25 on. "but" stays at 5‰ throughout.
 */
const waitsAt = (step: number) => (step <= 4 ? 1 : step === 15 ? 12 : step >= 25 ? 10 : 2);
const run = Array.from({ length: 40 }, (_, i) => ({ step: i + 1, completions: [completion(1000, waitsAt(i + 1), 5)] }));

describe('countReflectionWords', () => {
  it.each([
    ['Wait, but however.', { wait: 1, but: 1, however: 1 }, 3, 'punctuation and capitals'],
    ['WAIT wait Wait', { wait: 3 }, 3, 'case-insensitive'],
    ['waiting await butter checks', {}, 4, 'inflections and longer words do not count'],
    [
      're-check the error; verify it, evaluate, retry, wrong mistake',
      { check: 1, error: 1, verify: 1, evaluate: 1, retry: 1, wrong: 1, mistake: 1 },
      9,
      'all the rest',
    ],
    ['', {}, 0, 'empty'],
  ] as [string, Record<string, number>, number, string][])('%j', (text, counts, words) => {
    const c = countReflectionWords(text);
    expect(c.words).toBe(words);
    for (const w of REFLECTION_WORDS) expect(c.counts[w]).toBe(counts[w] ?? 0);
    expect(c.total).toBe(Object.values(counts).reduce((a, b) => a + b, 0));
  });
});

describe('reflectionByStep', () => {
  it('merges entries of the same step, sorts by step and computes per-1k rates', () => {
    const s = reflectionByStep([
      { step: 2, completions: ['wait x x x'] },
      { step: 1, completions: ['but'] },
      { step: 2, completions: ['x x x x x x'] },
    ]);
    expect(s.map((r) => r.step)).toEqual([1, 2]);
    expect(s[1]).toMatchObject({ completions: 2, words: 10, total: 1, totalPer1k: 100 });
    expect(s[1].per1k.wait).toBe(100);
    expect(s[0].per1k.but).toBe(1000);
  });
});

describe('analyzeReflection', () => {
  const steps = reflectionByStep(run);

  it('finds the aha moment where "wait" first stays above k × baseline, not at a one-step spike', () => {
    const a = analyzeReflection(steps, { baselineSteps: 4 });
    expect(a.aha).toMatchObject({ step: 25, index: 24, word: 'wait', baselinePer1k: 1, thresholdPer1k: 3 });
    expect(a.aha?.ratePer1k).toBeCloseTo((2 + 2 + 10) / 3);
  });

  it('a one-step spike fires only when sustain ≤ smooth', () => {
    expect(analyzeReflection(steps, { baselineSteps: 4, sustain: 2 }).aha?.step).toBe(15);
  });

  it('no aha moment when the rise is below k × baseline', () => {
    expect(analyzeReflection(steps, { baselineSteps: 4, k: 20 }).aha).toBeNull();
  });

  it('minPer1k floors the threshold of a zero baseline', () => {
    const flat = reflectionByStep(
      Array.from({ length: 20 }, (_, i) => ({ step: i, completions: [completion(1000, i < 2 ? 0 : 1)] })),
    );
    expect(analyzeReflection(flat, { baselineSteps: 2 }).aha).toBeNull(); // 1‰ is not above the 1‰ floor
    expect(analyzeReflection(flat, { baselineSteps: 2, minPer1k: 0.5 }).aha?.step).toBe(2);
  });

  it('growth factor first → last window, per word and in total', () => {
    const a = analyzeReflection(steps, { window: 4 });
    expect(a.window).toBe(4);
    expect(a.growth.words.wait).toEqual({ firstPer1k: 1, lastPer1k: 10, factor: 10 });
    expect(a.growth.words.but.factor).toBeCloseTo(1);
    expect(a.growth.total.factor).toBeCloseTo(15 / 6);
    expect(a.growth.words.retry.factor).toBeNull();
  });

  it('default windows are 10% of the steps', () => {
    expect(analyzeReflection(steps).window).toBe(4);
  });

  it('rejects unsorted steps and empty input', () => {
    expect(() => analyzeReflection([])).toThrow(/no steps/);
    expect(() => analyzeReflection([steps[1], steps[0]])).toThrow(/sorted and unique/);
  });
});

describe('reflectionChartSeries', () => {
  it('gives x, the total and each word per 1k, and the aha marker', () => {
    const a = analyzeReflection(reflectionByStep(run), { baselineSteps: 4 });
    const c = reflectionChartSeries(a, { words: ['wait'] });
    expect(c.x).toEqual(run.map((r) => r.step));
    expect(c.series.map((s) => s.name)).toEqual(['total', 'wait']);
    expect(c.series[1].values.slice(0, 5)).toEqual([1, 1, 1, 1, 2]);
    expect(c.series[0].values[0]).toBe(6);
    expect(c.markers).toEqual([{ x: 25, label: 'aha ("wait")' }]);
    const smooth = reflectionChartSeries(a, { words: ['wait'], smooth: 2 });
    expect(smooth.series[1].values[4]).toBeCloseTo(1.5);
    expect(() => reflectionChartSeries(a, { smooth: 0 })).toThrow(/smooth/);
  });
});

describe('metrics.jsonl', () => {
  const rec = (step: number, wait: number, tokens: number) => ({
    step,
    reward: { mean: 0, std: 0 },
    reflection: { counts: { wait, but: 1 }, total: wait + 1, tokens, per1kTokens: 0, completions: 8, perCompletion: 0 },
  });

  it('reads GRPO step records, skips other records and a torn last line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aha-reflection-'));
    try {
      const path = join(dir, 'metrics.jsonl');
      const lines = [rec(2, 4, 2000), { event: 'eval', accuracy: 0.5 }, rec(1, 1, 1000)].map((r) => JSON.stringify(r));
      await writeFile(path, `${lines.join('\n')}\n{"step": 3, "refl`);
      const s = await readReflectionMetrics(path);
      expect(s.map((r) => r.step)).toEqual([1, 2]);
      expect(s[1]).toMatchObject({ words: 2000, total: 5, completions: 8 });
      expect(s[1].per1k.wait).toBe(2);
      await writeFile(path, `${lines[0]}\nnot json\n${lines[2]}\n`);
      await expect(readReflectionMetrics(path)).rejects.toThrow(/metrics.jsonl:2: invalid JSON/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a malformed reflection field is an error naming the record', () => {
    expect(() => reflectionFromMetrics([rec(1, 1, 10), { step: 2, reflection: { counts: {} } }])).toThrow(
      /record 1: reflection.tokens/,
    );
    let caught: unknown;
    try {
      reflectionFromMetrics([{ step: 'x', reflection: {} }]);
    } catch (e) {
      caught = e;
    }
    expect(SafetyError.isSafetyError(caught, 'malformed')).toBe(true);
  });
});
