/**
 * Every config-file section of the built-in recipes and `train` commands with its real schema, for what shows a
 * config rather than runs it: the JSON Schema for editors (`schema/aha-config.schema.json`), `aha run --help`, the
 * generated config reference (docs/config.md) and `aha run <recipe> --print-config` (the fully resolved settings).
 * A section read differently by different recipes (`grpo`: one GRPO section in r1-zero and `aha train grpo`, two in
 * r1) is a union of its shapes here; at run time each recipe checks its own sections strictly (config/section.ts).
 */
import { TrainConfigBaseSchema } from '@aha/core';
import { KdConfigSchema, PretrainConfigSchema, TrainConfigSchema } from '@aha/distill';
import { RewardTrainerConfigSchema } from '@aha/reward-models';
import { z } from 'zod';
import { TrainGrpoSchema } from '../commands/train-grpo.js';
import { TrainPretrainSchema } from '../commands/train-pretrain.js';
import { TrainRmSchema } from '../commands/train-rm.js';
import { TrainSftSchema } from '../commands/train-sft.js';
import { AhaMomentGrpoSchema, AhaMomentSettingsSchema, resolveAhaMomentConfig } from '../recipes/aha-moment/recipe.js';
import { DistillSchema, resolveDistillConfig } from '../recipes/distill/distill.js';
import {
  CorpusSchema,
  FROM_SCRATCH_PRETRAIN_DEFAULTS,
  FromScratchSettingsSchema,
} from '../recipes/from-scratch/recipe.js';
import { GrpoSectionSchema } from '../recipes/grpo-section.js';
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
import { AhaConfig, createConfigSchema, SECTION_KEYS } from './schema.js';

