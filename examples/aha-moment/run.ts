/**
 * The `aha-moment` recipe from code (what `aha run aha-moment` runs), with two settings: `full` — the recipe's
 * defaults (see README.md for measured runs) — and `tiny`, two GRPO steps so CI runs the whole chain in seconds (it
 * checks the plumbing and the aha numbers' presence, not the learning).
 */
import { type AhaMomentResult, runAhaMoment } from '@aha/pipeline';

/** Two GRPO steps on 4 prompts × 4 samples and 4 held-out problems: CI only. */
export const TINY = {
  task: { evalProblems: 4 },
  grpo: { maxSteps: 2, promptsPerStep: 4, groupSize: 4, checkpointEvery: 1 },
  trainProblems: 20,
};

/** The numbers the example prints: start → end of GRPO (means over the aha window) and held-out before → after. */
export interface AhaNumbers {
  seed: number;
  steps: number;
  heldOut: [number, number];
  reflection: [number | null, number | null];
  ratio: number | null;
  wait: [number | null, number | null];
  length: [number | null, number | null];
  trainAccuracy: [number | null, number | null];
  reflectingShare: [number | null, number | null];
  reflectingAccuracy: number | null;
  otherAccuracy: number | null;
  takeOffStep: number | null;
}

/** Runs the recipe in `runDir` with the `full` (default) or `tiny` setting, and its numbers. */
export async function runAhaMomentExample(options: {
  setting: 'full' | 'tiny';
  runDir: string;
  seed?: number;
  log?: (message: string) => void;
}): Promise<{ result: AhaMomentResult; numbers?: AhaNumbers }> {
  const seed = options.seed ?? 0;
  const result = await runAhaMoment(options.setting === 'tiny' ? TINY : {}, {
    runDir: options.runDir,
    seed,
    log: options.log,
  });
  const a = result.aha;
  if (!a || result.accuracyBefore === undefined || result.accuracyAfter === undefined) return { result };
  return {
    result,
    numbers: {
      seed,
      steps: typeof result.grpoSteps === 'number' ? result.grpoSteps : 0,
      heldOut: [result.accuracyBefore, result.accuracyAfter],
      reflection: [a.start.reflection, a.end.reflection],
      ratio: a.ratio,
      wait: [a.start.wait, a.end.wait],
      length: [a.start.completionLength, a.end.completionLength],
      trainAccuracy: [a.start.accuracy, a.end.accuracy],
      reflectingShare: [a.start.reflectingShare, a.end.reflectingShare],
      reflectingAccuracy: a.all.reflectingAccuracy,
      otherAccuracy: a.all.otherAccuracy,
      takeOffStep: a.takeOffStep,
    },
  };
}
