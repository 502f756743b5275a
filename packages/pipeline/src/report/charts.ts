/**
 * From metrics records to chart data: which charts the report has, their series, one value (or null = gap) per
 * step. The chart set follows what DeepSeek-R1 (§2.2, Fig. 2–3) and TRL's GRPO logs show: rewards per function,
 * accuracy, response length, KL, ratio clipping, entropy, and the reflection-word curve whose late rise is the
 * "aha moment". Required charts are always present (empty when a run did not log them); extra ones only with data.
 *
 * Accuracy comes in two kinds that must not be confused: the training accuracy is the share of correct *sampled*
 * rollouts of each step (temperature τ, the prompts of that step), the held-out accuracy is *greedy* decoding of a
 * fixed problem set the model never trains on. They get separate charts. One unit per chart: every share is a
 * fraction 0..1 (never percent), and the y label says which unit a chart is in.
 */
import { REFLECTION_WORDS, type StepMetricsRecord } from '../metrics/schema.js';

/** One line in a chart. */
export interface ChartSeries {
  label: string;
  /** CSS colour `#rrggbb`; the browser test looks for these pixels. */
  color: string;
  /** One value per step of the chart; null where the step did not log it. */
  values: (number | null)[];
}

/** One chart of the report. */
export interface ChartSpec {
  /** Stable id, the `data-chart` attribute of its element. */
  id: string;
  title: string;
  yLabel: string;
  /** The x axis: optimizer steps. */
  steps: number[];
  /** Series with at least one value; empty means the run logged nothing for this chart. */
  series: ChartSeries[];
  /** The y range drawn, from the data (so a chart of small values is not a flat line at the bottom). */
  yRange: [number, number];
  /** Shown under the chart when its data needs a word (e.g. every value is 0). */
  note?: string;
  /** A vertical line at a step (the aha panel marks where reflection took off). */
  marker?: { step: number; label: string };
}

/** The y label of every chart of shares (0..1). */
export const FRACTION = 'fraction (0–1)';

/** One held-out evaluation: greedy accuracy (fraction 0..1) of the model after `step` optimizer steps. */
export interface HeldOutPoint {
  step: number;
  accuracy: number;
}

/** Tableau 10: distinct, colour-blind-aware, enough for the ten reflection words. */
export const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
] as const;

type Pick = (r: StepMetricsRecord) => number | null | undefined;

interface Definition {
  id: string;
  title: string;
  yLabel: string;
  required: boolean;
  series: (records: StepMetricsRecord[]) => { label: string; pick: Pick }[];
}

const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

const DEFINITIONS: Definition[] = [
  {
    id: 'rewards',
    title: 'Reward per function (mean)',
    yLabel: 'reward',
    required: true,
    series: (records) => {
      const names = [...new Set(records.flatMap((r) => Object.keys(r.rewards ?? {})))];
      return [
        ...names.map((name) => ({ label: name, pick: ((r) => r.rewards?.[name]?.mean) as Pick })),
        { label: 'total', pick: (r) => r.reward_mean },
      ];
    },
  },
  {
    id: 'accuracy',
    title: 'Training accuracy and format (sampled rollouts)',
    yLabel: FRACTION,
    required: true,
    series: () => [
      { label: 'accuracy', pick: (r) => r.accuracy },
      { label: 'format', pick: (r) => r.format_rate },
    ],
  },
  {
    id: 'completion-length',
    title: 'Completion length',
    yLabel: 'tokens',
    required: true,
    series: () => [
      { label: 'mean', pick: (r) => r.completion_length?.mean },
      { label: 'max', pick: (r) => r.completion_length?.max },
    ],
  },
  {
    id: 'kl',
    title: 'KL to reference (k3)',
    yLabel: 'nats/token',
    required: true,
    series: () => [{ label: 'kl', pick: (r) => r.kl }],
  },
  {
    id: 'clip-fraction',
    title: 'Clipped ratio share',
    yLabel: `${FRACTION} of tokens`,
    required: true,
    series: () => [
      { label: 'low (1 − ε_low)', pick: (r) => r.clip_fraction?.low },
      { label: 'high (1 + ε_high)', pick: (r) => r.clip_fraction?.high },
    ],
  },
  {
    id: 'entropy',
    title: 'Policy entropy',
    yLabel: 'nats/token',
    required: true,
    series: () => [{ label: 'entropy', pick: (r) => r.entropy }],
  },
  {
    id: 'reflection',
    title: 'Reflection words ("aha moment")',
    yLabel: 'per completion',
    required: true,
    series: () => REFLECTION_WORDS.map((word) => ({ label: word, pick: ((r) => r.reflection?.[word]) as Pick })),
  },
  {
    id: 'reflection-split',
    title: 'Does reflecting pay? Accuracy of completions with vs without a reflection word',
    yLabel: FRACTION,
    required: false,
    series: () => [
      { label: 'share that reflects', pick: (r) => r.reflection_split?.share },
      { label: 'accuracy (reflecting)', pick: (r) => r.reflection_split?.reflecting?.accuracy },
      { label: 'accuracy (not reflecting)', pick: (r) => r.reflection_split?.other?.accuracy },
    ],
  },
  {
    id: 'truncation',
    title: 'Completions cut at max length',
    yLabel: FRACTION,
    required: false,
    series: () => [{ label: 'clipped share', pick: (r) => r.completion_length?.clipped_share }],
  },
  {
    id: 'zero-variance',
    title: 'Groups with zero reward variance',
    yLabel: 'groups',
    required: false,
    series: () => [{ label: 'zero-variance groups', pick: (r) => r.zero_variance_groups }],
  },
  {
    id: 'throughput',
    title: 'Throughput',
    yLabel: 'tokens/s',
    required: false,
    series: () => [
      { label: 'rollout', pick: (r) => r.tokens_per_s?.rollout },
      { label: 'train', pick: (r) => r.tokens_per_s?.train },
    ],
  },
  {
    id: 'grad-norm',
    title: 'Gradient norm (before clipping)',
    yLabel: 'norm',
    required: false,
    series: () => [{ label: 'grad norm', pick: (r) => r.grad_norm }],
  },
  {
    id: 'lr',
    title: 'Learning rate',
    yLabel: 'lr',
    required: false,
    series: () => [{ label: 'lr', pick: (r) => r.lr }],
  },
];

