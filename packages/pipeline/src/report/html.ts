/**
 * Renders the training report: one self-contained HTML page (inline CSS, inline uPlot, inline data, no network)
 * with a summary of first → last values, one chart per metric group and sample completions across the run. Charts
 * are drawn in the browser from an embedded JSON block; every text from the run is HTML-escaped here. Each chart
 * element carries `data-chart="<id>"` and, once drawn, `data-rendered="true"`, so tests and scripts can find it.
 * The sample completions are model output, so they are labelled as AI-generated (China's labelling measures,
 * GB 45438-2025, via @aha/safety): an explicit label on each sample and the implicit label (`<meta name="AIGC">`,
 * content id = hash of the samples shown) in the page head.
 * Leaves out: interactivity beyond uPlot's cursor/legend, comparing several runs on one page.
 */

import { embedHtmlMeta, labelGenerated, renderExplicitLabel } from '@aha/safety';
import type { SkippedLine } from '../metrics/jsonl.js';
import type { MetricsSample, StepMetricsRecord } from '../metrics/schema.js';
import { type AhaSpan, type AhaSummary, ahaSummary, reflectionPerCompletion } from './aha.js';
import { chartLibrary } from './assets.js';
import { buildCharts, type ChartSpec, HELD_OUT_CHART_ID, type HeldOutPoint, PALETTE, yRangeOf } from './charts.js';
import { escapeHtml, inlineScript, jsonForScript } from './escape.js';

/** What to put in the report beyond the metrics. */
export interface ReportOptions {
  /** Page title (default "aha training report"). */
  title?: string;
  /** Shown under the title: where the metrics came from. */
  source?: string;
  /** Lines of the log that were skipped, shown as a warning. */
  skipped?: readonly SkippedLine[];
  /** Steps with samples to show, spread evenly from first to last (default 12). */
  maxSampleSteps?: number;
  /** Samples shown per step (default 4). */
  maxSamplesPerStep?: number;
  /** Longest completion text shown, in characters; longer ones are cut with a note (default 4000). */
  maxCompletionChars?: number;
  /** Held-out greedy accuracy measured outside the metrics log (e.g. before and after training), fraction 0..1. */
  heldOut?: readonly HeldOutPoint[];
  /** The model that generated the samples, for their implicit AI-generated label. */
  model?: string;
  /** What risk control did to the run's data (a "Risk control" table; nothing when absent). */
  riskControl?: readonly RiskControlRow[];
  /** A multi-stage recipe's per-stage evaluation (a "Stages" table at the top; nothing when absent). */
  stages?: StageTable;
}

/**
 * A table of one row per model of a multi-stage recipe, the starting model first. A row with `flag` is marked as a
 * regression (e.g. a stage that lowered reasoning accuracy) and says why.
 */
export interface StageTable {
  columns: readonly string[];
  rows: readonly { stage: string; cells: readonly string[]; flag?: string }[];
  /** A line under the table (what the columns measure, the machine the figures are from). */
  note?: string;
}

/** One data set risk control filtered: its counts (`mode` 'off': it was not filtered). */
export interface RiskControlRow {
  /** Stage that filtered it. */
  stage: string;
  /** Which data (e.g. "sampled", "general", "prompts"). */
  data: string;
  mode: 'drop' | 'flag' | 'off';
  checked: number;
  blocked: number;
  dropped: number;
  flagged: number;
}

const fmt = (v: number | null | undefined): string => {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return Number.isInteger(v) ? String(v) : v.toFixed(a < 1 ? 3 : 2);
};

/** The first and last logged value of a metric. */
function firstLast(records: readonly StepMetricsRecord[], pick: (r: StepMetricsRecord) => unknown) {
  const values = records.map(pick).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return values.length === 0 ? undefined : { first: values[0], last: values[values.length - 1] };
}

