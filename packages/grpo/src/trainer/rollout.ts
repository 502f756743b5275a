/**
 * The rollout half of a GRPO step (DeepSeekMath §4.1 / R1 §2.2.1): the G completions per prompt come from the
 * trainer's `RolloutEngine` (../rollout/engine.ts: local policy or an OpenAI-compatible server); here they are scored
 * with the rule rewards (weighted sum through `combineRewards`, each function's own values kept for metrics), and
 * the totals turned into group-relative advantages.
 *
 * Null handling: a reward function returning null "does not apply" and is skipped in the weighted sum (TRL's nansum);
 * a sample whose total is null — nothing applied, or a function failed / timed out — gets no advantage and is masked
 * out of the loss, and the failure is counted in the step's metrics (never read as 0). Group statistics use the
 * group's scored members only.
 * Leaves out: asynchronous (overlapped) generation (see engine.ts).
 */
import { combineRewards, type Reward, type RewardLogger, type Sample, scoreRewards } from '@aha/rewards';
import { groupAdvantages } from '../advantages.js';
import type { SampledCompletion } from '../rollout/engine.js';
import { failuresOf, type RewardFailures } from './reward-failures.js';

/** One sampled completion with everything the loss and the metrics need. JSON-serialisable (checkpointed). */
export interface RolloutSample extends SampledCompletion {
  /** Group (prompt) index within its rollout. */
  group: number;
  /** Value of each reward function (null: does not apply or failed). */
  rewards: Record<string, number | null>;
  /** Weighted total, null when nothing applied or a function failed (then the sample is masked out). */
  reward: number | null;
  advantage: number;
  /** log π_old, filled before the first update when a rollout is trained on more than once. */
  oldLogprobs?: number[];
  /** Index of the dataset row. */
  rowIndex: number;
}

/** Per-function failure counts of one scoring call. */
export type { RewardFailures } from './reward-failures.js';

/** Scores completions with the weighted rewards. Returns per-sample totals, per-function values and failures. */
export async function scoreCompletions(
  rewards: readonly Reward[],
  weights: Record<string, number>,
  samples: Sample[],
  timeoutMs: number,
  signal?: AbortSignal,
  logger?: RewardLogger,
): Promise<{ totals: (number | null)[]; perFunction: Record<string, (number | null)[]>; failures: RewardFailures }> {
  const combined = combineRewards(
    rewards.map((reward) => ({ reward, weight: weights[reward.name] ?? 1 })),
    { name: 'total' },
  );
  const [result] = await scoreRewards(combined, samples, { timeoutMs, signal, logger });
  const perFunction: Record<string, (number | null)[]> = {};
  for (const c of result.components ?? []) perFunction[c.name] = c.values;
  return { totals: result.values, perFunction, failures: failuresOf(result.components ?? []) };
}

/**
 * Group-relative advantages over the scored members of each group (null totals get 0 and are masked later).
 * Returns the advantages and, per group, whether it carries no signal (fewer than two scored members, or all equal).
 */
export function advantagesWithNulls(
  totals: readonly (number | null)[],
  groupSize: number,
  opts: { scale: 'std' | 'none'; epsilon: number },
): { advantages: number[]; zeroVariance: boolean[] } {
  const advantages = new Array<number>(totals.length).fill(0);
  const zeroVariance: boolean[] = [];
  for (let start = 0; start < totals.length; start += groupSize) {
    const idx: number[] = [];
    for (let j = 0; j < groupSize; j++) if (totals[start + j] !== null) idx.push(start + j);
    const values = idx.map((i) => totals[i] as number);
    const flat = values.length < 2 || values.every((v) => v === values[0]);
    zeroVariance.push(flat);
    if (flat) continue;
    const adv = groupAdvantages(values, values.length, opts);
    idx.forEach((i, k) => {
      advantages[i] = adv[k];
    });
  }
  return { advantages, zeroVariance };
}