/** Ids of the charts every report has, in order. */
export const REQUIRED_CHART_IDS = DEFINITIONS.filter((d) => d.required).map((d) => d.id);

/** The id of the held-out accuracy chart (present when the run measured it). */
export const HELD_OUT_CHART_ID = 'heldout-accuracy';

/**
 * The y range of a chart from its values: from min(0, smallest) to the largest plus a margin; a chart whose values
 * are all equal gets a unit-wide range around them instead of a degenerate one.
 */
export function yRangeOf(series: readonly ChartSeries[]): [number, number] {
  const values = series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  if (values.length === 0) return [0, 1];
  const lo = Math.min(0, ...values);
  const hi = Math.max(...values);
  if (hi === lo) return lo === 0 ? [0, 1] : [lo - Math.abs(lo) / 2, hi + Math.abs(hi) / 2];
  return [lo, hi + (hi - lo) * 0.08];
}

/**
 * The held-out points of a run: `heldout_accuracy` of the records (the r1-zero recipe logs it every `evalEvery`
 * steps) and the points given (e.g. before and after training); a given point replaces a logged one of its step.
 */
function heldOutPoints(records: readonly StepMetricsRecord[], given: readonly HeldOutPoint[]): HeldOutPoint[] {
  const byStep = new Map<number, number>();
  for (const r of records) {
    const v = finite((r as Record<string, unknown>).heldout_accuracy);
    if (v !== null) byStep.set(r.step, v);
  }
  for (const p of given) if (Number.isFinite(p.accuracy)) byStep.set(p.step, p.accuracy);
  return [...byStep].sort((a, b) => a[0] - b[0]).map(([step, accuracy]) => ({ step, accuracy }));
}

/**
 * Builds the charts for records sorted by step. A series with no value at any step is dropped; an optional chart
 * with no series is dropped. `heldOut` adds held-out greedy accuracy points to those the records log.
 */
export function buildCharts(
  records: readonly StepMetricsRecord[],
  options: { heldOut?: readonly HeldOutPoint[] } = {},
): ChartSpec[] {
  const list = [...records];
  const steps = list.map((r) => r.step);
  const charts: ChartSpec[] = [];
  const held = heldOutPoints(list, options.heldOut ?? []);
  if (held.length > 0) {
    const series = [{ label: 'held-out accuracy (greedy)', color: PALETTE[0], values: held.map((p) => p.accuracy) }];
    charts.push({
      id: HELD_OUT_CHART_ID,
      title: 'Held-out accuracy (greedy decoding, fixed problem set)',
      yLabel: FRACTION,
      steps: held.map((p) => p.step),
      series,
      yRange: yRangeOf(series),
    });
  }
  for (const def of DEFINITIONS) {
    const series: ChartSeries[] = [];
    def.series(list).forEach(({ label, pick }, i) => {
      const values = list.map((r) => finite(pick(r)));
      if (values.some((v) => v !== null)) series.push({ label, color: PALETTE[i % PALETTE.length], values });
    });
    if (series.length === 0 && !def.required) continue;
    const allZero = series.length > 0 && series.every((s) => s.values.every((v) => v === null || v === 0));
    charts.push({
      id: def.id,
      title: def.title,
      yLabel: def.yLabel,
      steps,
      series,
      yRange: yRangeOf(series),
      ...(allZero && {
        note:
          def.id === 'reflection'
            ? 'No reflection word appeared in any completion (every count is 0).'
            : 'Every logged value is 0.',
      }),
    });
  }
  return charts;
}
