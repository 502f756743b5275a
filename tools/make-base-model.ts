/**
 * Makes a shipped base model: pretrains a tiny DeepSeek-V3 on synthetic addition text and stops early while it is
 * still weak, then writes it (config.json, model.safetensors, tokenizer.json, tokenizer_config.json, base-model.json).
 *
 *   npx tsx --conditions=source tools/make-base-model.ts [outDir]               # main job → assets/r1-zero-base/
 *   npx tsx --conditions=source tools/make-base-model.ts --aha-moment [outDir]  # aha-moment → assets/aha-moment-base/
 *
 * Deterministic for the seed in the options (see packages/pipeline/src/recipes/base-model/pretrain.ts).
 */
import { fileURLToPath } from 'node:url';
import { AHA_MOMENT_BASE_OPTIONS, AHA_MOMENT_PROVENANCE } from '../packages/pipeline/src/recipes/aha-moment/base.js';
import { saveBaseModel } from '../packages/pipeline/src/recipes/base-model/save.js';

const args = process.argv.slice(2);
const ahaMoment = args.includes('--aha-moment');
const asset = ahaMoment ? 'aha-moment-base' : 'r1-zero-base';
const out =
  args.find((a) => !a.startsWith('--')) ??
  fileURLToPath(new URL(`../packages/pipeline/assets/${asset}/`, import.meta.url));
const onEval = (step: number, acc: number) => {
  process.stderr.write(`step ${step}: early-stop held-out greedy accuracy ${(acc * 100).toFixed(1)}%\n`);
};
const result = ahaMoment
  ? await saveBaseModel(out, AHA_MOMENT_BASE_OPTIONS, onEval, AHA_MOMENT_PROVENANCE)
  : await saveBaseModel(out, {}, onEval);
process.stderr.write(
  `wrote ${out}: ${result.steps} steps in ${result.seconds.toFixed(0)} s, held-out greedy accuracy ` +
    `${(result.heldOut.accuracy * 100).toFixed(1)}% (${result.heldOut.correct}/${result.heldOut.total}), corpus ` +
    `${JSON.stringify(result.corpus)}\n`,
);
