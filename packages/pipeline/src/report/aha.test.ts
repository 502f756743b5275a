// The aha summary (start / end / take-off of reflection) and the report's aha panel, on hand-made logs.
import { describe, expect, it } from 'vitest';
import type { StepMetricsRecord } from '../metrics/schema.js';
import { ahaSpan, ahaSummary, reflectionPerCompletion } from './aha.js';
import { renderReport } from './html.js';

/** A step whose completions carry `wait` reflection words each (and 0.1 "check"), with a reflection split. */
const step = (s: number, wait: number, extra: Partial<StepMetricsRecord> = {}): StepMetricsRecord => ({
  step: s,
  accuracy: 0.5,
  completion_length: { mean: 60 + wait * 10 },
  reflection: { wait, check: 0.1 } as StepMetricsRecord['reflection'],
  reflection_split: { share: wait, reflecting: { count: 10, accuracy: 0.8 }, other: { count: 30, accuracy: 0.4 } },
  samples: [{ prompt: `${s}+1=`, completion: s > 30 ? '1+2=3 wait 1+2=3' : '1+2=3', reward: 1 }],
  ...extra,
});

describe('ahaSummary', () => {
  it('sums the ten words per completion and means start / end over the window', () => {
    expect(reflectionPerCompletion(step(1, 0.2))).toBeCloseTo(0.3);
    expect(reflectionPerCompletion({ step: 1 })).toBeNull();
    const run = Array.from({ length: 40 }, (_, i) => step(i + 1, i < 20 ? 0.05 : 0.5));
    const a = ahaSummary(run, { window: 10, factor: 3 })!;
    expect(a.start.reflection).toBeCloseTo(0.15);
    expect(a.end.reflection).toBeCloseTo(0.6);
    expect(a.ratio).toBeCloseTo(4);
    expect(a.start.completionLength).toBeCloseTo(60.5);
    // The trailing mean crosses 3 × 0.15 = 0.45 once 7 of its 10 steps are at 0.6: step 27.
    expect(a.takeOffStep).toBe(27);
    expect(a.movingMean.slice(0, 9).every((m) => m === null)).toBe(true);
    // Pooled by count: 10 reflecting at 0.8 per step, 30 others at 0.4.
    expect(a.all).toMatchObject({ reflectingAccuracy: 0.8, otherAccuracy: 0.4, reflectingCount: 400 });
  });

  it('a rise that falls back before the end is not a take-off, nor a flat run', () => {
    const bump = Array.from({ length: 40 }, (_, i) => step(i + 1, i >= 15 && i < 25 ? 1 : 0.05));
    expect(ahaSummary(bump)?.takeOffStep).toBeNull();
    const flat = Array.from({ length: 40 }, (_, i) => step(i + 1, 0));
    const a = ahaSummary(flat)!;
    expect(a.takeOffStep).toBeNull();
    expect(a.ratio).toBeCloseTo(1);
  });

  it('clamps the window to half a short run, and has nothing to say without reflection logs', () => {
    const a = ahaSummary([step(1, 0.1), step(2, 0.1), step(3, 0.2), step(4, 0.2)], { window: 10 })!;
    expect(a.window).toBe(2);
    expect(a.start.steps).toEqual([1, 2]);
    expect(a.end.steps).toEqual([3, 4]);
    expect(ahaSummary([{ step: 1, accuracy: 1 }])).toBeUndefined();
    expect(ahaSpan([]).reflectingAccuracy).toBeNull();
  });
});

describe('the report aha panel', () => {
  it('states the take-off, marks it on its chart, and shows early and late samples side by side', () => {
    const run = Array.from({ length: 40 }, (_, i) => step(i + 1, i < 20 ? 0.05 : 0.5));
    const html = renderReport(run);
    expect(html).toContain('data-aha data-aha-take-off="27"');
    expect(html).toContain('Reflection took off at step 27');
    expect(html).toMatch(/reflecting completions[^<]*<\/td><td>0\.800/);
    const data = JSON.parse(/id="aha-data">([^<]*)</.exec(html)![1]) as {
      charts: { id: string; marker?: { step: number } }[];
    };
    expect(data.charts.find((c) => c.id === 'aha')?.marker?.step).toBe(27);
    expect(data.charts.some((c) => c.id === 'reflection-split')).toBe(true);
    const panel = html.slice(html.indexOf('data-aha-samples'));
    expect(panel.indexOf('Early (steps 1–10)')).toBeLessThan(panel.indexOf('Late (steps 31–40)'));
    expect(panel).toContain('10 of 10 logged samples reflect');
  });

  it('says so when reflection did not take off; no panel for logs without a reflection split', () => {
    const flat = Array.from({ length: 30 }, (_, i) => step(i + 1, 0.02));
    expect(renderReport(flat)).toMatch(/Reflection did not take off \(end [\d.]+× the start/);
    // The main job's case: no reflection word at all, so no ratio to quote.
    const none = Array.from({ length: 30 }, (_, i) =>
      step(i + 1, 0, { reflection: { wait: 0, check: 0 } as StepMetricsRecord['reflection'] }),
    );
    expect(renderReport(none)).toContain('no reflection word at the start of the run');
    const sft = Array.from({ length: 5 }, (_, i) => ({ step: i + 1, accuracy: 0.5 }));
    expect(renderReport(sft)).not.toContain('data-aha');
  });
});
