/**
 * `combineRewards`: a weighted sum of rewards, as in R1-Zero (accuracy + format, equal weights) and TRL's
 * `reward_weights`: total = Σ wᵢ·rᵢ over the components that apply (rᵢ ≠ null, TRL's nansum; no renormalisation of
 * weights), null when none applies. The result keeps every component's own values and details for metrics.
 *
 * A component that fails (error/timeout) on a sample makes the total for that sample fail too (status `error`, value
 * null, the message names the component): treating it as "does not apply" would silently change the reward.
 *
 * Leaves out: gating (multiplying by another reward) — compose with defineReward where needed.
 */
import { ValueError } from '@aha/errors';
import type { Reward, Sample, SampleOutcome } from './reward.js';
import { createRewardContext } from './reward.js';
import { type DetailedReward, type RewardResult, runReward, type ScoreOptions } from './runner.js';

/** One part of a combined reward. */
export interface WeightedReward {
  reward: Reward;
  /** wᵢ in Σ wᵢ·rᵢ; 1 when left out. */
  weight?: number;
}

/** Combines per-component outcomes of one sample into the total's outcome. */
export function combineOutcomes(parts: { name: string; weight: number; outcome: SampleOutcome }[]): SampleOutcome {
  const failed = parts.filter((p) => p.outcome.status !== 'ok');
  if (failed.length > 0)
    return {
      status: failed.every((p) => p.outcome.status === 'timeout') ? 'timeout' : 'error',
      value: null,
      message: failed.map((p) => `component '${p.name}' ${p.outcome.status}: ${p.outcome.message}`).join('; '),
    };
  let total = 0;
  let applies = false;
  for (const p of parts) {
    if (p.outcome.value === null) continue;
    total += p.weight * p.outcome.value;
    applies = true;
  }
  return { status: 'ok', value: applies ? total : null };
}

/**
 * A reward whose value is the weighted sum of `parts` (nulls skipped; all null → null). Run through `scoreRewards`,
 * each part keeps its own time limit / worker / error isolation and its result appears under `components`.
 */
export function combineRewards(parts: readonly WeightedReward[], options: { name?: string } = {}): DetailedReward {
  if (!Array.isArray(parts) || parts.length === 0)
    throw new ValueError('combineRewards: parts must be a non-empty array of { reward, weight }');
  const names = new Set<string>();
  const list = parts.map((p, i) => {
    if (!p || typeof p.reward?.score !== 'function')
      throw new ValueError(`combineRewards: parts[${i}].reward is not a reward (use defineReward)`);
    const weight = p.weight ?? 1;
    if (!Number.isFinite(weight))
      throw new ValueError(`combineRewards: parts[${i}].weight must be finite, got ${weight}`);
    if (names.has(p.reward.name))
      throw new ValueError(`combineRewards: two parts are named '${p.reward.name}'; names must be unique for metrics`);
    names.add(p.reward.name);
    return { reward: p.reward, weight };
  });
  const name = options.name ?? list.map((p) => `${p.weight}*${p.reward.name}`).join('+');

  const scoreDetailed = async (samples: Sample[], opts: ScoreOptions & { validated?: boolean } = {}) => {
    const results = await Promise.all(list.map((p) => runReward(p.reward, samples, opts)));
    const details = samples.map((_, i) =>
      combineOutcomes(list.map((p, k) => ({ name: p.reward.name, weight: p.weight, outcome: results[k].details[i] }))),
    );
    return {
      name,
      values: details.map((d) => d.value),
      details,
      components: results.map((r, k) => ({ ...r, weight: list[k].weight })),
    } satisfies RewardResult;
  };

  return {
    name,
    parts: list.map((p) => p.reward),
    scoreDetailed,
    // Direct call: same computation; per-sample failures are passed on through ctx.fail.
    async score(samples, ctx = createRewardContext()) {
      const result = await scoreDetailed(samples, {
        timeoutMs: ctx.limits.timeoutMs,
        signal: ctx.signal,
        logger: ctx.logger,
      });
      return result.details.map((d, i) => {
        if (d.status !== 'ok') ctx.fail(i, d.message ?? d.status, d.status);
        return d.value;
      });
    },
  };
}
