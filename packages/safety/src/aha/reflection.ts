/**
 * Reflection-word ("aha moment") analysis. DeepSeek-R1 (§2.2, the "aha moment" and the reflective-word figure)
 * tracks ten words — wait, mistake, however, but, retry, error, verify, wrong, evaluate, check — over R1-Zero
 * training: together they grow 5–7×, and "wait" rises sharply late in training. This file counts them per step
 * (from raw completions or from a GRPO metrics.jsonl), computes frequencies per 1 000 words, the growth factor from
 * the first to the last window of steps, detects the aha moment, and shapes series for a chart.
 *
 * Counting rule (the same as @aha/grpo's per-completion counter, so numbers agree): whole words, case-insensitive,
 * exactly the ten forms ("Wait," counts; "waiting", "await" do not). Words = whitespace-separated pieces. From a
 * metrics.jsonl the denominator is the record's `reflection.tokens` (whitespace words unless the trainer passed
 * model token counts). Rates over several steps are pooled (Σ counts / Σ words), not means of per-step rates, so a
 * step with few words does not swing them.
 *
 * Aha moment (our operational definition; the paper shows it, it does not define a test): with b = the pooled
 * "wait" rate over the first `baselineSteps` steps and T = max(k·b, minPer1k), the aha step is the first step
 * after the baseline whose trailing pooled rate (over the last `smooth` post-baseline steps) exceeds T and stays
 * above T for `sustain` consecutive steps (defaults k = 3, smooth = 3, sustain = 5: with sustain > smooth a single
 * spiky step cannot fire it, since it leaves the trailing window after `smooth` steps). `minPer1k` keeps a zero
 * baseline from firing on a single "wait".
 *
 * Leaves out: word lists for other languages; significance tests. The word list and counting rule are @aha/core's.
 */
import { readFile } from 'node:fs/promises';
import { emptyReflectionCounts, matchReflectionWords, REFLECTION_WORDS, type ReflectionWord } from '@aha/core';
import { z } from 'zod';
import { SafetyError } from '../errors.js';

// The word list and the counting rule are @aha/core's (shared with @aha/grpo's metrics); re-exported here.
export { REFLECTION_WORDS, type ReflectionWord };

/** Reflection-word counts over some text. */
export interface WordCounts {
  counts: Record<ReflectionWord, number>;
  /** Σ counts. */
  total: number;
  /** Words (whitespace-separated pieces) the counts are over. */
  words: number;
}

/** Count the reflection words in one text. */
export function countReflectionWords(text: string): WordCounts {
  if (typeof text !== 'string')
    throw new SafetyError('invalid', `countReflectionWords: text must be a string, got ${typeof text}`);
  const { counts, total } = matchReflectionWords(text);
  return { counts, total, words: text.match(/\S+/g)?.length ?? 0 };
}

/** Reflection statistics of one training step. */
export interface StepReflection extends WordCounts {
  step: number;
  /** Completions in the step (when known). */
  completions: number;
  /** counts / words × 1000 per word (0 when there are no words). */
  per1k: Record<ReflectionWord, number>;
  /** total / words × 1000. */
  totalPer1k: number;
}

function finish(step: number, completions: number, c: WordCounts): StepReflection {
  const rate = (n: number) => (c.words > 0 ? (n / c.words) * 1000 : 0);
  const per1k = emptyReflectionCounts();
  for (const w of REFLECTION_WORDS) per1k[w] = rate(c.counts[w]);
  return { step, completions, ...c, per1k, totalPer1k: rate(c.total) };
}

/** A step's completions, as training produced them. */
export interface StepCompletions {
  step: number;
  completions: readonly string[];
}

/** Count per step from completions. Entries of the same step are merged; the result is sorted by step. */
export function reflectionByStep(records: Iterable<StepCompletions>): StepReflection[] {
  const by = new Map<number, { completions: number; c: WordCounts }>();
  for (const r of records) {
    if (!Number.isFinite(r?.step))
      throw new SafetyError('invalid', `reflectionByStep: step must be a number, got ${r?.step}`);
    const acc = by.get(r.step) ?? { completions: 0, c: { counts: emptyReflectionCounts(), total: 0, words: 0 } };
    for (const text of r.completions) {
      const c = countReflectionWords(text);
      for (const w of REFLECTION_WORDS) acc.c.counts[w] += c.counts[w];
      acc.c.total += c.total;
      acc.c.words += c.words;
      acc.completions++;
    }
    by.set(r.step, acc);
  }
  return [...by].sort((a, b) => a[0] - b[0]).map(([step, v]) => finish(step, v.completions, v.c));
}