function summary(records: readonly StepMetricsRecord[], heldOut: ChartSpec | undefined): string {
  const held = heldOut?.series[0]?.values.filter((v): v is number => v !== null) ?? [];
  const items: [string, (r: StepMetricsRecord) => unknown][] = [
    ['training accuracy (sampled)', (r) => r.accuracy],
    ['reward (total)', (r) => r.reward_mean],
    ['format', (r) => r.format_rate],
    ['completion length', (r) => r.completion_length?.mean],
    ['"wait" per completion', (r) => r.reflection?.wait],
    ['KL', (r) => r.kl],
  ];
  const stat = (label: string, fl: { first: number; last: number }) =>
    `<div class="stat" data-stat="${escapeHtml(label)}"><span class="label">${escapeHtml(label)}</span>` +
    `<span class="value">${fmt(fl.first)} → <b>${fmt(fl.last)}</b></span></div>`;
  const cells = [
    ...(held.length ? [stat('held-out accuracy (greedy)', { first: held[0], last: held[held.length - 1] })] : []),
    ...items.flatMap(([label, pick]) => {
      const fl = firstLast(records, pick);
      return fl ? [stat(label, fl)] : [];
    }),
  ];
  return cells.length ? `<section class="summary">${cells.join('')}</section>` : '';
}

function chartElement(chart: ChartSpec): string {
  const colors = chart.series.map((s) => s.color).join(' ');
  const body =
    chart.series.length === 0
      ? '<p class="empty">Not logged by this run.</p>'
      : '<div class="plot" role="img" aria-label="' + escapeHtml(chart.title) + '"></div>';
  const note = chart.note && chart.series.length ? `<p class="note">${escapeHtml(chart.note)}</p>` : '';
  return (
    `<figure class="chart" data-chart="${escapeHtml(chart.id)}" data-series="${chart.series.length}" ` +
    `data-series-colors="${escapeHtml(colors)}"><figcaption>${escapeHtml(chart.title)}</figcaption>${body}${note}</figure>`
  );
}

/** Picks up to `n` indices spread evenly over `0..length-1`, always including the first and last. */
export function spreadIndices(length: number, n: number): number[] {
  if (length <= n) return [...Array(length).keys()];
  if (n <= 1) return n === 1 ? [length - 1] : [];
  const out = new Set<number>();
  for (let i = 0; i < n; i++) out.add(Math.round((i * (length - 1)) / (n - 1)));
  return [...out];
}

/** The explicit AI-generated label each sample carries (the completion is model output). */
const SAMPLE_LABEL = renderExplicitLabel({ format: 'html' });

function sampleElement(sample: MetricsSample, maxChars: number): string {
  const cut = sample.completion.length > maxChars;
  const text = cut ? sample.completion.slice(0, maxChars) : sample.completion;
  const note = cut ? `\n… (${sample.completion.length - maxChars} more characters)` : '';
  return (
    `<div class="sample" data-sample>${SAMPLE_LABEL}<div class="reward">reward ${fmt(sample.reward)}</div>` +
    `<pre class="prompt">${escapeHtml(sample.prompt)}</pre><pre class="completion">${escapeHtml(text)}${escapeHtml(note)}</pre></div>`
  );
}

function samplesSection(records: readonly StepMetricsRecord[], options: ReportOptions): string {
  const withSamples = records.filter((r) => r.samples && r.samples.length > 0);
  if (withSamples.length === 0) return '';
  const picked = spreadIndices(withSamples.length, options.maxSampleSteps ?? 12).map((i) => withSamples[i]);
  const perStep = options.maxSamplesPerStep ?? 4;
  const maxChars = options.maxCompletionChars ?? 4000;
  const steps = picked.map((r, i) => {
    const shown = r.samples!.slice(0, perStep);
    return (
      `<details data-sample-step="${r.step}"${i === picked.length - 1 ? ' open' : ''}>` +
      `<summary>step ${r.step} — ${r.samples!.length} sample${r.samples!.length === 1 ? '' : 's'}` +
      `${r.accuracy != null ? `, accuracy ${fmt(r.accuracy)}` : ''}</summary>` +
      shown.map((s) => sampleElement(s, maxChars)).join('') +
      `</details>`
    );
  });
  return `<section class="samples" data-samples><h2>Sample completions</h2>${steps.join('')}</section>`;
}

function riskControlSection(rows: readonly RiskControlRow[] | undefined): string {
  if (!rows?.length) return '';
  const cell = (v: string | number) => `<td>${escapeHtml(String(v))}</td>`;
  const body = rows
    .map(
      (r) =>
        `<tr data-risk-row="${escapeHtml(`${r.stage}/${r.data}`)}">${[r.stage, r.data, r.mode, r.checked, r.blocked, r.dropped, r.flagged].map(cell).join('')}</tr>`,
    )
    .join('');
  return (
    '<section class="risk" data-risk-control><h2>Risk control</h2>' +
    '<p class="note">Samples the risk control (keyword filter → model review) blocked: dropped from the data, or kept and flagged.</p>' +
    '<table><thead><tr><th>stage</th><th>data</th><th>mode</th><th>checked</th><th>blocked</th><th>dropped</th><th>flagged</th></tr></thead>' +
    `<tbody>${body}</tbody></table></section>`
  );
}

