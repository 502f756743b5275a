/**
 * @aha/example-reward-plugin — a reward defined outside @aha/rewards, the way a user's package would: a zod schema for
 * the columns it reads, one async `score`, null where it does not apply. See docs/guides/writing-a-reward.md.
 *
 * unitReward: for physics/word problems whose dataset has a `unit` column, 1 when the final answer states that unit
 * (as a whole word, case-insensitive), 0 when it does not, null for samples without a unit.
 */
import { answerPart, defineReward, type Reward, textOf } from '@aha/rewards';
import { z } from 'zod';

export const UnitOptions = z.object({
  name: z.string().default('unit').describe('Reward name (metric key).'),
});
export type UnitOptions = z.input<typeof UnitOptions>;

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** 1 when the answer part names the sample's `unit`, 0 when not, null when the sample has no unit. */
export function unitReward(options: UnitOptions = {}): Reward {
  const o = UnitOptions.parse(options);
  return defineReward({
    name: o.name,
    columns: z.object({ unit: z.string().min(1).optional().describe('Unit the answer must state, e.g. "m/s".') }),
    async score(samples) {
      return samples.map((sample) => {
        const unit = sample.unit as string | undefined;
        if (unit === undefined) return null;
        const answer = answerPart(textOf(sample.completion));
        return new RegExp(`(^|[^\\p{L}])${escapeRegExp(unit)}($|[^\\p{L}])`, 'iu').test(answer) ? 1 : 0;
      });
    },
  });
}
