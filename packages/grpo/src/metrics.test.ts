import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AhaError } from '@aha/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countReflectionWords, MetricsWriter, REFLECTION_WORDS, readMetricsJsonl, reflectionStats } from './metrics.js';

describe('countReflectionWords', () => {
  it('counts whole words, case-insensitively, with punctuation around them', () => {
    const c = countReflectionWords('Wait, wait. WAIT! But however... let me check: is that wrong? (verify)');
    expect(c.counts.wait).toBe(3);
    expect(c.counts.but).toBe(1);
    expect(c.counts.however).toBe(1);
    expect(c.counts.check).toBe(1);
    expect(c.counts.wrong).toBe(1);
    expect(c.counts.verify).toBe(1);
    expect(c.total).toBe(8);
  });

  it.each([
    ['waiting for the await', 0, 'inflections and substrings do not count'],
    ['butter button rebut', 0, '"but" only as a word'],
    ['checked checking checks', 0, 'only the listed form "check"'],
    ['errors error-prone', 1, 'a hyphen is a word boundary: "error" in "error-prone"'],
    ['mistake_1', 0, 'underscore joins words'],
    ['re-evaluate', 1, 'hyphenated compound contains "evaluate"'],
  ])('%s → %d (%s)', (text, want) => {
    expect(countReflectionWords(text).total).toBe(want);
  });

  it('per 1k tokens uses the given token count, else whitespace words', () => {
    expect(countReflectionWords('wait wait', 500)).toMatchObject({ total: 2, tokens: 500, per1kTokens: 4 });
    expect(countReflectionWords('wait a moment but no')).toMatchObject({ total: 2, tokens: 5, per1kTokens: 400 });
    expect(countReflectionWords('', 0).per1kTokens).toBe(0);
  });

  it('lists the paper’s ten words', () => {
    expect(REFLECTION_WORDS).toHaveLength(10);
  });

  it('rejects a bad token count', () => {
    expect(() => countReflectionWords('x', -1)).toThrow(/tokenCount/);
  });
});

describe('reflectionStats', () => {
  it('sums a batch and derives the per-completion and per-1k rates', () => {
    const s = reflectionStats(['Wait, that is wrong.', 'fine', 'but wait'], [10, 5, 5]);
    expect(s.total).toBe(4);
    expect(s.counts.wait).toBe(2);
    expect(s.tokens).toBe(20);
    expect(s.per1kTokens).toBe(200);
    expect(s.perCompletion).toBeCloseTo(4 / 3, 12);
    expect(() => reflectionStats(['a'], [1, 2])).toThrow(/2 entries for 1 completions/);
  });
});

describe('MetricsWriter', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aha-grpo-metrics-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('appends one JSON line per record, in order, across reopen; NaN becomes null', async () => {
    const p = join(dir, 'run', 'metrics.jsonl');
    const w = await MetricsWriter.open(p);
    await Promise.all([w.append({ step: 1, loss: 0.5 }), w.append({ step: 2, loss: Number.NaN })]);
    await w.close();
    await w.close(); // idempotent
    const w2 = await MetricsWriter.open(p, { sync: false });
    await w2.append({ step: 3 });
    await w2.close();
    expect(await readFile(p, 'utf8')).toBe('{"step":1,"loss":0.5}\n{"step":2,"loss":null}\n{"step":3}\n');
    expect(await readMetricsJsonl(p)).toEqual([{ step: 1, loss: 0.5 }, { step: 2, loss: null }, { step: 3 }]);
  });

  it('many concurrent appends never interleave', async () => {
    const p = join(dir, 'many.jsonl');
    const w = await MetricsWriter.open(p, { sync: false });
    await Promise.all(Array.from({ length: 200 }, (_, i) => w.append({ i, pad: 'x'.repeat(i) })));
    await w.close();
    const rows = await readMetricsJsonl<{ i: number }>(p);
    expect(rows.map((r) => r.i)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it('append after close is a state error; non-objects are rejected', async () => {
    const w = await MetricsWriter.open(join(dir, 'c.jsonl'));
    await expect(w.append([1] as unknown as object)).rejects.toThrow(/plain object/);
    await w.close();
    const err = await w.append({ a: 1 }).catch((e) => e);
    expect(AhaError.is(err, 'state')).toBe(true);
  });

  it('readMetricsJsonl drops a torn last line but reports a bad middle line', async () => {
    const p = join(dir, 'torn.jsonl');
    await writeFile(p, '{"step":1}\n{"step":2}\n{"st');
    expect(await readMetricsJsonl(p)).toEqual([{ step: 1 }, { step: 2 }]);
    await appendFile(p, '\n{"step":4}\n');
    await expect(readMetricsJsonl(p)).rejects.toThrow(/torn\.jsonl:3: invalid JSON/);
  });

  it('an unwritable path is an io error', async () => {
    await writeFile(join(dir, 'file'), 'x');
    const err = await MetricsWriter.open(join(dir, 'file', 'sub', 'm.jsonl')).catch((e) => e);
    expect(AhaError.is(err, 'io')).toBe(true);
  });
});