function stageSection(table: StageTable | undefined): string {
  if (!table?.rows.length) return '';
  const head = ['stage', ...table.columns, ''].map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = table.rows
    .map(
      (r) =>
        `<tr data-stage-row="${escapeHtml(r.stage)}"${r.flag ? ' class="flagged" data-flagged' : ''}>` +
        [r.stage, ...r.cells].map((c) => `<td>${escapeHtml(c)}</td>`).join('') +
        `<td>${r.flag ? `⚠ ${escapeHtml(r.flag)}` : ''}</td></tr>`,
    )
    .join('');
  const note = table.note ? `<p class="note">${escapeHtml(table.note)}</p>` : '';
  return `<section class="stages" data-stage-table><h2>Stages</h2><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>${note}</section>`;
}

/** The aha panel's chart: reflection words per completion, their trailing mean, and the take-off marker. */
export function ahaChart(records: readonly StepMetricsRecord[], aha: AhaSummary): ChartSpec {
  const list = records.filter((r) => reflectionPerCompletion(r) !== null);
  const series = [
    { label: 'reflection words per completion', color: PALETTE[0], values: list.map(reflectionPerCompletion) },
    { label: `trailing ${aha.window}-step mean`, color: PALETTE[1], values: aha.movingMean },
  ];
  return {
    id: 'aha',
    title: 'Reflection words per completion (all ten), and where they took off',
    yLabel: 'per completion',
    steps: list.map((r) => r.step),
    series,
    yRange: yRangeOf(series),
    ...(aha.takeOffStep !== null && { marker: { step: aha.takeOffStep, label: 'take-off' } }),
  };
}

const REFLECTION_RE = /\b(wait|mistake|however|but|retry|error|verify|wrong|evaluate|check)\b/i;

/** Samples of a span of steps, those with a reflection word first (said so on the page). */
function spanSamples(records: readonly StepMetricsRecord[], n: number, maxChars: number): string {
  const all = records.flatMap((r) => (r.samples ?? []).map((s) => ({ ...s, step: r.step })));
  const reflecting = all.filter((s) => REFLECTION_RE.test(s.completion));
  const shown = [...reflecting, ...all.filter((s) => !REFLECTION_RE.test(s.completion))].slice(0, n);
  const head =
    `<p class="note">${reflecting.length} of ${all.length} logged samples reflect` +
    `${reflecting.length ? ' (shown first)' : ''}.</p>`;
  return head + shown.map((s) => sampleElement(s, maxChars)).join('');
}

function ahaSection(records: readonly StepMetricsRecord[], aha: AhaSummary | undefined, chart: ChartSpec | undefined) {
  if (!aha || !chart) return '';
  const { start, end } = aha;
  const row = (label: string, pick: (s: AhaSpan) => number | null) =>
    `<tr><td>${escapeHtml(label)}</td><td>${fmt(pick(start))}</td><td>${fmt(pick(end))}</td></tr>`;
  const verdict =
    aha.takeOffStep !== null
      ? `Reflection took off at step ${aha.takeOffStep}: its ${aha.window}-step mean first reached ${aha.factor}× the ` +
        `start there, and ended ${fmt(aha.ratio)}× the start.`
      : aha.ratio === null
        ? 'Reflection did not take off: no reflection word at the start of the run, so there is no rate to grow from.'
        : `Reflection did not take off (end ${fmt(aha.ratio)}× the start; a take-off needs ${aha.factor}× that holds ` +
          'to the end).';
  const pays =
    aha.all.reflectingAccuracy !== null && aha.all.otherAccuracy !== null
      ? ` Over the run, completions that reflect were correct ${fmt(aha.all.reflectingAccuracy)} of the time ` +
        `(${aha.all.reflectingCount}), those that do not ${fmt(aha.all.otherAccuracy)} (${aha.all.otherCount}).`
      : '';
  const first = records.filter((r) => r.step <= start.steps[1]);
  const last = records.filter((r) => r.step >= end.steps[0]);
  return (
    `<section class="aha" data-aha data-aha-take-off="${aha.takeOffStep ?? ''}"><h2>The aha moment</h2>` +
    `<p class="verdict">${escapeHtml(verdict + pays)}</p>` +
    `<table><thead><tr><th>mean over ${aha.window} steps</th><th>start (steps ${start.steps[0]}–${start.steps[1]})</th>` +
    `<th>end (steps ${end.steps[0]}–${end.steps[1]})</th></tr></thead><tbody>` +
    row('reflection words per completion', (s) => s.reflection) +
    row('"wait" per completion', (s) => s.wait) +
    row('share of completions that reflect', (s) => s.reflectingShare) +
    row('accuracy of reflecting completions', (s) => s.reflectingAccuracy) +
    row('accuracy of the others', (s) => s.otherAccuracy) +
    row('completion length (tokens)', (s) => s.completionLength) +
    row('training accuracy (sampled)', (s) => s.accuracy) +
    `</tbody></table><div class="charts">${chartElement(chart)}</div>` +
    `<div class="side-by-side" data-aha-samples><div><h3>Early (steps ${start.steps[0]}–${start.steps[1]})</h3>` +
    `${spanSamples(first, 4, 1000)}</div><div><h3>Late (steps ${end.steps[0]}–${end.steps[1]})</h3>` +
    `${spanSamples(last, 4, 1000)}</div></div></section>`
  );
}

