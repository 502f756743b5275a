// Rewards for the process-tree tests: one stuck in a synchronous infinite loop on the main thread (only killing the
// process stops it), one slow but responsive. Each says on stderr when it starts, so the test knows when to press Ctrl-C.
import { defineReward } from '@aha/rewards';

export const loop = defineReward({
  name: 'loop',
  async score() {
    process.stderr.write('fixture: reward loop is looping\n');
    for (;;) {}
  },
});

export const slow = defineReward({
  name: 'slow',
  async score(samples) {
    process.stderr.write('fixture: reward slow is scoring\n');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    return samples.map(() => 1);
  },
});
