// A deterministic synthetic GRPO run for report tests: accuracy rising, "wait" spiking late, samples with HTML.
import type { StepMetricsRecord } from '../../metrics/schema.js';
import { mulberry32 } from '@aha/core';

const rng = mulberry32;

export const HOSTILE_COMPLETION = '<think>2+2</think></script><script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">';

export function syntheticRun(steps = 40, seed = 7): StepMetricsRecord[] {
  const rand = rng(seed);
  const out: StepMetricsRecord[] = [];
  for (let step = 1; step <= steps; step++) {
    const p = step / steps;
    const acc = Math.min(1, 0.1 + 0.7 * p + 0.05 * (rand() - 0.5));
    const fmt = Math.min(1, 0.3 + 0.7 * Math.sqrt(p));
    out.push({
      step,
      time: 1_700_000_000_000 + step * 1000,
      rewards: { accuracy: { mean: acc, std: 0.3 }, format: { mean: fmt, std: 0.2 } },
      reward_mean: acc + fmt,
      accuracy: acc,
      format_rate: fmt,
      completion_length: { mean: 40 + 200 * p, max: 80 + 300 * p, clipped_share: 0.1 * p },
      kl: 0.002 * step,
      clip_fraction: { low: 0.01 + 0.01 * rand(), high: 0.02 + 0.01 * rand() },
      entropy: 1.2 - 0.5 * p,
      grad_norm: 1 + rand(),
      lr: 1e-6,
      tokens_per_s: { rollout: 900 + 100 * rand(), train: 400 + 50 * rand() },
      reflection: {
        wait: p > 0.7 ? 2 * (p - 0.7) * 10 : 0.05,
        mistake: 0.1 * p,
        however: 0.2 * p,
        but: 0.5 + 0.3 * p,
        retry: 0.01,
        error: 0.02 * p,
        verify: 0.3 * p,
        wrong: 0.05 * p,
        evaluate: 0.04 * p,
        check: 0.4 * p,
      },
      zero_variance_groups: Math.round(4 * (1 - p)),
      samples:
        step % 5 === 0 || step === 1
          ? [
              { prompt: `Using 3, 5, 7 make ${step}. <b>bold?</b>`, completion: HOSTILE_COMPLETION, reward: acc },
              { prompt: 'What is 2+2?', completion: `<think>Let me check... wait.</think><answer>4</answer>`, reward: 2 },
            ]
          : undefined,
    });
  }
  return out;
}

export function toJsonl(records: readonly StepMetricsRecord[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + '\n';
}