/** The text of every sample the page shows, for the content id of its implicit label. */
function shownSamplesText(records: readonly StepMetricsRecord[]): string {
  // Every logged sample (the aha panel's early / late picks are among them).
  return records.flatMap((r) => (r.samples ?? []).map((s) => s.completion)).join('\n');
}

// Runs in the page: draw each chart with uPlot from the embedded data, mark it rendered, keep widths on resize.
const CLIENT = `(() => {
  const data = JSON.parse(document.getElementById('aha-data').textContent);
  const plots = [];
  // uPlot's default ticks round 1e-6 to 0; learning rates and small KLs need exponents.
  const tick = (v) => {
    if (v == null) return '';
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(1) : String(+v.toPrecision(6));
  };
  for (const chart of data.charts) {
    if (chart.series.length === 0) continue;
    const figure = document.querySelector('[data-chart="' + chart.id + '"]');
    const el = figure.querySelector('.plot');
    // Points where a line alone would hide the data: few steps, or a sparse series (held-out every N steps).
    const few = (values) => values.filter((v) => v != null).length < 40;
    const opts = {
      width: Math.max(280, el.clientWidth),
      height: 240,
      // The y range comes from the data (charts.ts yRangeOf), not uPlot's default for flat data (0..100).
      scales: { x: { time: false }, y: { range: () => chart.yRange } },
      legend: { live: true },
      series: [{ label: 'step' }].concat(chart.series.map((s) => ({
        label: s.label, stroke: s.color, width: 2, spanGaps: true,
        points: { show: few(s.values), size: 5, fill: s.color, stroke: s.color },
      }))),
      axes: [{ label: 'step' }, { label: chart.yLabel, size: 64, values: (u, splits) => splits.map(tick) }],
    };
    // A dashed vertical line where the chart marks a step (the aha take-off).
    if (chart.marker) opts.hooks = { draw: [(u) => {
      const x = u.valToPos(chart.marker.step, 'x', true);
      const c = u.ctx;
      c.save(); c.strokeStyle = '#d62728'; c.lineWidth = 2; c.setLineDash([6, 4]);
      c.beginPath(); c.moveTo(x, u.bbox.top); c.lineTo(x, u.bbox.top + u.bbox.height); c.stroke();
      c.fillStyle = '#d62728'; c.fillText(chart.marker.label, x + 4, u.bbox.top + 12); c.restore();
    }] };
    const plot = new uPlot(opts, [chart.steps].concat(chart.series.map((s) => s.values)), el);
    plots.push([plot, el]);
    figure.dataset.rendered = 'true';
  }
  addEventListener('resize', () => {
    for (const [plot, el] of plots) plot.setSize({ width: Math.max(280, el.clientWidth), height: 240 });
  });
  document.body.dataset.chartsRendered = String(plots.length);
})();`;

