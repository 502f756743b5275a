/**
 * The top-level run config (`aha.config.json`): which recipe, from which model, into which folder, with which
 * rewards, plus one section per training stage (`grpo`, `sft`, `rm`, `distill`, ...). The `.describe()` texts are
 * the docs, the CLI help and the JSON Schema (`schema/aha-config.schema.json`, written by `npm run schema -w
 * @aha/pipeline`). Stage sections are open records until the stage packages register their own zod schemas with
 * `registerStageSchema`; then the same file is checked key by key. Leaves out: includes/extends between files.
 */
import { z } from 'zod';

/** Stage sections every config may have. Their contents are checked by the schema registered for each. */
export const STAGE_KEYS = ['grpo', 'sft', 'rm', 'distill', 'rejection', 'generate', 'eval', 'pretrain'] as const;
/**
 * Recipe sections: the settings of a recipe that are not a trainer's (how many training problems, how often to
 * evaluate, reward weights), kept apart from the trainer sections so those mean the same thing everywhere.
 */
export const RECIPE_KEYS = ['r1Zero', 'r1', 'fromScratch', 'ahaMoment'] as const;
/** Every section key (stages, then recipes). */
export const SECTION_KEYS = [...STAGE_KEYS, ...RECIPE_KEYS] as const;
export type StageKey = (typeof SECTION_KEYS)[number];

const stageDescriptions: Record<StageKey, string> = {
  r1Zero: 'Settings of the r1-zero recipe that are not GRPO settings: trainProblems, evalEvery.',
  ahaMoment: 'Settings of the aha-moment recipe that are not GRPO settings: trainProblems, evalEvery.',
  r1: 'Settings of the r1 recipe that are not trainer settings: training problems and reward weights per stage.',
  fromScratch: 'Settings of the from-scratch recipe that are not trainer settings: the synthetic corpus and the model.',
  grpo: 'GRPO settings (GrpoConfig of @aha/grpo, the same keys in every recipe and in `aha train grpo`): G, β, ε_low/ε_high, learningRate, maxSteps, ...',
  sft: 'Supervised fine-tuning settings (cold start, rejection-sampled SFT, distillation students).',
  rm: 'Reward-model training settings (pairwise helpfulness, point-wise safety).',
  distill: 'Distillation settings: teacher, student, loss (forward/reverse KL, JSD).',
  rejection: 'Rejection-sampling settings: samples per prompt, filters, how many to keep.',
  generate: 'Generation settings: maxNewTokens, temperature, topP, topK, stop.',
  eval: 'Evaluation settings: dataset, samples per prompt, metrics.',
  pretrain: 'Pretraining settings (`aha train pretrain`): the text, the model source and PretrainTrainer settings.',
};

/** One reward term of r = Σ wᵢ·rᵢ: a built-in reward by name or a module of your own. */
export const RewardSpec = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .optional()
      .describe('A built-in reward: accuracy, format, language, tag_count, length, repetition, overlong.'),
    module: z
      .string()
      .min(1)
      .optional()
      .describe('Path to a module (relative to the config file) exporting a reward made with defineReward.'),
    export: z
      .string()
      .min(1)
      .default('default')
      .describe('Which export of `module` is the reward, or a factory `(options) => Reward` called with `options`.'),
    options: z
      .record(z.string(), z.unknown())
      .optional()
      .describe(
        'Options for a factory export or a built-in reward (e.g. { "maxLength": 400 }); a reward value takes none.',
      ),
    weight: z.number().default(1).describe('Weight wᵢ of this reward in the total r = Σ wᵢ·rᵢ (R1-Zero: 1 each).'),
  })
  .refine((r) => r.name !== undefined || r.module !== undefined, {
    message: 'a reward needs a `name` (built-in) or a `module` (your own)',
  })
  .describe('A reward term: built-in by name or your own module, with its weight.');
export type RewardSpec = z.infer<typeof RewardSpec>;

const openStage = (key: StageKey) =>
  z.record(z.string(), z.unknown()).optional().describe(`${stageDescriptions[key]} Not yet checked key by key.`);

const stageSchemas = new Map<StageKey, z.ZodType>();

/**
 * Registers the zod schema of one stage section, so config files are checked key by key there
 * (`grpo.learningRate: expected number, got "abc"`). Registering again replaces it.
 */
export function registerStageSchema(key: StageKey, schema: z.ZodType): void {
  stageSchemas.set(key, schema);
}

/**
 * Builds the config schema with the stage schemas given (by default, those registered so far); stages without one
 * stay open records.
 */
export function createConfigSchema(stages: Partial<Record<StageKey, z.ZodType>> = Object.fromEntries(stageSchemas)) {
  const stageShape = Object.fromEntries(
    SECTION_KEYS.map((key) => {
      const schema = stages[key];
      return [key, schema ? schema.optional().describe(stageDescriptions[key]) : openStage(key)];
    }),
  ) as Record<StageKey, z.ZodOptional<z.ZodType>>;
  return z
    .strictObject({
      $schema: z.string().optional().describe('Path or URL of this JSON Schema, for editor completion.'),
      recipe: z
        .string()
        .min(1)
        .default('r1-zero')
        .describe('Recipe to run: r1-zero, r1, distill, from-scratch, or a name registered with registerRecipe.'),
      model: z
        .string()
        .min(1)
        .default('tiny')
        .describe('Starting model: a directory in Hugging Face layout (config.json + *.safetensors) or a preset name.'),
      outputDir: z
        .string()
        .min(1)
        .default('runs/latest')
        .describe('Run folder for checkpoints, metrics.jsonl and report.html (relative to the config file).'),
      seed: z.number().int().nonnegative().default(0).describe('Random seed for sampling, data order and init.'),
      rewards: z
        .array(RewardSpec)
        .default([])
        .describe('Reward terms; empty means the recipe default (R1-Zero: accuracy + format, equal weights).'),
      ...stageShape,
    })
    .describe('aha run config: recipe, model, output folder, rewards and per-stage settings.');
}

/** The config schema with open stage sections (what the JSON Schema file describes). */
export const AhaConfig = createConfigSchema({});
export type AhaConfig = z.infer<typeof AhaConfig>;

/** Writes the config schema as JSON Schema (draft 2020-12), input side: fields with defaults are optional. */
export function configJsonSchema(schema: z.ZodType = AhaConfig): Record<string, unknown> {
  return {
    ...(z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>),
    title: 'aha run config',
  };
}
