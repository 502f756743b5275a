/**
 * The wiring point between the `aha` CLI and the trainers: the recipes (`r1-zero`, `r1`, `distill`) and the stage
 * commands (`train grpo|sft|rm`, `generate`, `eval`) shipped with @aha/pipeline register here; the trainers live in
 * their own packages. A user's program can register more with the same functions. Runs once per process.
 */
import { evalCommand } from '../commands/eval.js';
import { generateCommand } from '../commands/generate.js';
import { trainGrpoCommand } from '../commands/train-grpo.js';
import { trainPretrainCommand } from '../commands/train-pretrain.js';
import { trainRmCommand } from '../commands/train-rm.js';
import { trainSftCommand } from '../commands/train-sft.js';
import { ahaMomentRecipe } from '../recipes/aha-moment/recipe.js';
import { distillRecipe } from '../recipes/distill/distill.js';
import { fromScratchRecipe } from '../recipes/from-scratch/recipe.js';
import { r1Recipe } from '../recipes/r1/recipe.js';
import { r1ZeroRecipe } from '../recipes/r1-zero.js';
import { registerCommand, registerRecipe } from './registry.js';

let registered = false;

/** Registers the built-in handlers (idempotent). */
export function registerBuiltins(): void {
  if (registered) return;
  registered = true;
  registerRecipe('r1-zero', r1ZeroRecipe, {
    description: 'R1-Zero in miniature: GRPO on addition from the shipped tiny MLA+MoE base model (npm start)',
  });
  registerRecipe('aha-moment', ahaMomentRecipe, {
    description: 'the aha moment in miniature: GRPO (accuracy + format only) from a base model that rarely reflects',
  });
  registerRecipe('r1', r1Recipe, {
    description: "R1's four stages in miniature: cold start, reasoning RL, rejection SFT, RMs + alignment RL",
  });
  registerRecipe('distill', distillRecipe, {
    description:
      'teacher (short GRPO of the base model, or any model) → rejection sampling → SFT of a small dense student',
  });
  registerRecipe('from-scratch', fromScratchRecipe, {
    description: 'synthetic raw corpus → aha data clean → pretraining a tiny MLA+MoE+MTP model → R1-Zero GRPO → report',
  });
  registerCommand('train grpo', trainGrpoCommand, { description: 'GRPO from a config file' });
  registerCommand('train sft', trainSftCommand, { description: 'SFT on prompt/completion or messages JSONL' });
  registerCommand('train rm', trainRmCommand, { description: 'reward model on pairwise or point-wise JSONL' });
  registerCommand('train pretrain', trainPretrainCommand, {
    description: 'pretraining (next-token + MTP) on text files or JSONL',
  });
  registerCommand('generate', generateCommand, { description: 'sample completions' });
  registerCommand('eval', evalCommand, { description: 'accuracy and mean reward per reward' });
}