/** The schema of each section, per recipe or command that reads it. */
export function sectionSchemas() {
  return {
    grpo: z
      .union([
        R1ZeroGrpoSchema.describe('r1-zero: GRPO settings (GrpoConfig with the r1-zero defaults).'),
        AhaMomentGrpoSchema.describe('aha-moment: GRPO settings (GrpoConfig with the aha-moment defaults).'),
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
    pretrain: z
      .union([
        TrainPretrainSchema,
        PretrainConfigSchema.strict().describe('from-scratch: PretrainTrainer settings over the recipe defaults.'),
      ])
      .describe('Pretraining settings: `aha train pretrain` (data, model source, PretrainConfig), or from-scratch.'),
    fromScratch: FromScratchSettingsSchema,
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
    ahaMoment: AhaMomentSettingsSchema,
    r1: z
      .strictObject({
        reasoning: ReasoningRlSchema.omit({ grpo: true }).optional(),
        alignment: AlignmentRlSchema.omit({ grpo: true }).optional(),
      })
      .describe('r1 recipe settings that are not trainer settings: training problems and reward weights.'),
  };
}

/** One table of the config reference: where its keys are written, the schema, and default columns to show. */
export interface ConfigReferenceTable {
  title: string;
  /** Where the keys go in a config file. */
  where: string;
  /** Whose keys: the table lists only these (undefined: every key of the first schema). */
  keys?: readonly string[];
  /** One default column per schema (same keys, other defaults), in order. */
  columns: { name: string; schema: z.ZodObject<z.ZodRawShape> }[];
}

const own = (schema: z.ZodObject<z.ZodRawShape>, minus: z.ZodObject<z.ZodRawShape>) =>
  Object.keys(schema.shape).filter((k) => !(k in minus.shape));

/**
 * The tables of docs/config.md: every key of every section once — the training keys all trainers share (with each
 * trainer's and recipe's default), then each trainer's own keys, then the commands' data keys and the recipes' own
 * settings.
 */
export function configReferenceTables(): ConfigReferenceTable[] {
  const grpoCols = [
    { name: 'GrpoConfig (`aha train grpo`)', schema: GrpoSectionSchema },
    { name: 'r1-zero `grpo`', schema: R1ZeroGrpoSchema },
    { name: 'aha-moment `grpo`', schema: AhaMomentGrpoSchema },
    { name: 'r1 `grpo.reasoning`', schema: ReasoningGrpoSchema },
    { name: 'r1 `grpo.alignment`', schema: AlignmentGrpoSchema },
  ];
  const top = AhaConfig as unknown as z.ZodObject<z.ZodRawShape>;
  return [
    {
      title: 'Top level',
      where: 'the top level of the file',
      keys: Object.keys(top.shape).filter((k) => !(SECTION_KEYS as readonly string[]).includes(k)),
      columns: [{ name: 'default', schema: top }],
    },
    {
      title: 'Training keys of every trainer',
      where:
        '`grpo` (and r1 `grpo.reasoning` / `grpo.alignment`), `sft` (and r1 `sft.coldStart.sft` / `rejection.sft`), ' +
        '`rm`, `pretrain`, and the library configs (`new GrpoTrainer`, `SftTrainer`, `KdTrainer`, `RewardModelTrainer`, ' +
        '`PretrainTrainer`). `seed` ' +
        'and `outputDir` are top-level keys of a config file',
      keys: Object.keys(TrainConfigBaseSchema.shape),
      columns: [
        ...grpoCols,
        { name: 'SFT / KD (TrainConfig)', schema: TrainConfigSchema },
        { name: 'r1 cold-start SFT', schema: ColdStartSchema.shape.sft.unwrap() as never },
        { name: 'reward model', schema: RewardTrainerConfigSchema },
        { name: 'pretrain', schema: TrainPretrainSchema },
      ],
    },
    {
      title: 'GRPO',
      where: '`grpo` (r1-zero, `aha train grpo`), `grpo.reasoning` and `grpo.alignment` (r1), `new GrpoTrainer({...})`',
      keys: own(GrpoSectionSchema, TrainConfigBaseSchema),
      columns: grpoCols,
    },
    {
      title: 'SFT and logit distillation',
      where:
        '`sft` (`aha train sft`), r1 `sft.coldStart.sft` / `rejection.sft`, `distill.sft`, `SftTrainer` / `KdTrainer`',
      keys: own(TrainConfigSchema, TrainConfigBaseSchema),
      columns: [{ name: 'default', schema: TrainConfigSchema }],
    },
    {
      title: 'Logit distillation only',
      where: '`new KdTrainer({ config })`',
      keys: own(KdConfigSchema, TrainConfigSchema),
      columns: [{ name: 'default', schema: KdConfigSchema }],
    },
    {
      title: 'Reward models',
      where: '`rm` (`aha train rm`), `new RewardModelTrainer({ config })`',
      keys: own(RewardTrainerConfigSchema, TrainConfigBaseSchema),
      columns: [{ name: 'default', schema: RewardTrainerConfigSchema }],
    },
    {
      title: '`aha train grpo` data',
      where: '`grpo`, beside the GRPO keys',
      keys: own(TrainGrpoSchema, GrpoSectionSchema),
      columns: [{ name: 'default', schema: TrainGrpoSchema }],
    },
    {
      title: '`aha train sft` / `aha train rm` data',
      where: '`sft` / `rm`, beside the training keys',
      keys: ['dataset', 'objective'],
      columns: [
        { name: 'sft', schema: TrainSftSchema },
        { name: 'rm', schema: TrainRmSchema },
      ],
    },
    {
      title: '`aha train pretrain`',
      where: '`pretrain` (`aha train pretrain`), `new PretrainTrainer({ config })` (all but the data and model keys)',
      keys: own(TrainPretrainSchema, TrainConfigBaseSchema),
      columns: [{ name: 'default', schema: TrainPretrainSchema }],
    },
    {
      title: 'from-scratch recipe',
      where:
        '`fromScratch` (its `corpus` key holds the keys of the next table); `pretrain` holds PretrainTrainer keys ' +
        `over the recipe's defaults (${Object.entries(FROM_SCRATCH_PRETRAIN_DEFAULTS)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}), \`grpo\` the r1-zero GRPO keys, \`eval\` the r1-zero task keys`,
      keys: ['modelConfig', 'trainProblems', 'evalEvery'],
      columns: [{ name: 'default', schema: FromScratchSettingsSchema }],
    },
    {
      title: 'from-scratch recipe: corpus',
      where: '`fromScratch.corpus`',
      columns: [{ name: 'default', schema: CorpusSchema }],
    },
    { title: 'r1-zero recipe', where: '`r1Zero`', columns: [{ name: 'default', schema: R1ZeroSettingsSchema }] },
    { title: 'r1-zero task', where: '`eval` (r1-zero)', columns: [{ name: 'default', schema: R1ZeroTaskSchema }] },
    {
      title: 'aha-moment recipe',
      where: '`ahaMoment`',
      columns: [{ name: 'default', schema: AhaMomentSettingsSchema }],
    },
    {
      title: 'r1 recipe: reasoning stage',
      where: '`r1.reasoning`',
      keys: ['trainProblems', 'weights'],
      columns: [{ name: 'default', schema: ReasoningRlSchema }],
    },
    {
      title: 'r1 recipe: alignment stage',
      where: '`r1.alignment`',
      keys: ['generalShare', 'trainProblems', 'weights', 'lengthGuard', 'helpfulnessNormalize', 'risk'],
      columns: [{ name: 'default', schema: AlignmentRlSchema }],
    },
    {
      title: 'r1 recipe: cold start',
      where: '`sft.coldStart` (its `sft` key holds the SFT keys above)',
      keys: ['examples', 'mixedShare', 'mixedWordRate'],
      columns: [{ name: 'default', schema: ColdStartSchema }],
    },
    {
      title: 'r1 recipe: rejection sampling + SFT',
      where: '`rejection` (its `sft` key holds the SFT keys above)',
      keys: own(RejectionSftSchema, z.strictObject({ sft: z.unknown() })),
      columns: [{ name: 'default', schema: RejectionSftSchema }],
    },
    {
      title: 'r1 recipe: reward-model data',
      where: '`rm` (r1), beside the reward-model keys (r1 defaults: 60 steps, batch 16, lr 3e-3, constant)',
      keys: ['pairs', 'safetySamples', 'heldOut'],
      columns: [{ name: 'default', schema: RewardModelsSchema }],
    },
    {
      title: 'r1 recipe: task and evaluation',
      where: '`eval` (r1)',
      columns: [
        {
          name: 'default',
          schema: R1TaskSchema.extend({
            language: z.string().min(2).default('en').describe('Target language of the chain of thought (R1 §2.3.2).'),
            generalPerTopic: R1EvalSchema.shape.generalPerTopic,
          }),
        },
      ],
    },
    { title: 'distill recipe', where: '`distill`', columns: [{ name: 'default', schema: DistillSchema as never }] },
  ];
}

/** The whole config schema with every section's real schema (for the JSON Schema file, help and docs). */
export const fullConfigSchema = () => createConfigSchema(sectionSchemas());

/** The fully resolved settings a config means, per built-in recipe (what `--print-config` prints). */
export const RECIPE_CONFIG_RESOLVERS: Record<string, (loaded: LoadedConfig) => Promise<unknown>> = {
  'r1-zero': resolveR1ZeroConfig,
  'aha-moment': resolveAhaMomentConfig,
  r1: resolveR1Config,
  distill: resolveDistillConfig,
};
