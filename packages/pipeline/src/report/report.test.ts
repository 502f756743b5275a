// The HTML report without a browser: charts and data, self-containment, escaping of model output, sparse/bad logs.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AhaError } from '@aha/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HOSTILE_COMPLETION, syntheticRun, toJsonl } from './__fixtures__/synthetic-run.js';
import { buildCharts, REQUIRED_CHART_IDS } from './charts.js';
import { escapeHtml, jsonForScript } from './escape.js';
import { renderReport, spreadIndices } from './html.js';
import { writeReport } from './write.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'aha-report-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const embedded = (html: string) => {
  const m = /<script type="application\/json" id="aha-data">([^<]*)<\/script>/.exec(html);
  if (!m) throw new Error('no data block');
  return JSON.parse(m[1]) as {
    charts: { id: string; steps: number[]; series: { label: string; values: number[] }[] }[];
  };
};

describe('writeReport', () => {
  it('writes report.html into the run folder with every required chart and the run data', () => {
    const records = syntheticRun(30);
    writeFileSync(join(dir, 'metrics.jsonl'), toJsonl(records));
    const result = writeReport(dir);
    expect(result.file).toBe(join(dir, 'report.html'));
    expect(result.steps).toBe(30);
    const html = readFileSync(result.file, 'utf8');
    for (const id of REQUIRED_CHART_IDS) expect(html).toContain(`data-chart="${id}"`);
    const data = embedded(html);
    const accuracy = data.charts.find((c) => c.id === 'accuracy')!;
    expect(accuracy.steps).toEqual(records.map((r) => r.step));
    expect(accuracy.series.find((s) => s.label === 'accuracy')!.values).toEqual(records.map((r) => r.accuracy));
    const rewards = data.charts.find((c) => c.id === 'rewards')!;
    expect(rewards.series.map((s) => s.label)).toEqual(['accuracy', 'format', 'total']);
    const reflection = data.charts.find((c) => c.id === 'reflection')!;
    expect(reflection.series).toHaveLength(10);
    expect(result.charts).toEqual(expect.arrayContaining([...REQUIRED_CHART_IDS, 'throughput', 'truncation']));
  });

  it('is self-contained: the chart library is inlined, nothing is loaded from the network', () => {
    writeFileSync(join(dir, 'm.jsonl'), toJsonl(syntheticRun(5)));
    const html = readFileSync(writeReport(join(dir, 'm.jsonl'), join(dir, 'out', 'r.html')).file, 'utf8');
    expect(html).toContain('var uPlot=');
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+href=/i);
    expect(html).not.toMatch(/url\(\s*['"]?https?:/i);
  });

  it('escapes sample text from the model (no markup injection)', () => {
    writeFileSync(join(dir, 'metrics.jsonl'), toJsonl(syntheticRun(10)));
    const html = readFileSync(writeReport(dir).file, 'utf8');
    expect(html).not.toContain(HOSTILE_COMPLETION);
    expect(html).not.toContain('<img src=x');
    expect(html).toContain(escapeHtml(HOSTILE_COMPLETION));
    expect(html).toContain('&lt;b&gt;bold?&lt;/b&gt;');
    // Exactly three <script> elements: data, uPlot, client.
    expect(html.match(/<script\b/g)).toHaveLength(3);
    expect(html).toContain('data-sample-step="10"');
  });

  it('keeps working with sparse records: required charts say "not logged", optional ones disappear', () => {
    writeFileSync(
      join(dir, 'metrics.jsonl'),
      toJsonl([{ step: 0, accuracy: 0.5 }, { step: 1 }, { step: 2, accuracy: 0.75 }]),
    );
    const result = writeReport(dir);
    expect(result.charts).toEqual(['accuracy']);
    const html = readFileSync(result.file, 'utf8');
    expect(html).toContain('data-chart="kl" data-series="0"');
    expect(html).not.toContain('data-chart="throughput"');
    const acc = embedded(html).charts.find((c) => c.id === 'accuracy')!;
    expect(acc.series[0].values).toEqual([0.5, null, 0.75]);
  });

  it('skips a torn last line and reports bad lines in the page', () => {
    const text = `${JSON.stringify({ step: 1, kl: 0.1 })}\n{"step": "two"}\n${JSON.stringify({ step: 3, kl: 0.3 })}\n{"step": 4, "kl"`;
    writeFileSync(join(dir, 'metrics.jsonl'), text);
    const result = writeReport(dir);
    expect(result.steps).toBe(2);
    expect(result.skipped).toBe(2);
    const html = readFileSync(result.file, 'utf8');
    expect(html).toContain('data-skipped="2"');
    expect(html).toContain('line 2: step: expected number, got &quot;two&quot;');
    expect(html).toContain('line 4: incomplete last line');
  });

  it('fails with an io error naming the path when there is nothing to report', () => {
    expect(() => writeReport(join(dir, 'missing'))).toThrowError(/missing does not exist/);
    writeFileSync(join(dir, 'metrics.jsonl'), '\n');
    try {
      writeReport(dir);
      expect.unreachable();
    } catch (err) {
      expect(AhaError.is(err, 'io')).toBe(true);
      expect((err as Error).message).toContain('has no usable metrics line');
    }
  });
});

describe('report pieces', () => {
  it('jsonForScript cannot close its script element', () => {
    const s = jsonForScript({ x: '</script><!-- \u2028' });
    expect(s).not.toContain('<');
    expect(JSON.parse(s)).toEqual({ x: '</script><!-- \u2028' });
  });

  it('spreadIndices keeps first and last and spreads the rest', () => {
    expect(spreadIndices(3, 12)).toEqual([0, 1, 2]);
    expect(spreadIndices(100, 5)).toEqual([0, 25, 50, 74, 99]);
    expect(spreadIndices(10, 1)).toEqual([9]);
  });

  it('drops non-finite values as gaps and keeps colours stable when a series is missing', () => {
    const charts = buildCharts([
      { step: 1, clip_fraction: { high: 0.2 } },
      { step: 2, clip_fraction: { high: null } },
    ]);
    const clip = charts.find((c) => c.id === 'clip-fraction')!;
    expect(clip.series).toHaveLength(1);
    expect(clip.series[0].values).toEqual([0.2, null]);
    expect(clip.series[0].color).toBe('#f28e2b'); // the colour of "high" even though "low" is absent
  });

  it('renders a summary of first → last values', () => {
    const html = renderReport(syntheticRun(20));
    expect(html).toMatch(/data-stat="accuracy"[\s\S]*?→ <b>0\.\d{3}<\/b>/);
  });
});
