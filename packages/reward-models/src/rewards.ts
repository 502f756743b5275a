/**
 * Reward models as rewards (the @aha/rewards contract): `helpfulnessReward` (the pairwise RM's scalar) and
 * `safetyReward` (the point-wise RM's P(safe) = σ(z)), for DeepSeek-R1's alignment RL stage (§2.3.4), where general
 * data is judged by reward models and reasoning data by rules — so either reward can answer null for the samples it
 * should not judge. Scoring is batched (rows sorted by length to cut padding) and runs under `noGrad`.
 * Normalisation: 'none', 'sigmoid', or 'zscore' with running mean/variance over everything scored so far
 * (Welford; TRL/OpenRLHF normalise RM outputs the same way), optional clipping after it.
 * Leaves out: remote RM servers (score behind an HTTP endpoint with your own `defineReward`).
 */
import { noGrad, type Tokenizer, ValueError } from '@aha/core';
import { defineReward, type Reward, type Sample } from '@aha/rewards';
import { z } from 'zod';
import { encodeSample, padBatch, padIdOf } from './data.js';
import type { RewardModel } from './model.js';

/** Running mean and variance (Welford), the state of 'zscore' normalisation. */
export class RunningStats {
  count = 0;
  mean = 0;
  private m2 = 0;
  /** Adds values to the statistics. */
  update(values: Iterable<number>): void {
    for (const v of values) {
      this.count++;
      const d = v - this.mean;
      this.mean += d / this.count;
      this.m2 += d * (v - this.mean);
    }
  }
  /** Population standard deviation (0 before two values). */
  get std(): number {
    return this.count > 1 ? Math.sqrt(this.m2 / this.count) : 0;
  }
  stateDict(): { count: number; mean: number; m2: number } {
    return { count: this.count, mean: this.mean, m2: this.m2 };
  }
  loadStateDict(s: { count: number; mean: number; m2: number }): void {
    this.count = s.count;
    this.mean = s.mean;
    this.m2 = s.m2;
  }
}

export const RewardModelRewardOptionsSchema = z.object({
  name: z.string().min(1).optional().describe('Reward name (metric key rewards/<name>).'),
  batchSize: z.number().int().positive().default(16).describe('Sequences per forward pass.'),
  maxLength: z
    .number()
    .int()
    .positive()
    .nullable()
    .default(null)
    .describe('Keep at most this many tokens per sequence (the end is kept); null: all.'),
  normalize: z
    .enum(['none', 'sigmoid', 'zscore'])
    .optional()
    .describe('none: raw value; sigmoid: σ(r); zscore: (r − running mean) / (running std + ε).'),
  epsilon: z.number().positive().default(1e-6).describe('ε of the z-score denominator.'),
  clip: z.number().positive().nullable().default(null).describe('Clip the normalised reward to [−clip, clip].'),
  skipReasoning: z
    .boolean()
    .default(false)
    .describe('null for reasoning samples (those with a `solution` or `tests` column), judged by rule rewards.'),
});
export type RewardModelRewardOptions = z.input<typeof RewardModelRewardOptionsSchema> & {
  model: RewardModel;
  tokenizer: Tokenizer;
  /** null (not judged) for the samples where this returns true; applied besides `skipReasoning`. */
  skip?: (sample: Sample) => boolean;
};

/** A reward backed by a reward model; `stats` holds the running statistics of 'zscore' normalisation. */
export type RewardModelReward = Reward & { stats: RunningStats };

/** True for samples that carry a verifiable answer (`solution`) or tests (`tests`): reasoning data. */
export function isReasoningSample(sample: Sample): boolean {
  return (sample.solution ?? null) !== null || (sample.tests ?? null) !== null;
}

/**
 * The value head's outputs [N][L] for (prompt, completion) pairs, without recording a graph. Rows are sorted by
 * length and run `batchSize` at a time; results come back in input order.
 */
