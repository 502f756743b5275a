/**
 * Makes the shipped base model of the main job (`npm start`): pretrains a tiny DeepSeek-V3 on synthetic addition
 * text and stops early while it is still weak, then writes it (config.json, model.safetensors, tokenizer.json,
 * tokenizer_config.json, base-model.json) to packages/pipeline/assets/r1-zero-base/.
 *
 *   npx tsx --conditions=source tools/make-base-model.ts [outDir]
 *
 * Deterministic for the seed in the options (see packages/pipeline/src/recipes/base-model/pretrain.ts).
 */
import { fileURLToPath } from 'node:url';
import { saveBaseModel } from '../packages/pipeline/src/recipes/base-model/save.js';

const out = process.argv[2] ?? fileURLToPath(new URL('../packages/pipeline/assets/r1-zero-base/', import.meta.url));
const result = await saveBaseModel(out, {}, (step, acc) => {
  process.stderr.write(`step ${step}: early-stop held-out greedy accuracy ${(acc * 100).toFixed(1)}%\n`);
});
process.stderr.write(
  `wrote ${out}: ${result.steps} steps in ${result.seconds.toFixed(0)} s, held-out greedy accuracy ` +
    `${(result.heldOut.accuracy * 100).toFixed(1)}% (${result.heldOut.correct}/${result.heldOut.total})\n`,
);
