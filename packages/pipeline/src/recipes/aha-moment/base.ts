/**
 * How the `aha-moment` base model is made: the main job's pretraining path (base-model/pretrain.ts) on three-digit
 * addition whose corpus holds some reflection — 15% of traces write a column wrong, say "wait" and write it again
 * right, 5% re-check a right column needlessly (@aha/grpo reflectiveAdditionTrace) — stopped early, so GRPO has
 * mistakes to fix and "wait" is possible but not habitual (~2% of the base model's own sampled completions).
 * tools/make-base-model.ts --aha-moment remakes it (deterministic for the seed).
 *
 * The rates and the stop point are not the "a few percent" and "weak": at 4% / 2% (and at 8%, and at a
 * 33%-accurate stop) the model learned *when* to say "wait" but wrote some other column after it; these settings
 * are the most reflection-friendly ones measured, and GRPO still drove "wait" down (examples/aha-moment/README.md).
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
  stopAt: 0.7,
  reflection: { mistake: 0.15, recheck: 0.05 },
} satisfies BaseModelOptions;

export const AHA_MOMENT_PROVENANCE: BaseModelProvenance = {
  description:
    'Tiny DeepSeek-V3 (MLA + DeepSeekMoE) pretrained on three-digit addition with column traces; 15% of them write ' +
    'a column wrong, say "wait" and write it again right, 5% re-check a right column needlessly. Stopped at the ' +
    'first early-stop check at or above 70%: the starting point of the aha-moment recipe (its own samples say ' +
    '"wait" in ~2% of completions).',
  command: 'npx tsx --conditions=source tools/make-base-model.ts --aha-moment',
};
