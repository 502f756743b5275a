/**
 * Reward failures on the console: a reward that throws, returns NaN or a string, or times out must be loud, not a
 * silently masked sample. `RewardFailurePrinter` prints each distinct message of a reward once (with the reward's
 * name; at most a few per reward), whether it comes live from the runner's logger (`rewardLogger()`, handed to
 * GrpoTrainer so a timeout shows while the step waits) or from a step's `rewardFailures` record (every entry point's
 * progress sees those). `failureSummary` is the per-reward count shown on the progress line.
 * Leaves out: stopping the run (the trainer's RewardFailureWatch does that).
 */
import type { RewardLogger } from '@aha/rewards';

/** Distinct messages printed per reward before the rest are only counted. */
export const MESSAGES_PER_REWARD = 5;

/** What a step record may carry (GrpoTrainer's `rewardFailures`, or its snake_case form in metrics.jsonl). */
type Failures = Record<string, { error?: number; timeout?: number; samples?: number; messages?: string[] }>;

const failuresIn = (record: object | undefined): Failures | undefined => {
  const r = record as { rewardFailures?: Failures; reward_failures?: Failures } | undefined;
  return r?.rewardFailures ?? r?.reward_failures;
};

/** `broken 4/4, slow 1/4 (1 timeout)` for the rewards that failed on some sample of the step; '' when none did. */
export function failureSummary(record: object | undefined): string {
  const parts: string[] = [];
  for (const [name, f] of Object.entries(failuresIn(record) ?? {})) {
    const failed = (f.error ?? 0) + (f.timeout ?? 0);
    if (failed === 0) continue;
    const timeouts = f.timeout ? ` (${f.timeout} timeout${f.timeout === 1 ? '' : 's'})` : '';
    parts.push(`${name} ${failed}${f.samples ? `/${f.samples}` : ''}${timeouts}`);
  }
  return parts.join(', ');
}

/** Prints each distinct failure message of each reward once. */
export class RewardFailurePrinter {
  readonly #seen = new Map<string, Set<string>>();

  constructor(private readonly log: (message: string) => void) {}

  /** One failure; printed when its message is new for that reward. */
  note(reward: string, message: string, status: 'error' | 'timeout' | 'failed' = 'failed'): void {
    const seen = this.#seen.get(reward) ?? new Set<string>();
    this.#seen.set(reward, seen);
    if (seen.has(message) || seen.size > MESSAGES_PER_REWARD) return;
    seen.add(message);
    if (seen.size > MESSAGES_PER_REWARD) {
      this.log(`reward '${reward}': more failure messages are not shown (counts: progress line, metrics.jsonl)`);
      return;
    }
    const verb = status === 'timeout' ? 'timed out' : 'failed';
    this.log(`reward '${reward}' ${verb}: ${message}`);
  }

  /** The messages of a step record's `rewardFailures`. */
  fromStep(record: object | undefined): void {
    for (const [name, f] of Object.entries(failuresIn(record) ?? {}))
      for (const m of f.messages ?? []) this.note(name, m, f.error ? 'failed' : 'timeout');
  }

  /** A logger for the reward runner (GrpoTrainer's `rewardLogger`): failures are printed as they happen. */
  rewardLogger(): RewardLogger {
    return {
      debug() {},
      info() {},
      warn: (message, data) => {
        const d = data as { reward?: string; status?: 'error' | 'timeout'; message?: string } | undefined;
        if (d?.reward) this.note(d.reward, d.message ?? message, d.status);
      },
    };
  }
}