export function scoreCompletions(
  model: RewardModel,
  tokenizer: Tokenizer,
  items: readonly Pick<Sample, 'prompt' | 'completion'>[],
  options: { batchSize?: number; maxLength?: number | null } = {},
): number[][] {
  const batchSize = options.batchSize ?? 16;
  if (!(Number.isInteger(batchSize) && batchSize > 0))
    throw new ValueError(`scoreCompletions: batchSize must be a positive integer, got ${batchSize}`);
  const seqs = items.map((s) => encodeSample(tokenizer, s.prompt, s.completion, { maxLength: options.maxLength }));
  const order = seqs.map((_, i) => i).sort((a, b) => seqs[a].length - seqs[b].length);
  const out: number[][] = new Array(items.length);
  const padId = padIdOf(tokenizer);
  const wasTraining = model.backbone.training;
  model.backbone.eval();
  try {
    for (let i = 0; i < order.length; i += batchSize) {
      const idx = order.slice(i, i + batchSize);
      const { tokens, attentionMask } = padBatch(
        idx.map((j) => seqs[j]),
        padId,
      );
      const values = noGrad(() => model.predict(tokens, { attentionMask }));
      idx.forEach((j, k) => {
        out[j] = values[k];
      });
    }
  } finally {
    model.backbone.train(wasTraining);
  }
  return out;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

function makeReward(
  kind: 'helpfulness' | 'safety',
  options: RewardModelRewardOptions,
  defaultNormalize: 'none' | 'sigmoid',
): RewardModelReward {
  const { model, tokenizer, skip, ...rest } = options;
  const parsed = RewardModelRewardOptionsSchema.safeParse(rest);
  if (!parsed.success) throw new ValueError(`${kind}Reward: invalid options: ${z.prettifyError(parsed.error)}`);
  const o = parsed.data;
  if (!model || typeof model.forward !== 'function') throw new ValueError(`${kind}Reward: model must be a RewardModel`);
  if (model.numLabels !== 1)
    throw new ValueError(`${kind}Reward: the reward model must have num_labels = 1, it has ${model.numLabels}`);
  const normalize = o.normalize ?? defaultNormalize;
  const stats = new RunningStats();
  const reward = defineReward({
    name: o.name ?? kind,
    async score(samples) {
      const judged = samples
        .map((_, i) => i)
        .filter((i) => !(o.skipReasoning && isReasoningSample(samples[i])) && !skip?.(samples[i]));
      const raw = scoreCompletions(
        model,
        tokenizer,
        judged.map((i) => samples[i]),
        o,
      ).map((v) => v[0]);
      if (normalize === 'zscore') stats.update(raw);
      const values: (number | null)[] = samples.map(() => null);
      judged.forEach((i, k) => {
        let v = raw[k];
        if (normalize === 'sigmoid') v = sigmoid(v);
        else if (normalize === 'zscore') v = stats.count > 1 ? (v - stats.mean) / (stats.std + o.epsilon) : 0;
        if (o.clip !== null) v = Math.min(o.clip, Math.max(-o.clip, v));
        values[i] = v;
      });
      return values;
    },
  });
  return Object.assign(reward, { stats });
}

/**
 * The helpfulness reward: the pairwise (Bradley-Terry) RM's scalar for prompt + completion, raw by default (only
 * differences are meaningful; 'zscore' or 'sigmoid' bound it for mixing with rule rewards).
 */
export function helpfulnessReward(options: RewardModelRewardOptions): RewardModelReward {
  return makeReward('helpfulness', options, 'none');
}

/**
 * The safety reward: P(safe | prompt, completion) = σ(z) of the point-wise RM (trained with label 1 = safe), in
 * [0, 1] by default; normalize 'none' gives the logit z.
 */
export function safetyReward(options: RewardModelRewardOptions): RewardModelReward {
  return makeReward('safety', options, 'sigmoid');
}
