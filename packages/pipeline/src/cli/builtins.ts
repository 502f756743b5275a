/**
 * The wiring point between the `aha` CLI and the trainers: recipes and stage commands shipped with @aha/pipeline
 * register here (`registerRecipe('r1-zero', ...)`, `registerCommand('train grpo', ...)`). The trainers are built
 * in their own packages; until their handlers are registered here the CLI answers "not available" for them, while
 * `aha report` and `aha init` work on their own. Runs once per process.
 */
import { r1Recipe } from '../recipes/r1/recipe.js';
import { r1ZeroRecipe } from '../recipes/r1-zero.js';
import { registerRecipe } from './registry.js';

let registered = false;

/** Registers the built-in handlers (idempotent). */
export function registerBuiltins(): void {
  if (registered) return;
  registered = true;
  registerRecipe('r1-zero', r1ZeroRecipe, {
    description: 'R1-Zero in miniature: GRPO on addition from the shipped tiny MLA+MoE base model (npm start)',
  });
  registerRecipe('r1', r1Recipe, {
    description: "R1's four stages in miniature: cold start, reasoning RL, rejection SFT, RMs + alignment RL",
  });
  // The other recipes (r1, distill) and stage commands register here as their trainers land.
}
