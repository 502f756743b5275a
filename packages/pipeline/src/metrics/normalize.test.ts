// The camelCase GRPO step record (as @aha/grpo's StepMetrics) maps onto the snake_case contract; contract keys win.
import { describe, expect, it } from 'vitest';
import { parseMetricsJsonl } from './jsonl.js';
import { normalizeStepMetrics } from './normalize.js';

/** Shaped like @aha/grpo's StepMetrics (branch grpo-data), written by its JSONL writer. */
const grpoStep = {
  step: 4,
  reward: { mean: 1.25, std: 0.5 },
  rewards: { accuracy: { mean: 0.5, std: 0.5 }, format: { mean: 0.75, std: 0.4 } },
  accuracy: 0.5,
  formatRate: 0.75,
  completionLength: { mean: 120, max: 256, min: 12 },
  clippedShare: 0.125,
  kl: 0.02,
  clipFraction: { low: 0.01, high: 0.03 },
  entropy: 0.9,
  gradNorm: 1.5,
  lr: 1e-6,
  loss: 0.1,
  throughput: { rolloutTokensPerSec: 900, trainTokensPerSec: 300 },
  reflection: {
    counts: { wait: 8, mistake: 0, however: 2, but: 4, retry: 0, error: 0, verify: 1, wrong: 0, evaluate: 0, check: 3 },
    total: 18,
    tokens: 1920,
    per1kTokens: 9.375,
    completions: 16,
    perCompletion: 1.125,
  },
  zeroVarianceGroups: { count: 2, share: 0.5 },
};

describe('normalizeStepMetrics', () => {
  it('maps every camelCase GRPO field onto the contract', () => {
    const [record] = parseMetricsJsonl(`${JSON.stringify(grpoStep)}\n`).records;
    expect(record).toMatchObject({
      step: 4,
      reward_mean: 1.25,
      accuracy: 0.5,
      format_rate: 0.75,
      completion_length: { mean: 120, max: 256, clipped_share: 0.125 },
      kl: 0.02,
      clip_fraction: { low: 0.01, high: 0.03 },
      entropy: 0.9,
      grad_norm: 1.5,
      lr: 1e-6,
      tokens_per_s: { rollout: 900, train: 300 },
      zero_variance_groups: 2,
    });
    // Batch sums over 16 completions → per completion.
    expect(record.reflection).toEqual({
      wait: 0.5,
      mistake: 0,
      however: 0.125,
      but: 0.25,
      retry: 0,
      error: 0,
      verify: 0.0625,
      wrong: 0,
      evaluate: 0,
      check: 0.1875,
    });
  });

  it('keeps contract keys when both are present, and leaves non-objects alone', () => {
    expect(
      normalizeStepMetrics({ step: 1, reward_mean: 2, reward: { mean: 9 }, format_rate: 1, formatRate: 0 }),
    ).toEqual({ step: 1, reward_mean: 2, reward: { mean: 9 }, format_rate: 1, formatRate: 0 });
    expect(normalizeStepMetrics(null)).toBeNull();
    expect(normalizeStepMetrics([1])).toEqual([1]);
  });
});