const CSS = `
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg2: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); margin: 0 auto;
  max-width: 1280px; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 10px; }
.source { color: var(--muted); margin: 0 0 16px; word-break: break-all; }
.warning { background: #fff8c5; border: 1px solid #d4a72c; padding: 8px 12px; border-radius: 6px; }
.summary { display: flex; flex-wrap: wrap; gap: 10px; margin: 12px 0 8px; }
.stat { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; background: var(--bg2); }
.stat .label { display: block; color: var(--muted); font-size: 12px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(380px, 1fr)); gap: 16px; }
.chart { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px; min-width: 0; }
.chart figcaption { font-weight: 600; margin-bottom: 4px; }
.chart .note { color: var(--muted); font-size: 12px; margin: 4px 0 0; }
.aigc-label { display: inline-block; margin: 0 0 4px; padding: 1px 6px; border: 1px solid var(--line);
  border-radius: 4px; font-size: 11px; color: var(--muted); background: var(--bg2); }
.risk table { border-collapse: collapse; } .risk td, .risk th { border: 1px solid var(--line); padding: 4px 10px; }
.risk td:nth-child(n+4) { text-align: right; }
.stages table { border-collapse: collapse; } .stages td, .stages th { border: 1px solid var(--line); padding: 4px 10px; }
.stages td:nth-child(n+2) { text-align: right; } .stages tr.flagged td { background: #fff1f0; }
.chart .empty { color: var(--muted); height: 240px; display: flex; align-items: center; justify-content: center; }
.samples details { border: 1px solid var(--line); border-radius: 6px; margin: 8px 0; padding: 6px 10px; }
.samples summary { cursor: pointer; font-weight: 600; }
.sample { border-top: 1px solid var(--line); padding: 8px 0; }
.sample .reward { color: var(--muted); font-size: 12px; }
.sample pre { white-space: pre-wrap; word-break: break-word; margin: 4px 0; padding: 8px; border-radius: 4px;
  font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
.aha table { border-collapse: collapse; margin: 8px 0; } .aha td, .aha th { border: 1px solid var(--line); padding: 4px 10px; }
.aha .verdict { font-weight: 600; } .side-by-side { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.sample .prompt { background: var(--bg2); } .sample .completion { background: #eef6ff; }
`;

/**
 * Renders the report page for metrics records (sorted by step, e.g. from `readMetricsFile`).
 * @returns the complete HTML document
 */
export function renderReport(records: readonly StepMetricsRecord[], options: ReportOptions = {}): string {
  const title = options.title ?? 'aha training report';
  const charts = buildCharts(records, { heldOut: options.heldOut });
  const lib = chartLibrary();
  const steps = records.length;
  const range = steps ? `steps ${records[0].step}–${records[steps - 1].step}` : 'no steps';
  const skipped = options.skipped ?? [];
  const warning = skipped.length
    ? `<p class="warning" data-skipped="${skipped.length}">${skipped.length} line${skipped.length === 1 ? '' : 's'} ` +
      `of the metrics log skipped: ${skipped
        .slice(0, 5)
        .map((s) => `line ${s.line}: ${escapeHtml(s.reason)}`)
        .join('; ')}${skipped.length > 5 ? '; …' : ''}</p>`
    : '';
  const aha = records.some((r) => r.reflection_split) ? ahaSummary(records) : undefined;
  const ahaPlot = aha ? ahaChart(records, aha) : undefined;
  const data = { charts: [...charts, ...(ahaPlot ? [ahaPlot] : [])].filter((c) => c.series.length > 0) };
  const heldOutChart = charts.find((c) => c.id === HELD_OUT_CHART_ID);
  const samples = samplesSection(records, options);
  const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="@aha/pipeline report, uPlot ${escapeHtml(lib.version)}">
<title>${escapeHtml(title)}</title>
<style>${lib.css}</style>
<style>${CSS}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="source">${options.source ? `${escapeHtml(options.source)} · ` : ''}${records.length} logged step${
    records.length === 1 ? '' : 's'
  } (${range})</p>
${warning}
${stageSection(options.stages)}
${summary(records, heldOutChart)}
${ahaSection(records, aha, ahaPlot)}
<section class="charts">
${charts.map(chartElement).join('\n')}
</section>
${riskControlSection(options.riskControl)}
${samples}
<script type="application/json" id="aha-data">${jsonForScript(data)}</script>
<script>${inlineScript(lib.js)}</script>
<script>${CLIENT}</script>
</body>
</html>
`;
  if (!samples) return page;
  return embedHtmlMeta(page, labelGenerated(shownSamplesText(records), { model: options.model }));
}
