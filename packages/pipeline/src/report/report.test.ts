// The HTML report without a browser: charts and data, self-containment, escaping of model output, sparse/bad logs.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AhaError } from '@aha/core';
import { contentIdFor, isLabelled, readHtmlMeta, readLabelSidecar } from '@aha/safety';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HOSTILE_COMPLETION, syntheticRun, toJsonl } from './__fixtures__/synthetic-run.js';
import { buildCharts, FRACTION, HELD_OUT_CHART_ID, REQUIRED_CHART_IDS, yRangeOf } from './charts.js';
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
    expect(html).toMatch(/data-stat="training accuracy \(sampled\)"[\s\S]*?→ <b>0\.\d{3}<\/b>/);
  });
});

describe('report: accuracy kinds, units, scales, labels', () => {
  it('keeps held-out greedy accuracy in its own labelled chart, apart from the sampled training accuracy', () => {
    const records = syntheticRun(10).map((r) => (r.step === 5 ? { ...r, heldout_accuracy: 0.3 } : r));
    const html = renderReport(records, {
      heldOut: [
        { step: 0, accuracy: 0.1 },
        { step: 10, accuracy: 0.6 },
      ],
    });
    const charts = embedded(html).charts;
    const held = charts.find((c) => c.id === HELD_OUT_CHART_ID)!;
    expect(held.steps).toEqual([0, 5, 10]);
    expect(held.series.map((s) => [s.label, s.values])).toEqual([['held-out accuracy (greedy)', [0.1, 0.3, 0.6]]]);
    expect(html).toContain('Held-out accuracy (greedy decoding, fixed problem set)');
    expect(html).toContain('Training accuracy and format (sampled rollouts)');
    // The training accuracy chart holds the per-step sampled accuracy only.
    const training = charts.find((c) => c.id === 'accuracy')!;
    expect(training.series.map((s) => s.label)).toEqual(['accuracy', 'format']);
    expect(html).toMatch(/data-stat="held-out accuracy \(greedy\)"[\s\S]*?0\.100 → <b>0\.600<\/b>/);
    // No held-out measurement, no held-out chart.
    expect(buildCharts(syntheticRun(3)).map((c) => c.id)).not.toContain(HELD_OUT_CHART_ID);
  });

  it('one unit per chart: every share is a fraction 0..1 with the same y label, never percent', () => {
    const charts = buildCharts(syntheticRun(20), { heldOut: [{ step: 0, accuracy: 0.2 }] });
    const shares = ['accuracy', HELD_OUT_CHART_ID, 'truncation', 'clip-fraction'];
    for (const c of charts.filter((x) => shares.includes(x.id))) {
      expect(c.yLabel.startsWith(FRACTION), c.id).toBe(true);
      for (const s of c.series) for (const v of s.values) if (v !== null) expect(v).toBeLessThanOrEqual(1);
    }
    for (const c of charts) expect(`${c.title} ${c.yLabel}`, c.id).not.toMatch(/%|percent/i);
  });

  it('scales the reflection chart to its data; an all-zero chart says so', () => {
    const small = syntheticRun(10).map((r) => ({
      ...r,
      reflection: Object.fromEntries(Object.keys(r.reflection!).map((w, i) => [w, i === 0 ? 0.02 * (r.step / 10) : 0])),
    }));
    const reflection = buildCharts(small).find((c) => c.id === 'reflection')!;
    expect(reflection.yRange[0]).toBe(0);
    expect(reflection.yRange[1]).toBeGreaterThan(0.02);
    expect(reflection.yRange[1]).toBeLessThan(0.03); // not 0..1 or uPlot's 0..100 for flat data
    expect(reflection.note).toBeUndefined();
    const zero = buildCharts(small.map((r) => ({ ...r, reflection: { wait: 0, but: 0 } })));
    const flat = zero.find((c) => c.id === 'reflection')!;
    expect(flat.yRange).toEqual([0, 1]);
    expect(flat.note).toMatch(/No reflection word appeared/);
    expect(renderReport(small.map((r) => ({ ...r, reflection: { wait: 0 } })))).toContain('class="note"');
    // The range always holds 0, so a line's height says how large its values are.
    const [lo, hi] = yRangeOf([{ label: 'x', color: '#000000', values: [2, 2] }]);
    expect([lo, hi.toFixed(2)]).toEqual([0, '2.16']);
  });

  it('labels the sample completions as AI-generated: explicitly on each sample, implicitly in the head', () => {
    const records = syntheticRun(10);
    const html = renderReport(records, { model: 'runs/x/final' });
    const samples = [...html.matchAll(/<div class="sample" data-sample>([\s\S]*?)<\/pre><\/div>/g)].map((m) => m[1]);
    expect(samples.length).toBeGreaterThan(0);
    for (const sample of samples) {
      const text = sample.replace(/<[^>]*>/g, '\n');
      expect(isLabelled(text), sample).toBe(true);
    }
    const label = readHtmlMeta(html);
    expect(label?.AIGC).toMatchObject({ Label: '1', ContentProducer: 'aha' });
    expect(label?.AIGC.ProduceID).toMatch(/^sha256:/);
    expect(label?.model).toBe('runs/x/final');
    // A report without samples shows no generated text and carries no label.
    expect(readHtmlMeta(renderReport([{ step: 1, kl: 0.1 }]))).toBeNull();
  });

  it('labels a metrics log that holds sample completions (sidecar), and only such a log', async () => {
    writeFileSync(join(dir, 'metrics.jsonl'), toJsonl(syntheticRun(5)));
    const r = writeReport(dir);
    expect(r.label).toBe(join(dir, 'metrics.jsonl.aigc.json'));
    const label = await readLabelSidecar(join(dir, 'metrics.jsonl'));
    expect(label?.AIGC.ProduceID).toBe(contentIdFor(readFileSync(join(dir, 'metrics.jsonl'))));
    const plain = join(dir, 'plain');
    mkdirSync(plain);
    writeFileSync(join(plain, 'metrics.jsonl'), toJsonl([{ step: 1, kl: 0.1 }]));
    expect(writeReport(plain).label).toBeUndefined();
    expect(existsSync(join(plain, 'metrics.jsonl.aigc.json'))).toBe(false);
  });
});
