/**
 * cosineLengthReward: cosine-scaled length reward (Yeo et al. 2025, "Demystifying Long Chain-of-Thought Reasoning in
 * LLMs", eq. 1; open-r1 `get_cosine_scaled_reward`):
 *   r(L) = η_min + ½ (η_max − η_min) (1 + cos(π · L / L_max))
 * with (η_min, η_max) = (minValueCorrect, maxValueCorrect) = (0.5, 1.0) for a correct answer — shorter is better —
 * and (η_min, η_max) = (maxValueWrong, minValueWrong) = (0, −0.5) for a wrong one — longer is penalised less.
 * L is clipped to L_max (open-r1 does not clip; past L_max the cosine would turn back up).
 *
 * Leaves out: the paper's exceed-length penalty r_exceed (use overlongReward for that).
 */
import { z } from 'zod';
import { defineReward, type Reward, textOf } from '../../reward.js';
import { CorrectnessOptions, correctness, defaultAccuracy } from './correctness.js';

export const CosineOptions = z.object({
  ...CorrectnessOptions,
  minValueCorrect: z.number().default(0.5).describe('η_min for correct answers: the value at L = L_max.'),
  maxValueCorrect: z.number().default(1).describe('η_max for correct answers: the value at L = 0.'),
  minValueWrong: z.number().default(-0.5).describe('The value of a wrong answer at L = 0.'),
  maxValueWrong: z.number().default(0).describe('The value of a wrong answer at L = L_max.'),
  maxLength: z.number().positive().default(1000).describe('L_max, in the unit of lengthOf (characters by default).'),
  name: z.string().default('cosine_length').describe('Reward name (metric key).'),
});
export type CosineOptions = z.input<typeof CosineOptions>;

/** r(L) = η_min + ½(η_max − η_min)(1 + cos(π·min(L, L_max)/L_max)), η_max being the value at L = 0. */
export function cosineScaled(length: number, maxLength: number, atZero: number, atMax: number): number {
  const progress = Math.min(length, maxLength) / maxLength;
  return atMax + 0.5 * (atZero - atMax) * (1 + Math.cos(Math.PI * progress));
}

/** Cosine-scaled length reward (see the file comment). */
export function cosineLengthReward(options: CosineOptions = {}): Reward {
  const o = CosineOptions.parse(options);
  const accuracy = o.accuracy ?? defaultAccuracy();
  const lengthOf = o.lengthOf ?? ((t: string) => t.length);
  return defineReward({
    name: o.name,
    async score(samples, ctx) {
      const correct = await correctness(accuracy, o.correctAt, samples, ctx);
      return samples.map((s, i) => {
        if (correct[i] === null) return null;
        const length = lengthOf(textOf(s.completion));
        return correct[i]
          ? cosineScaled(length, o.maxLength, o.maxValueCorrect, o.minValueCorrect)
          : cosineScaled(length, o.maxLength, o.minValueWrong, o.maxValueWrong);
      });
    },
  });
}
