/**
 * `verifyMath`: the public, bounded math-answer verifier (DeepSeek-R1 §2.2.2 accuracy reward; open-r1 / TRL
 * `accuracy_reward` with math-verify). Runs `verifyMathSync` on a worker-thread pool so that `timeoutMs` holds for any
 * input. `createMathVerifier` gives a pool of your own (size, default timeout); `verifyMath` shares one lazily made pool.
 */
import { availableParallelism } from 'node:os';
import { ValueError } from '@aha/errors';
import { z } from 'zod';
import { EXTRACTION_TARGETS } from './extract.js';
import { MathWorkerPool } from './pool.js';
import type { MathVerification, VerifyCoreOptions } from './verify-core.js';

/** Math-Verify's verify()/parse() settings that users need (float_rounding, strict, extraction configs). */
const comparison = {
  precision: z
    .number()
    .int()
    .min(0)
    .max(15)
    .default(6)
    .describe(
      'Decimal places both values are rounded to when either answer is a decimal (Math-Verify float_rounding): ' +
        'with 6, 0.333333 = 1/3 but 0.333 ≠ 1/3.',
    ),
  strict: z
    .boolean()
    .default(true)
    .describe(
      'Math-Verify strict: variables keep their names (x^2 + 1 is not y^2 + 1), relations must be about the same ' +
        'variables, a gold equation gives its right side only after a label (x = 3, not x + y = 5). ' +
        'false: one variable named differently is the same, gold equations give their right side.',
    ),
  targets: z
    .array(z.enum(EXTRACTION_TARGETS))
    .min(1)
    .default([...EXTRACTION_TARGETS])
    .refine((t) => new Set(t).size === t.length, 'targets must not repeat')
    .describe(
      'Extraction targets tried on the completion, always in the priority order boxed > phrase > latex > expr ' +
        '(Math-Verify extraction configs): "boxed" last \\boxed{}, "phrase" after "final answer is" / "Answer:", ' +
        '"latex" a closing \\[…\\] / $$…$$ block, "expr" the last sentence\'s last expression.',
    ),
};

export const verifyMathOptionsSchema = z.object({
  timeoutMs: z
    .number()
    .int()
    .positive()
    .max(600_000)
    .default(5_000)
    .describe('Time one verification may run on a worker before it is cut off and reported as "timeout" (ms).'),
  ...comparison,
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
  /** Options given here override the verifier's own for this call. */
  verify(gold: string, completion: string, opts?: VerifyMathOptions): Promise<MathVerification>;
  close(): Promise<void>;
}

/** Validates options; an unknown key is an error (a setting that would be silently ignored). */
function parseOptions<T extends z.ZodObject>(schema: T, opts: unknown, what: string): z.output<T> {
  const parsed = (schema.strict() as unknown as T).safeParse(opts ?? {});
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

/** Ordered, deduplicated core settings (targets always run in priority order). */
function coreOptions(o: { precision: number; strict: boolean; targets: readonly string[] }): VerifyCoreOptions {
  return {
    precision: o.precision,
    strict: o.strict,
    targets: EXTRACTION_TARGETS.filter((t) => o.targets.includes(t)),
  };
}

/** Creates a verifier with its own pool of `workers` threads and default `timeoutMs`, `precision`, `strict`, `targets`. */
export function createMathVerifier(options?: MathVerifierOptions): MathVerifier {
  const base = parseOptions(mathVerifierOptionsSchema, options, 'createMathVerifier');
  const pool = new MathWorkerPool(base.workers);
  return {
    verify(gold, completion, opts) {
      checkStrings(gold, completion);
      // validated with the schema's defaults filled in; only the keys the caller set override the verifier's own
      const o = parseOptions(verifyMathOptionsSchema, opts, 'verify');
      const set = (k: keyof VerifyMathOptions): boolean => opts?.[k] !== undefined;
      const merged = {
        precision: set('precision') ? o.precision : base.precision,
        strict: set('strict') ? o.strict : base.strict,
        targets: set('targets') ? o.targets : base.targets,
      };
      return pool.run(gold, completion, set('timeoutMs') ? o.timeoutMs : base.timeoutMs, coreOptions(merged));
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
 * Options mirror Math-Verify's: `precision` (float_rounding, default 6 decimal places), `strict` (default true) and
 * `targets` (extraction targets, default all: boxed > phrase > latex > expr). See docs/concepts/rewards.md.
 *
 * `gold` and `answer` are the two answers as extracted. Verification runs on a shared pool of worker threads (created
 * on first use, idle workers do not keep the process alive); use `createMathVerifier` to size your own pool.
 */
export function verifyMath(gold: string, completion: string, opts?: VerifyMathOptions): Promise<MathVerification> {
  checkStrings(gold, completion);
  const o = parseOptions(verifyMathOptionsSchema, opts, 'verifyMath');
  shared ??= createMathVerifier();
  return shared.verify(gold, completion, o);
}
