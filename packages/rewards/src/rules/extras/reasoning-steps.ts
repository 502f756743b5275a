/**
 * reasoningStepsReward (open-r1 `reasoning_steps_reward`): rewards explicit step-by-step structure.
 *   r = min(1, k / 3),  k = matches of /Step \d+:|^\d+\.|\n-|\n\*|First,|Second,|Next,|Finally,/g
 * (`^` only at the very start, as in open-r1, which does not use MULTILINE). `steps` (default 3) is the divisor.
 *
 * Leaves out: any judgement of whether the steps are right.
 */
import { z } from 'zod';
import { defineReward, type Reward, textOf } from '../../reward.js';

export const ReasoningStepsOptions = z.object({
  steps: z.number().int().positive().default(3).describe('Steps for full reward (the 3 in min(1, k/3)).'),
  name: z.string().default('reasoning_steps').describe('Reward name (metric key).'),
});
export type ReasoningStepsOptions = z.input<typeof ReasoningStepsOptions>;

const STEP = /Step \d+:|^\d+\.|\n-|\n\*|First,|Second,|Next,|Finally,/g;

/** Number of step markers k in `text`. */
export function countSteps(text: string): number {
  return text.match(STEP)?.length ?? 0;
}

/** min(1, k / steps) (see the file comment). */
export function reasoningStepsReward(options: ReasoningStepsOptions = {}): Reward {
  const o = ReasoningStepsOptions.parse(options);
  return defineReward({
    name: o.name,
    async score(samples) {
      return samples.map((s) => Math.min(1, countSteps(textOf(s.completion)) / o.steps));
    },
  });
}
