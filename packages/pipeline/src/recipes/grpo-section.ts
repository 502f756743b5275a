/**
 * The `grpo` section of a config file, one meaning everywhere: it IS @aha/grpo's `GrpoConfigSchema` (every trainer
 * option — β, ε_low/ε_high, lossType, μ, learningRate, maxSteps, ... — strict, with "did you mean" errors) less the
 * two keys a run sets at the top level of the file (`seed`, `outputDir`). A recipe only changes its defaults
 * (`withDefaults`), so `npm start`, `aha run r1` (either GRPO stage) and `aha train grpo` resolve the same section to
 * the same `GrpoConfig` for every key it sets. One rule fills what the section leaves unset and the task knows:
 * `maxCompletionLength` is the task's answer length (the paper's 32,768 tokens mean nothing for a task whose answers
 * take a few dozen). Leaves out: the data (each recipe or command chooses its prompts) and the rewards.
 */
import { parseTrainConfig, withDefaults } from '@aha/core';
import { GrpoConfigSchema } from '@aha/grpo';
import type { z } from 'zod';

/** GrpoConfig less `seed` and `outputDir` (top-level keys of a config file). */
export const GrpoSectionSchema = GrpoConfigSchema.omit({ seed: true, outputDir: true });
export type GrpoSectionInput = z.input<typeof GrpoSectionSchema>;
export type GrpoSection = z.output<typeof GrpoSectionSchema>;

/** The GRPO section with a recipe's defaults (same keys, types, checks and descriptions). */
export const grpoSection = (defaults: GrpoSectionInput) => withDefaults(GrpoSectionSchema, defaults);

/**
 * The GRPO settings a section means: the section as written (`raw`, before defaults) parsed with `schema` (a
 * recipe's defaults), `maxCompletionLength` from the task when the section leaves it unset. The trainer gets these
 * plus the run's `seed` and folder.
 */
export function resolveGrpoSection(
  schema: typeof GrpoSectionSchema,
  raw: unknown,
  task: { maxNewTokens?: number } = {},
): GrpoSection {
  const section = { ...((raw as Record<string, unknown> | undefined) ?? {}) };
  if (section.maxCompletionLength === undefined && task.maxNewTokens !== undefined) {
    section.maxCompletionLength = task.maxNewTokens;
  }
  return parseTrainConfig(schema, section, 'grpo');
}
