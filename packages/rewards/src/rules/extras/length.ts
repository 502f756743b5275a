/**
 * lengthReward: Kimi k1.5's length penalty (Kimi Team 2025, §2.3.3), computed within each group of responses to the
 * same prompt (samples with equal prompt text, or equal `group` column values):
 *   λ = 0.5 − (len(i) − min_len) / (max_len − min_len)
 *   r(i) = λ if the answer is correct, min(0, λ) if it is wrong;   all lengths equal → 0 for the group.
 * Correctness comes from another reward (accuracyReward by default); where that does not apply → null.
 *
 * Leaves out: Kimi's warm-up schedule (apply the penalty only after some steps: gate it with your weight schedule).
 */
import { z } from 'zod';
import { defineReward, type Reward, type Sample, textOf } from '../../reward.js';
import { CorrectnessOptions, correctness, defaultAccuracy } from './correctness.js';

export const LengthOptions = z.object({
  ...CorrectnessOptions,
  name: z.string().default('length').describe('Reward name (metric key).'),
});
export type LengthOptions = z.input<typeof LengthOptions>;

/** Kimi k1.5 λ for one group, given lengths and correctness (null correctness → null). */
export function kimiLengthRewards(lengths: readonly number[], correct: readonly (boolean | null)[]): (number | null)[] {
  const min = Math.min(...lengths);
  const max = Math.max(...lengths);
  return lengths.map((len, i) => {
    if (correct[i] === null) return null;
    if (max === min) return 0;
    const lambda = 0.5 - (len - min) / (max - min);
    return correct[i] ? lambda : Math.min(0, lambda);
  });
}

const groupKey = (s: Sample) => (s.group !== undefined ? `g:${String(s.group)}` : `p:${textOf(s.prompt)}`);

/** Kimi k1.5 length reward (see the file comment). */
export function lengthReward(options: LengthOptions = {}): Reward {
  const o = LengthOptions.parse(options);
  const accuracy = o.accuracy ?? defaultAccuracy();
  const lengthOf = o.lengthOf ?? ((t: string) => t.length);
  return defineReward({
    name: o.name,
    async score(samples, ctx) {
      const correct = await correctness(accuracy, o.correctAt, samples, ctx);
      const groups = new Map<string, number[]>();
      samples.forEach((s, i) => {
        const key = groupKey(s);
        groups.set(key, [...(groups.get(key) ?? []), i]);
      });
      const values: (number | null)[] = new Array(samples.length).fill(null);
      for (const members of groups.values()) {
        const r = kimiLengthRewards(
          members.map((i) => lengthOf(textOf(samples[i].completion))),
          members.map((i) => correct[i]),
        );
        members.forEach((i, k) => {
          values[i] = r[k];
        });
      }
      return values;
    },
  });
}
