/**
 * Accepts the camelCase step record that @aha/grpo's `GrpoTrainer` yields (`StepMetrics`: `reward: {mean, std}`,
 * `formatRate`, `completionLength`, `clippedShare`, `clipFraction`, `gradNorm`, `throughput`, `reflection.counts`,
 * `zeroVarianceGroups: {count, share}`) and maps it onto the snake_case `StepMetricsRecord` the report and progress
 * read, so a log written by either side draws the same charts. Keys already in the contract win; everything else
 * passes through untouched. Leaves out: guessing at names neither side uses.
 */

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/**
 * Returns a copy of `raw` with the camelCase GRPO fields added under their contract names (when those are absent).
 * Non-objects are returned as they are (validation reports them).
 */
export function normalizeStepMetrics(raw: unknown): unknown {
  if (!isObject(raw)) return raw;
  const out: Json = { ...raw };
  const setIfAbsent = (key: string, value: unknown) => {
    if (out[key] === undefined && value !== undefined) out[key] = value;
  };

  if (isObject(raw.reward)) setIfAbsent('reward_mean', num(raw.reward.mean));
  setIfAbsent('format_rate', num(raw.formatRate));
  setIfAbsent('grad_norm', num(raw.gradNorm));

  if (out.completion_length === undefined && (isObject(raw.completionLength) || raw.clippedShare !== undefined)) {
    const cl = isObject(raw.completionLength) ? raw.completionLength : {};
    out.completion_length = { mean: num(cl.mean), max: num(cl.max), clipped_share: num(raw.clippedShare) };
  }
  if (isObject(raw.clipFraction)) setIfAbsent('clip_fraction', raw.clipFraction);
  if (isObject(raw.throughput)) {
    setIfAbsent('tokens_per_s', {
      rollout: num(raw.throughput.rolloutTokensPerSec),
      train: num(raw.throughput.trainTokensPerSec),
    });
  }
  // GRPO logs batch sums (`counts`) over `completions`; the contract's reflection fields are per completion.
  if (isObject(raw.reflection) && isObject(raw.reflection.counts)) {
    const completions = num(raw.reflection.completions);
    const perCompletion: Json = {};
    for (const [word, count] of Object.entries(raw.reflection.counts)) {
      if (typeof count === 'number') perCompletion[word] = completions ? count / completions : count;
    }
    out.reflection = perCompletion;
  }
  if (isObject(raw.reflectionSplit)) setIfAbsent('reflection_split', raw.reflectionSplit);
  if (isObject(raw.zeroVarianceGroups)) setIfAbsent('zero_variance_groups', num(raw.zeroVarianceGroups.count));
  return out;
}
