// Plugin rewards for the config tests: a factory `(options) => Reward` (as examples/reward-plugin exports one) and
// rewards that fail in each of the ways the runner must report (throw, NaN, a string, a wrong-length batch).
import { defineReward, textOf } from '@aha/rewards';
import { z } from 'zod';

const AtMostOptions = z.strictObject({
  name: z.string().default('at_most'),
  max: z.number().int().positive(),
});

/** Factory: 1 for completions of at most `max` characters, else 0. */
export function atMost(options: z.input<typeof AtMostOptions>) {
  const o = AtMostOptions.parse(options);
  return defineReward({
    name: o.name,
    async score(samples) {
      return samples.map((s) => (textOf(s.completion).length <= o.max ? 1 : 0));
    },
  });
}

export const throws = defineReward({
  name: 'throws',
  async score() {
    throw new Error('the verifier is not configured');
  },
});

export const nan = defineReward({
  name: 'nan',
  async score(samples) {
    return samples.map(() => Number.NaN);
  },
});

export const text = defineReward({
  name: 'text',
  async score(samples) {
    return samples.map(() => 'yes' as unknown as number);
  },
});

export const short = defineReward({
  name: 'short_batch',
  async score(samples) {
    return samples.slice(1).map(() => 1);
  },
});
