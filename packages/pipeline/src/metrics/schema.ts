/**
 * The metrics contract between trainers and everything that shows a run: one JSON object per optimizer step, one
 * per line of `metrics.jsonl`. Field names follow TRL's GRPOTrainer logs where they exist (reward/<fn>/mean,
 * completions/clipped_ratio, kl, clip_ratio/low_mean, entropy) and DeepSeek-R1 §2.2 for the reflection words whose
 * growth is the "aha moment". Every numeric field is optional: an SFT run has no rewards, a run without a reference
 * model has no KL; readers must draw what is there. Unknown keys pass through so trainers can add fields first and
 * the report learns them later. Leaves out: per-token or per-sample tensors (only a few sample texts per step).
 */

import { REFLECTION_WORDS, type ReflectionWord } from '@aha/grpo';
import { z } from 'zod';

// JSON has no NaN: JSON.stringify turns a NaN loss into null, so every number may also be null (= not measured).
const num = () => z.number().nullable().optional();

/** Mean and standard deviation of one quantity over the samples of a step. */
export const MeanStd = z
  .object({
    mean: num().describe('Mean over the samples of the step.'),
    std: num().describe('Standard deviation over the samples of the step.'),
  })
  .loose()
  .describe('Mean and standard deviation over a step.');

// The ten reflection words of DeepSeek-R1 (§2.2, "aha moment"), in the paper's order: one list, kept by @aha/grpo.
export { REFLECTION_WORDS, type ReflectionWord };

const reflectionShape = Object.fromEntries(
  REFLECTION_WORDS.map((w) => [w, num().describe(`Frequency of "${w}" in the step's completions.`)]),
) as Record<ReflectionWord, ReturnType<typeof num>>;

/** One sample shown in the report: prompt, completion and its total reward. */
export const MetricsSample = z
  .object({
    prompt: z.string().describe('The prompt text as the model saw it.'),
    completion: z.string().describe('The sampled completion text.'),
    reward: z.number().nullable().optional().describe('Total (weighted) reward of the completion.'),
  })
  .loose()
  .describe('A sample completion kept for the report.');
export type MetricsSample = z.infer<typeof MetricsSample>;

/**
 * One line of `metrics.jsonl`: what a trainer logs after each optimizer step. `step` is required (the x axis of
 * every chart); everything else is optional.
 */
export const StepMetricsRecord = z
  .object({
    step: z.number().int().nonnegative().describe('Optimizer step, counted from 0 or 1; the x axis.'),
    time: num().describe('Wall-clock time of the step end, milliseconds since the Unix epoch.'),
    rewards: z
      .record(z.string(), MeanStd)
      .optional()
      .describe('Per reward function (keyed by its name): mean and std of its score over the step.'),
    reward_mean: num().describe('Mean of the weighted total reward r over the step.'),
    accuracy: num().describe('Share of completions whose final answer is verified correct, 0..1.'),
    format_rate: num().describe('Share of completions in the required <think>/<answer> format, 0..1.'),
    completion_length: z
      .object({
        mean: num().describe('Mean completion length in tokens.'),
        max: num().describe('Longest completion in tokens.'),
        clipped_share: num().describe(
          'Share of completions cut at maxNewTokens without a stop (TRL completions/clipped_ratio).',
        ),
      })
      .loose()
      .optional()
      .describe('Completion lengths over the step.'),
    kl: num().describe('Mean KL(π_θ ‖ π_ref) per token, k3 estimator (GRPO, β term).'),
    clip_fraction: z
      .object({
        low: num().describe('Share of tokens clipped at 1 − ε_low (negative advantages).'),
        high: num().describe('Share of tokens clipped at 1 + ε_high (positive advantages).'),
      })
      .loose()
      .optional()
      .describe('Share of tokens whose probability ratio was clipped.'),
    entropy: num().describe('Mean per-token entropy of the policy over completion tokens (nats).'),
    grad_norm: num().describe('Gradient norm before clipping.'),
    lr: num().describe('Learning rate used for the step.'),
    tokens_per_s: z
      .object({
        rollout: num().describe('Generated tokens per second during rollout.'),
        train: num().describe('Tokens per second through forward + backward.'),
      })
      .loose()
      .optional()
      .describe('Throughput.'),
    reflection: z
      .object(reflectionShape)
      .loose()
      .optional()
      .describe('Reflection-word frequencies in the step completions (occurrences per completion).'),
    reflection_split: z
      .object({
        share: num().describe('Share of completions with at least one reflection word, 0..1.'),
        reflecting: z
          .object({ count: num(), accuracy: num() })
          .loose()
          .optional()
          .describe('Completions that reflect: how many, and the share of them that are correct.'),
        other: z
          .object({ count: num(), accuracy: num() })
          .loose()
          .optional()
          .describe('Completions without a reflection word: how many, and the share of them that are correct.'),
      })
      .loose()
      .optional()
      .describe('Does reflecting pay: accuracy of completions that reflect vs those that do not.'),
    zero_variance_groups: num().describe(
      'Share (or count) of groups whose G rewards were all equal: zero advantage, no learning signal.',
    ),
    samples: z.array(MetricsSample).optional().describe('A few sample completions of the step for the report.'),
  })
  .loose()
  .describe('One line of metrics.jsonl: the metrics of one optimizer step.');
export type StepMetricsRecord = z.infer<typeof StepMetricsRecord>;