const MetricsReflectionSchema = z.looseObject({
  step: z.number(),
  reflection: z.looseObject({
    counts: z.record(z.string(), z.number().nonnegative()),
    tokens: z.number().nonnegative(),
    completions: z.number().int().nonnegative().optional(),
  }),
});

/**
 * Per-step statistics from GRPO metrics records (`{ step, reflection: { counts, tokens, completions } }`, as
 * @aha/grpo's MetricsWriter writes them). Records without a `reflection` field are skipped; a malformed one is an
 * error naming its index.
 */
export function reflectionFromMetrics(records: readonly unknown[]): StepReflection[] {
  const out: StepReflection[] = [];
  records.forEach((rec, i) => {
    if (typeof rec !== 'object' || rec === null || !('reflection' in rec)) return;
    const r = MetricsReflectionSchema.safeParse(rec);
    if (!r.success) {
      const issues = r.error.issues.slice(0, 3).map((x) => `${x.path.join('.')}: ${x.message}`);
      throw new SafetyError('malformed', `reflectionFromMetrics: record ${i}: ${issues.join('; ')}`);
    }
    const counts = emptyReflectionCounts();
    let total = 0;
    for (const w of REFLECTION_WORDS) {
      counts[w] = r.data.reflection.counts[w] ?? 0;
      total += counts[w];
    }
    out.push(
      finish(r.data.step, r.data.reflection.completions ?? 0, { counts, total, words: r.data.reflection.tokens }),
    );
  });
  return out.sort((a, b) => a.step - b.step);
}

/** Read a metrics.jsonl file (a torn last line from a crash is ignored) and return its per-step statistics. */
export async function readReflectionMetrics(path: string): Promise<StepReflection[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new SafetyError(
      'invalid',
      `readReflectionMetrics: cannot read ${path}: ${(err as Error).message}`,
      {},
      { cause: err },
    );
  }
  const lines = text.split('\n');
  const records: unknown[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].trim()) continue;
    try {
      records.push(JSON.parse(lines[i]));
    } catch (err) {
      if (i === lines.length - 1 && !text.endsWith('\n')) break; // torn last record
      throw new SafetyError(
        'malformed',
        `readReflectionMetrics: ${path}:${i + 1}: invalid JSON (${(err as Error).message})`,
      );
    }
  }
  return reflectionFromMetrics(records);
}

/** Options of {@link analyzeReflection} (symbols as in the file comment). */
export const ReflectionAnalysisOptionsSchema = z.object({
  window: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('Steps in the first and last window of the growth factor (default: 10% of the steps, at least 1).'),
  word: z.enum(REFLECTION_WORDS).default('wait').describe('The word whose jump marks the aha moment.'),
  k: z.number().positive().default(3).describe('k: the aha threshold is k × the baseline rate.'),
  baselineSteps: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('Steps of the early baseline (default: 10% of the steps, at least 1).'),
  smooth: z.number().int().positive().default(3).describe('Trailing post-baseline steps pooled for the rate tested.'),
  sustain: z
    .number()
    .int()
    .positive()
    .default(5)
    .describe(
      'Consecutive steps the smoothed rate must stay above the threshold (keep it > smooth: then one spiky step cannot fire).',
    ),
  minPer1k: z
    .number()
    .nonnegative()
    .default(1)
    .describe('Floor of the threshold, per 1k words (so a zero baseline needs a real rise).'),
});
export type ReflectionAnalysisOptions = z.input<typeof ReflectionAnalysisOptionsSchema>;

/** First→last window growth of one word (or the total). */
export interface Growth {
  firstPer1k: number;
  lastPer1k: number;
  /** lastPer1k / firstPer1k; null when the first window has none. */
  factor: number | null;
}

/** The detected aha moment. */
export interface AhaMoment {
  /** Training step of the aha moment. */
  step: number;
  /** Index into the steps array. */
  index: number;
  word: ReflectionWord;
  baselinePer1k: number;
  thresholdPer1k: number;
  /** The trailing pooled rate at that step. */
  ratePer1k: number;
}

