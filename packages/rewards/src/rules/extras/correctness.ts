/**
 * Shared by the length-shaping rewards (Kimi length, cosine): which samples are correct, judged by another reward
 * (accuracyReward by default) with its failures passed on to the caller's context.
 */
import { z } from 'zod';
import type { Reward, RewardContext, Sample } from '../../reward.js';
import { accuracyReward } from '../accuracy.js';

export const CorrectnessOptions = {
  accuracy: z
    .custom<Reward>((v) => typeof (v as Reward)?.score === 'function', 'accuracy must be a reward')
    .optional()
    .describe('Reward that decides correctness; accuracyReward() when left out.'),
  correctAt: z.number().default(1).describe('A sample is correct when the accuracy value is at least this.'),
  lengthOf: z
    .custom<(text: string) => number>((v) => typeof v === 'function', 'lengthOf must be a function')
    .optional()
    .describe('Length of a completion; characters (open-r1) when left out.'),
};

/** true / false per sample, or null where the accuracy reward does not apply or failed (failures reported on ctx). */
export async function correctness(
  accuracy: Reward,
  correctAt: number,
  samples: Sample[],
  ctx: RewardContext,
): Promise<(boolean | null)[]> {
  const values = await accuracy.score(samples, {
    ...ctx,
    fail: (i, message, status) => ctx.fail(i, `${accuracy.name}: ${message}`, status),
  });
  return values.map((v) => (v === null ? null : v >= correctAt));
}

export const defaultAccuracy = (): Reward => accuracyReward();
