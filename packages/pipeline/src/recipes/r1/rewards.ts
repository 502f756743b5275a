/**
 * The rewards of the `r1` recipe (DeepSeek-R1 §2.3.2 and §2.3.4):
 * - reasoning RL: accuracy + format (the R1-Zero rule rewards) + language consistency (the share of target-language
 *   words in the chain of thought), summed with their weights — the paper adds the language reward directly;
 * - alignment RL: the same rule rewards for reasoning prompts, and for general prompts a pairwise (Bradley-Terry)
 *   helpfulness RM plus a point-wise safety RM. Each part answers null where it does not apply, so `combineRewards`
 *   (which GrpoTrainer applies to the list with its weights) sums only the parts that judge a sample.
 * A sample is "reasoning" when it carries a `solution` column (@aha/reward-models' `isReasoningSample`).
 * Leaves out: judging the final summary only for helpfulness (§2.3.4 — our general answers have no chain of thought).
 */
import type { Tokenizer } from '@aha/core';
import { verifyAddition } from '@aha/grpo';
import { helpfulnessReward, isReasoningSample, type RewardModel, safetyReward } from '@aha/reward-models';
import {
  accuracyReward,
  combineRewards,
  defineReward,
  formatReward,
  languageConsistencyReward,
  type Reward,
  type WeightedReward,
} from '@aha/rewards';

/** `reward` on reasoning samples, null on general ones (the rule rewards do not judge open-ended answers). */
export function reasoningOnly(reward: Reward): Reward {
  return defineReward({
    name: reward.name,
    async score(samples, ctx) {
      const values = await reward.score(samples, ctx);
      return values.map((v, i) => (isReasoningSample(samples[i]) ? v : null));
    },
  });
}

/** Weights of the reasoning rewards (the `weights` key of the reasoning-RL settings). */
export interface ReasoningWeights {
  accuracy: number;
  format: number;
  language: number;
}

/** Makes the reasoning rewards for a target language and weights (replaceable in `runR1`). */
export type ReasoningRewardsFn = (options: { language: string; weights: ReasoningWeights }) => WeightedReward[];

/**
 * The reasoning rewards: accuracy, strict format, and language consistency in `language` (R1 §2.3.2), each null on
 * general samples. Names: accuracy, format, language_consistency.
 */
export function reasoningRewards(options: { language: string; weights: ReasoningWeights }): WeightedReward[] {
  return [
    {
      reward: reasoningOnly(accuracyReward({ verify: verifyAddition, answerOnly: false })),
      weight: options.weights.accuracy,
    },
    { reward: reasoningOnly(formatReward()), weight: options.weights.format },
    {
      reward: reasoningOnly(languageConsistencyReward({ language: options.language })),
      weight: options.weights.language,
    },
  ];
}

/** The reward models of stage 4 and their weights. */
export interface AlignmentRewardModels {
  helpfulness: RewardModel;
  safety: RewardModel;
  /**
   * Held-out judges of the same two qualities: scored on the same samples and logged per step (`judge_helpfulness`,
   * `judge_safety`) with weight 0, so they never reach the advantage — a trained-on score that climbs while its
   * judge's does not is reward over-optimisation, visible in the run's curves.
   */
  judges?: { helpfulness: RewardModel; safety: RewardModel };
  tokenizer: Tokenizer;
  weights: { helpfulness: number; safety: number };
  /**
   * How the helpfulness RM's Bradley-Terry score becomes a reward: 'sigmoid' (default) bounds it in (0, 1), so past
   * "clearly preferred" there is little left to gain by pushing the score further (the raw score is unbounded and
   * the policy finds its blind spots); 'none' is the raw score.
   */
  helpfulnessNormalize?: 'none' | 'sigmoid';
  /**
   * A soft length guard on general answers (null on reasoning samples): 0 up to `limit` tokens, then falling
   * linearly to −1 at `limit + buffer` (DAPO's overlong reward shaping, applied where the RMs judge). The RMs never
   * saw an answer longer than their data's, so a longer one is where their score means least.
   */
  lengthGuard?: { limit: number; buffer: number; weight: number };
}

/** The soft length guard of {@link AlignmentRewardModels.lengthGuard}, named `length_guard`. */
export function lengthGuardReward(tokenizer: Tokenizer, o: { limit: number; buffer: number }): Reward {
  return defineReward({
    name: 'length_guard',
    async score(samples) {
      return samples.map((s) => {
        if (isReasoningSample(s)) return null;
        const n = tokenizer.encode(String(s.completion ?? ''), { addSpecialTokens: false }).length;
        return n <= o.limit ? 0 : -Math.min(1, (n - o.limit) / Math.max(1, o.buffer));
      });
    },
  });
}

/**
 * The alignment rewards (R1 §2.3.4): the reasoning rewards (null on general prompts) for reasoning prompts, the
 * helpfulness RM (σ of its Bradley-Terry score, or raw) and the safety RM (P(safe) = σ(z)) for general prompts, null
 * where a part does not apply; the judges, when given, as weight-0 rewards (logged, not trained on).
 */
export function alignmentRewards(reasoning: readonly WeightedReward[], rms: AlignmentRewardModels): WeightedReward[] {
  const normalize = rms.helpfulnessNormalize ?? 'sigmoid';
  const common = { tokenizer: rms.tokenizer, skipReasoning: true };
  const judges: WeightedReward[] = rms.judges
    ? [
        {
          reward: helpfulnessReward({ ...common, model: rms.judges.helpfulness, normalize, name: 'judge_helpfulness' }),
          weight: 0,
        },
        { reward: safetyReward({ ...common, model: rms.judges.safety, name: 'judge_safety' }), weight: 0 },
      ]
    : [];
  return [
    ...reasoning,
    { reward: helpfulnessReward({ ...common, model: rms.helpfulness, normalize }), weight: rms.weights.helpfulness },
    { reward: safetyReward({ ...common, model: rms.safety }), weight: rms.weights.safety },
    ...(rms.lengthGuard
      ? [{ reward: lengthGuardReward(rms.tokenizer, rms.lengthGuard), weight: rms.lengthGuard.weight }]
      : []),
    ...judges,
  ];
}

/** One reward Σ wᵢ·rᵢ over `parts` (nulls skipped), as GrpoTrainer and rejection sampling apply them. */
export const totalReward = (parts: readonly WeightedReward[]) => combineRewards(parts, { name: 'total' });

/** Splits weighted rewards into GrpoTrainer's `rewards` + `rewardWeights`. */
export function forTrainer(parts: readonly WeightedReward[]): {
  rewards: Reward[];
  rewardWeights: Record<string, number>;
} {
  return {
    rewards: parts.map((p) => p.reward),
    rewardWeights: Object.fromEntries(parts.map((p) => [p.reward.name, p.weight ?? 1])),
  };
}
