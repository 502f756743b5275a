/**
 * accuracyReward: R1-Zero's accuracy reward for math (DeepSeek-R1 §2.2.2: "the model is required to provide the final
 * answer in a specified format … enabling reliable rule-based verification of correctness"). Gold answers come from
 * the `solution` column (TRL / open-r1 convention); the completion's answer part (inside `<answer>`, else after
 * `</think>`, else the whole text) is compared by `verifyMath` — 1 when equal, 0 when not.
 *
 * Verdicts → value: `equal` → 1; `not_equal` → 0 (also when the model's answer cannot be read); `unparseable` (the gold
 * cannot be read) → null, skipped and counted; `timeout` → the sample is reported as `timeout` through `ctx.fail`
 * (never a silent 0).
 *
 * Hedging: a completion whose answer part holds more than one `<answer>` block scores 0 without being verified (taking
 * the last block would pay a model that writes two candidates and lets the verifier pick).
 *
 * The default verifier is `verifyMath` (worker pool, time limits); tests and users may pass their own with
 * `accuracyReward({ verify })`.
 *
 * Leaves out: code accuracy (see code.ts), multiple-choice letter matching.
 */
import { AhaError } from '@aha/errors';
import { z } from 'zod';
import { verifyMath } from '../math/index.js';
import { defineReward, type Reward, textOf } from '../reward.js';
import { answerPart } from '../text.js';

/** What `verifyMath` answers (the DESIGN.md contract). */
export interface MathVerdict {
  verdict: 'equal' | 'not_equal' | 'unparseable' | 'timeout';
  gold?: string;
  answer?: string;
}

/** The `verifyMath` contract: gold answer, model text, per-call time limit. */
export type MathVerifier = (gold: string, completion: string, options?: { timeoutMs?: number }) => Promise<MathVerdict>;

export const AccuracyOptions = z.object({
  verify: z
    .custom<MathVerifier>((v) => typeof v === 'function', 'verify must be a function')
    .optional()
    .describe('Math verifier (the verifyMath contract); verifyMath when left out.'),
  timeoutMs: z
    .number()
    .positive()
    .optional()
    .describe('Time limit per verification in ms; the runner limit when left out.'),
  answerOnly: z
    .boolean()
    .default(true)
    .describe(
      'Verify only the answer part (<answer> body, else text after </think>), not candidates in the reasoning.',
    ),
  column: z.string().default('solution').describe('Dataset column holding the gold answer.'),
  name: z.string().default('accuracy').describe('Reward name (metric key).'),
});
export type AccuracyOptions = z.input<typeof AccuracyOptions>;

/** Number of `<answer>` openings after the last `</think>` (where the answer part is looked for). */
export function answerBlockCount(completion: string): number {
  const close = completion.lastIndexOf('</think>');
  const tail = close < 0 ? completion : completion.slice(close + '</think>'.length);
  let count = 0;
  for (let at = tail.indexOf('<answer>'); at >= 0; at = tail.indexOf('<answer>', at + 1)) count++;
  return count;
}

/** Math accuracy reward (see the file comment). */
export function accuracyReward(options: AccuracyOptions = {}): Reward {
  const o = AccuracyOptions.parse(options);
  return defineReward({
    name: o.name,
    columns: z.object({ [o.column]: z.string() }),
    async score(samples, ctx) {
      const verify = o.verify ?? verifyMath;
      const timeoutMs = o.timeoutMs ?? ctx.limits.timeoutMs;
      return Promise.all(
        samples.map(async (sample, i) => {
          const completion = textOf(sample.completion);
          if (answerBlockCount(completion) > 1) return 0; // hedging between answers is never paid
          const text = o.answerOnly ? answerPart(completion) : completion;
          const result = await verify(sample[o.column] as string, text, { timeoutMs });
          switch (result.verdict) {
            case 'equal':
              return 1;
            case 'not_equal':
              return 0;
            case 'unparseable': // verifyMath says this only of a gold it cannot read: skip, never 1
              return null;
            case 'timeout':
              ctx.fail(i, `math verification timed out after ${timeoutMs} ms`, 'timeout');
              return null;
            default:
              throw new AhaError(
                'value',
                `accuracyReward: verifier answered unknown verdict ${JSON.stringify(result)}`,
              );
          }
        }),
      );
    },
  });
}
