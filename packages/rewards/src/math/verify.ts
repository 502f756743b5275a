/**
 * `verifyMath`: the public, bounded math-answer verifier (DeepSeek-R1 §2.2.2 accuracy reward; open-r1 / TRL
 * `accuracy_reward` with math-verify). Runs `verifyMathSync` on a worker-thread pool so that `timeoutMs` holds for any
 * input. `createMathVerifier` gives a pool of your own (size, default timeout); `verifyMath` shares one lazily made pool.
 */
import { availableParallelism } from 'node:os';
import { ValueError } from '@aha/errors';
import { z } from 'zod';
import { MathWorkerPool } from './pool.js';
import type { MathVerification } from './verify-core.js';

export const verifyMathOptionsSchema = z.object({
  timeoutMs: z
    .number()
    .int()
    .positive()
    .max(600_000)
    .default(5_000)
    .describe('Time one verification may run on a worker before it is cut off and reported as "timeout" (ms).'),
});
export type VerifyMathOptions = z.input<typeof verifyMathOptionsSchema>;

export const mathVerifierOptionsSchema = verifyMathOptionsSchema.extend({
  workers: z
    .number()
    .int()
    .min(1)
    .max(64)
    .default(Math.max(1, Math.min(2, availableParallelism() - 1)))
    .describe('Worker threads in the pool (each verifies one answer at a time).'),
});
export type MathVerifierOptions = z.input<typeof mathVerifierOptionsSchema>;

/** A math verifier with its own worker pool; `close()` terminates the workers. */
export interface MathVerifier {
  verify(gold: string, completion: string, opts?: VerifyMathOptions): Promise<MathVerification>;
  close(): Promise<void>;
}

function parseOptions<T extends z.ZodType>(schema: T, opts: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(opts ?? {});
  if (!parsed.success) {
    throw new ValueError(`${what}: invalid options ${JSON.stringify(opts)}: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

function checkStrings(gold: unknown, completion: unknown): void {
  if (typeof gold !== 'string') throw new ValueError(`verifyMath: gold must be a string, got ${typeof gold}`);
  if (typeof completion !== 'string')
    throw new ValueError(`verifyMath: completion must be a string, got ${typeof completion}`);
}

/** Creates a verifier with its own pool of `workers` threads and a default `timeoutMs`. */
export function createMathVerifier(options?: MathVerifierOptions): MathVerifier {
  const { workers, timeoutMs } = parseOptions(mathVerifierOptionsSchema, options, 'createMathVerifier');
  const pool = new MathWorkerPool(workers);
  return {
    verify(gold, completion, opts) {
      checkStrings(gold, completion);
      const o = parseOptions(verifyMathOptionsSchema.partial(), opts, 'verify');
      return pool.run(gold, completion, o.timeoutMs ?? timeoutMs);
    },
    close: () => pool.close(),
  };
}

let shared: MathVerifier | undefined;

/**
 * Checks a completion's final answer against a gold answer.
 *
 * - `equal` / `not_equal`: the verdict (a completion without a readable answer is `not_equal`);
 * - `unparseable`: the gold answer cannot be read (skip the sample; the completion is not to blame);
 * - `timeout`: verification ran past `timeoutMs` (default 5 s) and its worker was replaced.
 *
 * `gold` and `answer` are the two answers as extracted. Verification runs on a shared pool of worker threads (created
 * on first use, idle workers do not keep the process alive); use `createMathVerifier` to size your own pool.
 */
export function verifyMath(gold: string, completion: string, opts?: VerifyMathOptions): Promise<MathVerification> {
  checkStrings(gold, completion);
  const { timeoutMs } = parseOptions(verifyMathOptionsSchema, opts, 'verifyMath');
  shared ??= createMathVerifier();
  return shared.verify(gold, completion, { timeoutMs });
}
