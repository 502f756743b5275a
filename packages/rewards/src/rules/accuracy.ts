/**
 * accuracyReward: R1-Zero's accuracy reward for math (DeepSeek-R1 §2.2.2: "the model is required to provide the final
 * answer in a specified format … enabling reliable rule-based verification of correctness"). Gold answers come from
 * the `solution` column (TRL / open-r1 convention); the completion's answer part (inside `<answer>`, else after
 * `</think>`, else the whole text) is compared by `verifyMath` — 1 when equal, 0 when not.
 *
 * Verdicts → value: `equal` → 1; `not_equal` → 0; `unparseable` → 0 when the verifier parsed the gold (the model's
 * answer is what failed), null when it did not (open-r1 skips examples whose gold cannot be parsed); `timeout` →
 * the sample is reported as `timeout` through `ctx.fail` (never a silent 0).
 *
 * The math verifier seam: `verifyMath` lives in `../math/` (built separately). This file does not import it: the
 * default verifier is read lazily from a registry at score time, so `accuracyReward()` works once the package entry
 * calls `setDefaultMathVerifier(verifyMath)` — at merge, `src/index.ts` adds
 *   `import { verifyMath } from './math/index.js'; setDefaultMathVerifier(verifyMath);`
 * Tests and users may pass their own `accuracyReward({ verify })` at any time.
 *
 * Leaves out: code accuracy (see code.ts), multiple-choice letter matching.
 */
import { AhaError } from '@aha/core';
import { z } from 'zod';
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

let defaultVerifier: MathVerifier | undefined;

/** Registers the verifier `accuracyReward()` uses when none is passed (the package entry registers `verifyMath`). */
export function setDefaultMathVerifier(verify: MathVerifier | undefined): void {
  defaultVerifier = verify;
}

/** The registered default verifier; throws an `AhaError('state')` explaining how to provide one when none is set. */
export function getDefaultMathVerifier(): MathVerifier {
  if (!defaultVerifier)
    throw new AhaError(
      'state',
      'accuracyReward: no math verifier is registered. Pass accuracyReward({ verify }) or call ' +
        'setDefaultMathVerifier(verifyMath) (the @aha/rewards entry does this once src/math is built).',
    );
  return defaultVerifier;
}

export const AccuracyOptions = z.object({
  verify: z
    .custom<MathVerifier>((v) => typeof v === 'function', 'verify must be a function')
    .optional()
    .describe('Math verifier (verifyMath contract); the registered default when left out.'),
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

/** Math accuracy reward (see the file comment). */
export function accuracyReward(options: AccuracyOptions = {}): Reward {
  const o = AccuracyOptions.parse(options);
  return defineReward({
    name: o.name,
    columns: z.object({ [o.column]: z.string() }),
    async score(samples, ctx) {
      const verify = o.verify ?? getDefaultMathVerifier(); // resolved lazily: the default may be registered late
      const timeoutMs = o.timeoutMs ?? ctx.limits.timeoutMs;
      return Promise.all(
        samples.map(async (sample, i) => {
          const completion = textOf(sample.completion);
          const text = o.answerOnly ? answerPart(completion) : completion;
          const result = await verify(sample[o.column] as string, text, { timeoutMs });
          switch (result.verdict) {
            case 'equal':
              return 1;
            case 'not_equal':
              return 0;
            case 'unparseable':
              return result.gold === undefined ? null : 0;
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
