/**
 * The rollout half of a GRPO step (DeepSeekMath §4.1 / R1 §2.2.1): for each prompt sample G completions (the local
 * policy's `model.generate`, or an OpenAI-compatible server), score them with the rule rewards (weighted sum through
 * `combineRewards`, each function's own values kept for metrics), and turn the totals into group-relative advantages.
 *
 * Null handling: a reward function returning null "does not apply" and is skipped in the weighted sum (TRL's nansum);
 * a sample whose total is null — nothing applied, or a function failed / timed out — gets no advantage and is masked
 * out of the loss, and the failure is counted in the step's metrics (never read as 0). Group statistics use the
 * group's scored members only.
 * Leaves out: asynchronous (overlapped) generation; weight sync to a remote server (the caller's business).
 */
import type { Model, Tokenizer } from '@aha/core';
import { combineRewards, type Reward, type RewardLogger, type Sample, scoreRewards } from '@aha/rewards';
import { groupAdvantages } from '../advantages.js';
import type { DatasetRow } from '../data/types.js';
import type { RemoteRolloutClient } from '../rollout/remote.js';
import { failuresOf, type RewardFailures } from './reward-failures.js';

/** One sampled completion with everything the loss and the metrics need. JSON-serialisable (checkpointed). */
export interface RolloutSample {
  /** Group (prompt) index within its rollout. */
  group: number;
  promptIds: number[];
  completionIds: number[];
  /** Decoded completion (special tokens removed). */
  completion: string;
  finishReason: string;
  /** Per-token log-probs from the sampling engine (remote rollouts with TIS), aligned with completionIds, else null. */
  samplerLogprobs: number[] | null;
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

/** A prompt ready for sampling. */
export interface PreparedPrompt {
  rowIndex: number;
  row: DatasetRow;
  ids: number[];
  text: string;
}

/** Sampling settings shared by both backends. */
export interface SamplingSettings {
  groupSize: number;
  temperature: number;
  topP: number;
  topK: number;
  maxNewTokens: number;
  stop: string[];
  seed: number;
}

/** Samples G completions per prompt with the local policy. Completions come prompt-major. */
export async function sampleLocal(
  model: Model,
  tokenizer: Tokenizer,
  prompts: readonly PreparedPrompt[],
  s: SamplingSettings,
): Promise<Omit<RolloutSample, 'group' | 'rewards' | 'reward' | 'advantage' | 'rowIndex'>[]> {
  const eos = model.config.eos_token_id;
  const stops: (number | number[])[] = eos === null ? [] : Array.isArray(eos) ? [...eos] : [eos];
  for (const text of s.stop) stops.push(tokenizer.encode(text, { addSpecialTokens: false }));
  const gens = await model.generate(
    prompts.map((p) => p.ids),
    {
      numReturnSequences: s.groupSize,
      temperature: s.temperature,
      topP: s.topP,
      topK: s.topK,
      maxNewTokens: s.maxNewTokens,
      stop: stops,
      seed: s.seed,
    },
  );
  return gens.map((g, k) => ({
    promptIds: prompts[Math.floor(k / s.groupSize)].ids,
    completionIds: g.tokens,
    completion: tokenizer.decode(g.tokens, { skipSpecialTokens: true }),
    finishReason: g.finishReason,
    samplerLogprobs: null,
  }));
}

/**
 * Samples on a remote server. Completion ids are the server's when it returned them, else the trainer re-tokenises
 * the text (then the sampler's log-probs line up only when the token counts agree; otherwise they are dropped for
 * that sample and TIS leaves it unweighted).
 */
export async function sampleRemote(
  client: RemoteRolloutClient,
  tokenizer: Tokenizer,
  prompts: readonly PreparedPrompt[],
  s: SamplingSettings,
  signal?: AbortSignal,
): Promise<Omit<RolloutSample, 'group' | 'rewards' | 'reward' | 'advantage' | 'rowIndex'>[]> {
  const replies = await client.complete(
    prompts.map((p) => p.text),
    {
      n: s.groupSize,
      temperature: s.temperature,
      topP: s.topP,
      maxTokens: s.maxNewTokens,
      stop: s.stop,
      seed: s.seed,
      signal,
    },
  );
  return replies.flatMap((group, p) =>
    group.map((c) => {
      const ids = c.tokens ?? tokenizer.encode(c.text, { addSpecialTokens: false });
      const aligned = c.logprobs.length === ids.length && c.logprobs.every(Number.isFinite);
      return {
        promptIds: prompts[p].ids,
        completionIds: ids,
        completion: c.text, // rewards score what the server wrote
        finishReason: c.finishReason,
        samplerLogprobs: aligned ? c.logprobs : null,
      };
    }),
  );
}

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
