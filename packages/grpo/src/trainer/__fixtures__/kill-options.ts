/** The run the kill-and-resume test trains in a child process and in the test itself (same config, same seed). */
import { defineReward } from '@aha/rewards';
import { generateAddition } from '../../tasks/addition.js';
import { additionAccuracy, tinyModel, tinyTokenizer } from './tiny.js';
import type { GrpoTrainerOptions } from '../trainer.js';

const lengthMod = defineReward({
  name: 'lengthMod',
  async score(samples) {
    return samples.map((s) => (String(s.completion).length % 4) / 3);
  },
});

export function killRunOptions(outputDir: string): GrpoTrainerOptions {
  return {
    model: tinyModel(21),
    tokenizer: tinyTokenizer(),
    dataset: generateAddition({ count: 16, seed: 8, digits: { min: 1, max: 1 } }),
    rewards: [lengthMod, additionAccuracy],
    groupSize: 4,
    promptsPerStep: 2,
    stepsPerRollout: 2,
    numIterations: 1,
    maxCompletionLength: 6,
    maxSteps: 6,
    learningRate: 5e-3,
    beta: 0.01,
    refModelSyncSteps: 3,
    epsilonLow: 0.2,
    epsilonHigh: 0.28,
    checkpointEvery: 3,
    outputDir,
  };
}