/** The result of {@link analyzeReflection}. */
export interface ReflectionAnalysis {
  steps: StepReflection[];
  /** Steps per growth window. */
  window: number;
  growth: { total: Growth; words: Record<ReflectionWord, Growth> };
  aha: AhaMoment | null;
}

/** Pooled per-1k rate of `word` (or the total) over steps[from, to). */
function pooled(steps: readonly StepReflection[], from: number, to: number, word?: ReflectionWord): number {
  let n = 0;
  let words = 0;
  for (let i = Math.max(0, from); i < to; i++) {
    n += word ? steps[i].counts[word] : steps[i].total;
    words += steps[i].words;
  }
  return words > 0 ? (n / words) * 1000 : 0;
}

const growthOf = (first: number, last: number): Growth => ({
  firstPer1k: first,
  lastPer1k: last,
  factor: first > 0 ? last / first : null,
});

/** Growth factors and the aha moment over per-step statistics (sorted by step). */
export function analyzeReflection(
  steps: readonly StepReflection[],
  options: ReflectionAnalysisOptions = {},
): ReflectionAnalysis {
  const o = ReflectionAnalysisOptionsSchema.parse(options);
  const n = steps.length;
  if (n === 0) throw new SafetyError('invalid', 'analyzeReflection: no steps');
  for (let i = 1; i < n; i++) {
    if (!(steps[i].step > steps[i - 1].step)) {
      throw new SafetyError(
        'invalid',
        `analyzeReflection: steps must be sorted and unique (step ${steps[i].step} after ${steps[i - 1].step})`,
      );
    }
  }
  const tenth = Math.max(1, Math.round(n / 10));
  const window = Math.min(o.window ?? tenth, n);
  const words = emptyReflectionCounts() as unknown as Record<ReflectionWord, Growth>;
  for (const w of REFLECTION_WORDS) words[w] = growthOf(pooled(steps, 0, window, w), pooled(steps, n - window, n, w));
  const total = growthOf(pooled(steps, 0, window), pooled(steps, n - window, n));

  const base = Math.min(o.baselineSteps ?? tenth, n);
  const baselinePer1k = pooled(steps, 0, base, o.word);
  const thresholdPer1k = Math.max(o.k * baselinePer1k, o.minPer1k);
  const rateAt = (i: number) => pooled(steps, Math.max(base, i - o.smooth + 1), i + 1, o.word);
  let aha: AhaMoment | null = null;
  for (let i = base; i + o.sustain <= n && aha === null; i++) {
    let ok = true;
    for (let j = i; j < i + o.sustain && ok; j++) ok = rateAt(j) > thresholdPer1k;
    if (ok) aha = { step: steps[i].step, index: i, word: o.word, baselinePer1k, thresholdPer1k, ratePer1k: rateAt(i) };
  }
  return { steps: [...steps], window, growth: { total, words }, aha };
}

/** Series ready to chart (e.g. with uPlot: `[x, ...series.map(s => s.values)]`). */
export interface ReflectionChart {
  /** Training steps. */
  x: number[];
  /** Per-1k-word rates: 'total' first, then each chosen word. */
  series: { name: 'total' | ReflectionWord; values: number[] }[];
  /** Vertical markers, e.g. the aha moment. */
  markers: { x: number; label: string }[];
}

/**
 * Chart series from an analysis: the total and each chosen word (default all ten) per 1k words, pooled over a
 * trailing window of `smooth` steps (default 1 = raw), and a marker at the aha moment.
 */
export function reflectionChartSeries(
  analysis: ReflectionAnalysis,
  options: { words?: readonly ReflectionWord[]; smooth?: number } = {},
): ReflectionChart {
  const smooth = options.smooth ?? 1;
  if (!Number.isInteger(smooth) || smooth < 1)
    throw new SafetyError('invalid', `reflectionChartSeries: smooth must be an integer >= 1, got ${smooth}`);
  const s = analysis.steps;
  const at = (i: number, w?: ReflectionWord) => pooled(s, i - smooth + 1, i + 1, w);
  const words = options.words ?? REFLECTION_WORDS;
  return {
    x: s.map((r) => r.step),
    series: [
      { name: 'total', values: s.map((_, i) => at(i)) },
      ...words.map((w) => ({ name: w, values: s.map((_, i) => at(i, w)) })),
    ],
    markers: analysis.aha ? [{ x: analysis.aha.step, label: `aha ("${analysis.aha.word}")` }] : [],
  };
}
