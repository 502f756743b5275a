// A plugin reward as `aha init` scaffolds one: a module whose default export is made with defineReward.
import { defineReward, textOf } from '@aha/rewards';

/** 1 for completions of at most 4 characters, else 0. */
export default defineReward({
  name: 'short',
  async score(samples) {
    return samples.map((s) => (textOf(s.completion).length <= 4 ? 1 : 0));
  },
});

/** Not a reward: a config naming this export is a config error. */
export const notAReward = 42;
