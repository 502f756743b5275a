/**
 * Reward failures during GRPO: per reward, how many of a rollout's samples failed (error) or ran out of time, with the
 * first distinct messages, and the watch that stops a run whose reward keeps failing. A failed sample has no reward
 * and is masked out of the loss, so a reward that fails on most samples trains nothing while the run looks healthy
 * (grad norm 0, exit 0): `RewardFailureWatch` turns "more than `rewardFailureLimit` of the samples failed, for
 * `rewardFailurePatience` rollouts in a row" into a `RewardFailureError` that names the reward and its first error.
 * Leaves out: retrying failed samples (the runner already isolates them one at a time).
 */
import { AhaError } from '@aha/core';
import type { RewardResult } from '@aha/rewards';

/** Distinct failure messages kept per reward and rollout (enough to see what is wrong, small in metrics.jsonl). */
export const MESSAGES_KEPT = 3;

/** One reward's failures over a rollout: counts, samples scored and the first distinct messages. */
export interface RewardFailureCount {
  error: number;
  timeout: number;
  /** Samples the reward was asked to score. */
  samples?: number;
  /** Up to MESSAGES_KEPT distinct messages of the failed samples, first seen first. */
  messages?: string[];
}

/** Per reward name. */
export type RewardFailures = Record<string, RewardFailureCount>;

/** Failures of each component of a combined result (the trainer scores through one `combineRewards`). */
export function failuresOf(components: readonly RewardResult[]): RewardFailures {
  const out: RewardFailures = {};
  for (const c of components) {
    const f: RewardFailureCount = { error: 0, timeout: 0, samples: c.details.length };
    const messages = new Set<string>();
    for (const d of c.details) {
      if (d.status === 'ok') continue;
      f[d.status]++;
      if (messages.size < MESSAGES_KEPT) messages.add(d.message ?? d.status);
    }
    if (messages.size) f.messages = [...messages];
    out[c.name] = f;
  }
  return out;
}

/** Adds `from` into `into` (dynamic sampling scores several rounds per rollout). */
export function addFailures(into: RewardFailures, from: RewardFailures): RewardFailures {
  for (const [name, f] of Object.entries(from)) {
    into[name] ??= { error: 0, timeout: 0, samples: 0 };
    const t = into[name];
    t.error += f.error;
    t.timeout += f.timeout;
    t.samples = (t.samples ?? 0) + (f.samples ?? 0);
    if (f.messages) {
      const all = new Set([...(t.messages ?? []), ...f.messages]);
      t.messages = [...all].slice(0, MESSAGES_KEPT);
    }
  }
  return into;
}

/** The run stopped because a reward kept failing; `reward` and `firstError` say which and why. */
export class RewardFailureError extends AhaError {
  override readonly name = 'RewardFailureError';
  constructor(
    readonly reward: string,
    readonly firstError: string,
    readonly failed: number,
    readonly samples: number,
    readonly limit: number,
    readonly patience: number,
  ) {
    super(
      'state',
      `reward '${reward}' failed on ${failed} of ${samples} samples (${((100 * failed) / Math.max(samples, 1)).toFixed(0)}%) ` +
        `in each of the last ${patience} rollout(s), over rewardFailureLimit ${limit}: first error: ${firstError}. ` +
        'Failed samples have no reward and train nothing; fix the reward (or raise rewardFailureLimit).',
    );
  }
}

/**
 * Watches each rollout's failures; `observe` throws `RewardFailureError` once a reward has failed on more than
 * `limit` of its samples in `patience` rollouts in a row. A limit of 1 never stops.
 */
export class RewardFailureWatch {
  readonly #streak = new Map<string, number>();
  readonly #first = new Map<string, string>();

  constructor(
    readonly limit: number,
    readonly patience: number,
  ) {}

  observe(failures: RewardFailures): void {
    for (const [name, f] of Object.entries(failures)) {
      const failed = f.error + f.timeout;
      if (f.messages?.length && !this.#first.has(name)) this.#first.set(name, f.messages[0]);
      const samples = f.samples ?? 0;
      const over = samples > 0 && failed / samples > this.limit;
      const streak = over ? (this.#streak.get(name) ?? 0) + 1 : 0;
      this.#streak.set(name, streak);
      if (streak >= this.patience)
        throw new RewardFailureError(
          name,
          this.#first.get(name) ?? 'no message',
          failed,
          samples,
          this.limit,
          this.patience,
        );
    }
  }
}
