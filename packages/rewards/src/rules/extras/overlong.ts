/**
 * overlongReward: DAPO's soft overlong punishment (Yu et al. 2025, "DAPO", eq. 13):
 *   R(y) = 0                              if |y| ≤ L_max − L_cache
 *        = ((L_max − L_cache) − |y|) / L_cache   if L_max − L_cache < |y| ≤ L_max
 *        = −1                             if L_max < |y|
 * |y| is the completion length in tokens: the `completion_ids` column (TRL passes it to reward functions), else a
 * `completionTokens` number column, else `countTokens(text)` when given; a sample with none of them fails (ctx.fail),
 * since guessing a token count would silently change the reward.
 *
 * Leaves out: DAPO's overlong filtering (masking truncated samples from the loss: that is the trainer's job).
 */
import { ValueError } from '@aha/errors';
import { z } from 'zod';
import { defineReward, type Reward, type Sample, textOf } from '../../reward.js';

export const OverlongOptions = z.object({
  maxLength: z.number().int().positive().describe('L_max: the generation length limit, in tokens.'),
  cacheLength: z.number().int().positive().describe('L_cache: the soft-punishment interval before L_max, in tokens.'),
  countTokens: z
    .custom<(text: string) => number>((v) => typeof v === 'function', 'countTokens must be a function')
    .optional()
    .describe('Token counter used when a sample has neither completion_ids nor completionTokens.'),
  name: z.string().default('overlong').describe('Reward name (metric key).'),
});
export type OverlongOptions = z.input<typeof OverlongOptions>;

/** R(|y|) of DAPO eq. 13. */
export function softOverlong(length: number, maxLength: number, cacheLength: number): number {
  const start = maxLength - cacheLength;
  if (length <= start) return 0;
  if (length <= maxLength) return (start - length) / cacheLength;
  return -1;
}

function tokenCount(s: Sample, countTokens?: (text: string) => number): number | undefined {
  if (Array.isArray(s.completion_ids)) return s.completion_ids.length;
  if (typeof s.completionTokens === 'number') return s.completionTokens;
  return countTokens?.(textOf(s.completion));
}

/** DAPO soft overlong punishment (see the file comment). */
export function overlongReward(options: OverlongOptions): Reward {
  const o = OverlongOptions.parse(options);
  if (o.cacheLength > o.maxLength)
    throw new ValueError(`overlongReward: cacheLength ${o.cacheLength} must not exceed maxLength ${o.maxLength}`);
  return defineReward({
    name: o.name,
    async score(samples, ctx) {
      return samples.map((s, i) => {
        const length = tokenCount(s, o.countTokens);
        if (length === undefined) {
          ctx.fail(i, 'no completion_ids / completionTokens column and no countTokens option: token length unknown');
          return null;
        }
        return softOverlong(length, o.maxLength, o.cacheLength);
      });
    },
  });
}
