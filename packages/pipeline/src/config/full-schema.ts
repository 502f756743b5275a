/**
 * Every config-file section of the built-in recipes and `train` commands with its real schema, for what shows a
 * config rather than runs it: the JSON Schema for editors (`schema/aha-config.schema.json`), `aha run --help`, the
 * generated config reference (docs/config.md) and `aha run <recipe> --print-config` (the fully resolved settings).
 * A section read differently by different recipes (`grpo`: one GRPO section in r1-zero and `aha train grpo`, two in
 * r1) is a union of its shapes here; at run time each recipe checks its own sections strictly (config/section.ts).
 */
import { z } from 'zod';
import { TrainGrpoSchema } from '../commands/train-grpo.js';
import { TrainRmSchema } from '../commands/train-rm.js';
import { TrainSftSchema } from '../commands/train-sft.js';
import { DistillSchema, resolveDistillConfig } from '../recipes/distill/distill.js';
import { R1TaskSchema, resolveR1Config } from '../recipes/r1/recipe.js';
import {
  AlignmentGrpoSchema,
  AlignmentRlSchema,
  ColdStartSchema,
  R1EvalSchema,
  ReasoningGrpoSchema,
  ReasoningRlSchema,
  RejectionSftSchema,
  RewardModelsSchema,
} from '../recipes/r1/stages.js';
import { R1ZeroGrpoSchema, R1ZeroSettingsSchema, R1ZeroTaskSchema, resolveR1ZeroConfig } from '../recipes/r1-zero.js';
import type { LoadedConfig } from './load.js';
import { createConfigSchema } from './schema.js';

/** The schema of each section, per recipe or command that reads it. */
export function sectionSchemas() {
  return {
    grpo: z
      .union([
        R1ZeroGrpoSchema.describe('r1-zero: GRPO settings (GrpoConfig with the r1-zero defaults).'),
        TrainGrpoSchema,
        z
          .strictObject({ reasoning: ReasoningGrpoSchema.optional(), alignment: AlignmentGrpoSchema.optional() })
          .describe('r1: GRPO settings of the reasoning and alignment stages (GrpoConfig each).'),
      ])
      .describe('GRPO settings: GrpoConfig keys, the same meaning in every recipe and in `aha train grpo`.'),
    sft: z
      .union([TrainSftSchema, z.strictObject({ coldStart: ColdStartSchema.optional() }).describe('r1: stage 1.')])
      .describe('SFT settings: `aha train sft` (TrainConfig + dataset), or the r1 cold start.'),
    rm: z
      .union([TrainRmSchema, RewardModelsSchema.describe('r1: the two reward models.')])
      .describe('Reward-model settings: `aha train rm` (RewardTrainerConfig + dataset), or the r1 reward models.'),
    rejection: RejectionSftSchema.describe('r1 stage 3: rejection sampling + SFT.'),
    distill: DistillSchema,
    eval: z
      .union([
        R1ZeroTaskSchema,
        R1TaskSchema.extend({
          language: z.string().min(2).optional().describe('r1: target language of the chain of thought.'),
          generalPerTopic: R1EvalSchema.shape.generalPerTopic.optional(),
        }),
      ])
      .describe('Task and evaluation overrides (unset: as recorded in the base model).'),
    r1Zero: R1ZeroSettingsSchema,
    r1: z
      .strictObject({
        reasoning: ReasoningRlSchema.omit({ grpo: true }).optional(),
        alignment: AlignmentRlSchema.omit({ grpo: true }).optional(),
      })
      .describe('r1 recipe settings that are not trainer settings: training problems and reward weights.'),
  };
}

/** The whole config schema with every section's real schema (for the JSON Schema file, help and docs). */
export const fullConfigSchema = () => createConfigSchema(sectionSchemas());

/** The fully resolved settings a config means, per built-in recipe (what `--print-config` prints). */
export const RECIPE_CONFIG_RESOLVERS: Record<string, (loaded: LoadedConfig) => Promise<unknown>> = {
  'r1-zero': resolveR1ZeroConfig,
  r1: resolveR1Config,
  distill: resolveDistillConfig,
};
