/**
 * The "aha moment" read off a run's metrics (DeepSeek-R1 §2.2.4, the reflection-word figure: reflection words grow
 * 5–7× over R1-Zero training). One definition, used by the report's aha panel and by the `aha-moment` recipe's
 * before → after numbers, so both say the same thing:
 * - start / end: means over the first / last `window` logged steps (single steps are too noisy at G·prompts ≈ 256);
 * - reflection: all ten reflection words per completion (the logs keep each word per completion; here they are summed);
 * - take-off: the first step whose trailing `window`-step mean of reflection reaches `factor` × the start mean, and
 *   only when the end mean is above that line too (a bump that fell back is not a take-off);
 * - does reflecting pay: accuracy of reflecting vs non-reflecting completions, pooled over a span by their counts.
 * Leaves out: statistical tests across seeds (the recipe's README reports seeds side by side instead).
 */
import { REFLECTION_WORDS, type StepMetricsRecord } from '../metrics/schema.js';

/** Reflection words (all ten) per completion of a step, or null when the step did not log reflection. */
export function reflectionPerCompletion(r: StepMetricsRecord): number | null {
  if (!r.reflection) return null;
  let total = 0;
  for (const w of REFLECTION_WORDS) {
    const v = r.reflection[w];
    if (typeof v === 'number' && Number.isFinite(v)) total += v;
  }
  return total;
}

/** Means of the aha quantities over a span of steps (null: not logged in the span). */
export interface AhaSpan {
  /** First and last step of the span. */
  steps: [number, number];
  reflection: number | null;
  /** "wait" per completion. */
  wait: number | null;
  completionLength: number | null;
  /** Training accuracy of the sampled completions. */
  accuracy: number | null;
  /** Share of completions with a reflection word. */
  reflectingShare: number | null;
  /** Accuracy of reflecting / non-reflecting completions, pooled by count. */
  reflectingAccuracy: number | null;
  otherAccuracy: number | null;
  /** Completions behind the pooled accuracies. */
  reflectingCount: number;
  otherCount: number;
}

/** What {@link ahaSummary} finds. */
export interface AhaSummary {
  window: number;
  factor: number;
  start: AhaSpan;
  end: AhaSpan;
  /** The whole run. */
  all: AhaSpan;
  /** end.reflection / start.reflection (null when the start is 0 or not logged). */
  ratio: number | null;
  /** Where reflection took off (see the file comment), or null when it did not. */
  takeOffStep: number | null;
  /** The trailing mean the take-off is judged on, one per step (null before `window` steps). */
  movingMean: (number | null)[];
}

const mean = (values: readonly (number | null | undefined)[]): number | null => {
  const v = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
};

/** The aha quantities over `records` (one span). */
export function ahaSpan(records: readonly StepMetricsRecord[]): AhaSpan {
  let rc = 0;
  let rr = 0;
  let oc = 0;
  let or = 0;
  let rj = 0;
  let oj = 0;
  for (const r of records) {
    const s = r.reflection_split;
    const refl = s?.reflecting;
    const other = s?.other;
    if (typeof refl?.count === 'number') {
      rc += refl.count;
      if (typeof refl.accuracy === 'number') {
        rr += refl.accuracy * refl.count;
        rj += refl.count;
      }
    }
    if (typeof other?.count === 'number') {
      oc += other.count;
      if (typeof other.accuracy === 'number') {
        or += other.accuracy * other.count;
        oj += other.count;
      }
    }
  }
  return {
    steps: records.length ? [records[0].step, records[records.length - 1].step] : [0, 0],
    reflection: mean(records.map(reflectionPerCompletion)),
    wait: mean(records.map((r) => r.reflection?.wait)),
    completionLength: mean(records.map((r) => r.completion_length?.mean)),
    accuracy: mean(records.map((r) => r.accuracy)),
    reflectingShare: mean(records.map((r) => r.reflection_split?.share)),
    reflectingAccuracy: rj ? rr / rj : null,
    otherAccuracy: oj ? or / oj : null,
    reflectingCount: rc,
    otherCount: oc,
  };
}

/**
 * Start, end and take-off of reflection over a run (records sorted by step); undefined when no step logged
 * reflection. `window` is clamped to half the run so start and end never overlap.
 */
export function ahaSummary(
  records: readonly StepMetricsRecord[],
  options: { window?: number; factor?: number } = {},
): AhaSummary | undefined {
  const list = records.filter((r) => reflectionPerCompletion(r) !== null);
  if (list.length === 0) return undefined;
  const factor = options.factor ?? 3;
  const window = Math.max(1, Math.min(options.window ?? 10, Math.floor(list.length / 2) || 1));
  const start = ahaSpan(list.slice(0, window));
  const end = ahaSpan(list.slice(-window));
  const values = list.map((r) => reflectionPerCompletion(r) as number);
  const movingMean = values.map((_, i) =>
    i + 1 < window ? null : values.slice(i + 1 - window, i + 1).reduce((a, b) => a + b, 0) / window,
  );
  const startMean = start.reflection ?? 0;
  // From a start of 0 any rise is infinite; ask for a floor of one reflection word per 100 completions instead.
  const line = factor * Math.max(startMean, 0.01);
  let takeOffStep: number | null = null;
  if ((end.reflection ?? 0) >= line) {
    const i = movingMean.findIndex((m, k) => k >= window && m !== null && m >= line);
    if (i >= 0) takeOffStep = list[i].step;
  }
  return {
    window,
    factor,
    start,
    end,
    all: ahaSpan(list),
    ratio: startMean > 0 && end.reflection !== null ? end.reflection / startMean : null,
    takeOffStep,
    movingMean,
  };
}
