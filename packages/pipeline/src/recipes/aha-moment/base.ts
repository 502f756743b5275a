/**
 * How the `aha-moment` base model is made: the main job's pretraining path (base-model/pretrain.ts) on three-digit
 * addition whose corpus holds reflection only rarely — a few traces write a column wrong, say "wait" and correct it,
 * a few re-check a right column needlessly (@aha/grpo reflectiveAdditionTrace). Stopped early while weak, so GRPO
 * has mistakes to fix and "wait" is possible but not habitual. tools/make-base-model.ts --aha-moment remakes it.
 */
import type { BaseModelOptions } from '../base-model/pretrain.js';
import type { BaseModelProvenance } from '../base-model/save.js';

/** The options the shipped aha-moment base model was made with. */
export const AHA_MOMENT_BASE_OPTIONS = {
  seed: 0,
  task: { minDigits: 3, maxDigits: 3, pad: false, evalSeed: 1234, evalProblems: 200, maxNewTokens: 64 },
  trainProblems: 20000,
  batchSize: 32,
  lr: 5e-3,
  maxSteps: 4000,
  evalEvery: 40,
  stopProblems: 100,
  stopAt: 0.35,
  reflection: { mistake: 0.15, recheck: 0.05 },
} satisfies BaseModelOptions;

export const AHA_MOMENT_PROVENANCE: BaseModelProvenance = {
  description:
    'Tiny DeepSeek-V3 (MLA + DeepSeekMoE) pretrained briefly on three-digit addition with column traces, a few of ' +
    'which make a mistake, say "wait" and correct it (and a few re-check needlessly); stopped early while weak: the ' +
    'starting point of the aha-moment recipe.',
  command: 'npx tsx --conditions=source tools/make-base-model.ts --aha-moment',
};
