// metrics.jsonl reading/writing: ordering, resumed-run duplicates, torn writes, bad lines named by line and key.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AhaError } from '@aha/core';
import { describe, expect, it } from 'vitest';
import { createMetricsWriter, parseMetricsJsonl } from './jsonl.js';
import { StepMetricsRecord } from './schema.js';

describe('metrics JSONL', () => {
  it('sorts by step and keeps the later line when a resumed run logs a step again', () => {
    const text = ['{"step":2,"kl":0.2}', '{"step":1,"kl":0.1}', '{"step":2,"kl":0.25}', ''].join('\n');
    const log = parseMetricsJsonl(text);
    expect(log.records.map((r) => [r.step, r.kl])).toEqual([
      [1, 0.1],
      [2, 0.25],
    ]);
    expect(log.skipped).toEqual([]);
  });

  it('names the line and the key of a bad record; strict mode throws', () => {
    const text = '{"step":1}\n{"step":2,"accuracy":"high"}\n{"step":3}\n';
    expect(parseMetricsJsonl(text).skipped).toEqual([{ line: 2, reason: 'accuracy: expected number, got "high"' }]);
    expect(() => parseMetricsJsonl(text, { source: 'run/metrics.jsonl', strict: true })).toThrowError(
      'run/metrics.jsonl:2: accuracy: expected number, got "high"',
    );
  });

  it('treats a torn last line as incomplete, but a torn middle line as an error', () => {
    expect(parseMetricsJsonl('{"step":1}\n{"ste').skipped[0].reason).toMatch(/incomplete last line/);
    expect(parseMetricsJsonl('{"ste\n{"step":1}').skipped[0].reason).toMatch(/^invalid JSON/);
  });

  it('accepts null for numbers (JSON has no NaN) and keeps unknown keys', () => {
    const r = StepMetricsRecord.parse({ step: 3, kl: null, my_metric: 5, rewards: { acc: { mean: null } } });
    expect(r.kl).toBeNull();
    expect((r as Record<string, unknown>).my_metric).toBe(5);
  });

  it('the writer validates and appends one line per record', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aha-metrics-'));
    try {
      const w = createMetricsWriter(join(dir, 'a', 'metrics.jsonl'));
      w.write({ step: 1, accuracy: 0.5 });
      w.write({ step: 2, accuracy: 0.6, samples: [{ prompt: 'p', completion: 'c', reward: 1 }] });
      expect(() => w.write({ step: -1 })).toThrowError(/step: must be >= 0, got -1/);
      expect(() => w.write({ step: -1 })).toThrow(AhaError);
      const back = parseMetricsJsonl(readFileSync(w.file, 'utf8'));
      expect(back.records.map((r) => r.accuracy)).toEqual([0.5, 0.6]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
