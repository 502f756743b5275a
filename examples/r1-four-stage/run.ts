/**
 * The `r1` recipe from code (what `aha run r1` runs), with two settings: `full` — the recipe's defaults, ~5 minutes
 * on 2 CPU cores, every stage improves a number — and `tiny`, a few steps per stage so CI can run the whole chain in
 * seconds (it checks the plumbing, not the learning). Shows how to override settings and replace a reward set.
 */
import { type R1Options, type R1Result, runR1 } from '@aha/pipeline';

/** A few steps of every stage: CI only (no learning is expected at this size). */
export const TINY: R1Options = {
  task: { evalProblems: 8 },
  coldStart: { examples: 64, sft: { maxSteps: 4, batchSize: 8, warmupSteps: 0 } },
  reasoning: { trainProblems: 20, grpo: { maxSteps: 2, promptsPerStep: 2, groupSize: 2 } },
  rejection: { prompts: 8, n: 2, generalExamples: 8, sft: { maxSteps: 2, batchSize: 8, warmupSteps: 0 } },
  rewardModels: { pairs: 16, safetySamples: 16, heldOut: 16, maxSteps: 3, batchSize: 8 },
  alignment: { trainProblems: 8, grpo: { maxSteps: 2, promptsPerStep: 2, groupSize: 2 } },
  eval: { generalPerTopic: 1 },
};

/** Runs the recipe in `runDir` with the `full` (default) or `tiny` setting. */
export function runR1FourStage(options: {
  setting: 'full' | 'tiny';
  runDir: string;
  seed?: number;
  log?: (message: string) => void;
}): Promise<R1Result> {
  return runR1(options.setting === 'tiny' ? TINY : {}, {
    runDir: options.runDir,
    seed: options.seed ?? 0,
    log: options.log,
  });
}
