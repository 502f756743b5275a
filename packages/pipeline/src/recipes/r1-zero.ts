/**
 * The `r1-zero` recipe — R1-Zero in miniature (DeepSeek-R1 §2.2; DESIGN.md "The main job"): start from a weak tiny
 * DeepSeek-V3 base model that ships with the repo (assets/r1-zero-base), measure its greedy held-out accuracy on
 * multi-digit addition, train it with GRPO on rule rewards only (accuracy + format, equal weights), measure again,
 * write the HTML report and print accuracy before → after. Each step is a stage (stages.ts): re-running the same
 * command skips finished stages and resumes GRPO from its newest checkpoint; Ctrl-C stops after the current step
 * with a checkpoint. Defaults are calibrated to finish in minutes on 2 CPU cores (see README "Two commands").
 * Config file sections: `grpo` — GRPO settings, the same keys and meaning as `aha train grpo` (GrpoConfig, with this
 * recipe's defaults below); `r1Zero` — the recipe's own settings (trainProblems, evalEvery); `eval` — task overrides.
 * Leaves out: the R1 cold-start / rejection-sampling stages (the `r1` recipe) and a reference model (β = 0).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { latestCheckpoint, loadModel, loadTokenizer, parseTrainConfig } from '@aha/core';
import { additionProblems, GrpoTrainer, verifyAddition } from '@aha/grpo';
import { accuracyReward, formatReward, type RewardLogger, type WeightedReward } from '@aha/rewards';
import { z } from 'zod';
import { configRewards } from '../commands/rewards.js';
import type { LoadedConfig } from '../config/load.js';
import { parseSection, rejectUnusedSections } from '../config/section.js';
import { METRICS_FILE, REPORT_FILE, writeReport } from '../report/write.js';
import { evaluateGreedy } from './base-model/evaluate.js';
import { heldOutProblems, TaskOptionsSchema } from './base-model/pretrain.js';
import { readBaseModelRecord, SHIPPED_BASE_MODEL_DIR, taskWithOverrides } from './base-model/save.js';
import { pct, type RecipeContext, type RecipeResult, withCtrlC } from './context.js';
import {
  type GrpoSection,
  type GrpoSectionInput,
  GrpoSectionSchema,
  grpoSection,
  resolveGrpoSection,
} from './grpo-section.js';
import { defineStage, StageInterruptedError, stageRunner } from './stages.js';

/**
 * The recipe's GRPO defaults, calibrated on the shipped base model to reach ~93% held-out accuracy in 200 steps on 2
 * CPU cores: lr 7e-4 decaying linearly (1e-3 and above collapsed the base), β = 0 (no reference model), G = 8,
 * 32 prompts per step, fully on-policy (one step per rollout, μ = 1, so the ε clip is inactive), temperature 1.
 */
export const R1_ZERO_GRPO_DEFAULTS = {
  maxSteps: 200,
  promptsPerStep: 32,
  groupSize: 8,
  stepsPerRollout: 1,
  numIterations: 1,
  temperature: 1,
  lossType: 'grpo',
  advantageScale: 'std',
  epsilonLow: 0.2,
  epsilonHigh: 0.2,
  beta: 0,
  tisCap: null,
  learningRate: 7e-4,
  lrSchedule: 'linear',
  warmupSteps: 0,
  weightDecay: 0,
  maxGradNorm: 1,
  routingBiasGamma: 0.001,
  checkpointEvery: 5,
  keepCheckpoints: 2,
  rewardWeights: { accuracy: 1, format: 1 },
} satisfies GrpoSectionInput;

/** The `grpo` section of an r1-zero config: @aha/grpo's GrpoConfig (less seed/outputDir) with the recipe's defaults. */
export const R1ZeroGrpoSchema = grpoSection(R1_ZERO_GRPO_DEFAULTS);

/** The `r1Zero` section: the recipe's own settings (not GRPO's). */
export const R1ZeroSettingsSchema = z
  .strictObject({
    trainProblems: z
      .number()
      .int()
      .positive()
      .default(2000)
      .describe('Distinct training problems prompts are drawn from.'),
    evalEvery: z
      .number()
      .int()
      .nonnegative()
      .default(0)
      .describe('Also measure held-out greedy accuracy every N GRPO steps (0: only before and after).'),
  })
  .describe('r1-zero recipe settings that are not GRPO settings.');

/** Task overrides (the `eval` section). */
export const R1ZeroTaskSchema = z
  .strictObject({
    minDigits: z.number().int().min(1).optional().describe('Fewest digits per operand.'),
    maxDigits: z.number().int().min(1).optional().describe('Most digits per operand.'),
    pad: z.boolean().optional().describe('Zero-pad operands to maxDigits in the prompt.'),
    evalSeed: z.number().int().optional().describe('Seed of the held-out evaluation problems.'),
    evalProblems: z.number().int().positive().optional().describe('Held-out problems in the greedy evaluation.'),
    maxNewTokens: z.number().int().positive().optional().describe('Longest completion in tokens.'),
  })
  .describe('Overrides of the task settings recorded in the base model (unset: as recorded in base-model.json).');

/** The recipe's settings in code: task overrides, the GRPO section (as written), and the recipe's own settings. */
export const R1ZeroSchema = z.strictObject({
  task: R1ZeroTaskSchema.default({}),
  grpo: z
    .record(z.string(), z.unknown())
    .default({})
    .describe('GRPO settings as written (checked and defaulted with R1ZeroGrpoSchema).'),
  ...R1ZeroSettingsSchema.shape,
});
export type R1ZeroOptions = z.input<typeof R1ZeroSchema>;

const TaskSchema = TaskOptionsSchema;
type Task = z.infer<typeof TaskSchema>;

const evaluateStage = (name: string) =>
  defineStage({
    name,
    description: 'Greedy held-out accuracy on the addition task.',
    config: TaskSchema,
    async run(input: { modelDir: string }, task: Task) {
      const model = await loadModel(input.modelDir);
      const problems = heldOutProblems(task);
      const r = await evaluateGreedy(model, problems, { maxNewTokens: task.maxNewTokens, keepSamples: 4 });
      return { accuracy: r.accuracy, correct: r.correct, total: r.total, samples: r.samples };
    },
  });

const grpoStageConfig = z.object({
  grpo: GrpoSectionSchema,
  recipe: R1ZeroSettingsSchema,
  task: TaskSchema,
  seed: z.number().int(),
});

/** Hooks the GRPO stage reports through (live progress). */
export interface GrpoHooks {
  onStart?(total: number, firstStep: number): void;
  onStep?(step: number, record: Record<string, unknown>): void;
  /** Told of each failed or timed-out reward sample as it happens (GrpoTrainer's `rewardLogger`). */
  rewardLogger?: RewardLogger;
}

/**
 * The R1-Zero rule rewards (DeepSeek-R1 §2.2.2): accuracy and strict format; GRPO weighs them equally. Accuracy is
 * the task's own check (@aha/grpo `verifyAddition`) on the whole completion, the same rule as the evaluation.
 */
export const r1ZeroRewards = () => [accuracyReward({ verify: verifyAddition, answerOnly: false }), formatReward()];

const grpoStage = (hooks: GrpoHooks, rewards?: readonly WeightedReward[]) =>
  defineStage({
    name: 'grpo',
    description: 'GRPO (GrpoTrainer) on accuracy + format rewards, from the base model.',
    config: grpoStageConfig,
    async run(input: { modelDir: string }, { grpo, recipe, task, seed }, ctx) {
      const t0 = performance.now();
      const model = await loadModel(input.modelDir);
      const tokenizer = await loadTokenizer(input.modelDir);
      const dataset = additionProblems({
        count: recipe.trainProblems,
        seed,
        split: 'train',
        minDigits: task.minDigits,
        maxDigits: task.maxDigits,
        pad: task.pad,
      }).map((p) => ({ prompt: p.prompt, solution: p.solution }));
      const evalSet = heldOutProblems(task);
      const resumeFrom = await latestCheckpoint(join(ctx.workDir, 'checkpoints'));
      hooks.onStart?.(grpo.maxSteps, resumeFrom ? Number(/(\d+)$/.exec(resumeFrom)?.[1] ?? 0) : 0);
      const trainer = new GrpoTrainer({
        ...grpo,
        model,
        tokenizer,
        dataset,
        // The config's `rewards` with their own weights, else accuracy + format weighted by the section's rewardWeights.
        ...(rewards
          ? {
              rewards: rewards.map((r) => r.reward),
              rewardWeights: Object.fromEntries(rewards.map((r) => [r.reward.name, r.weight ?? 1])),
            }
          : { rewards: r1ZeroRewards() }),
        seed,
        outputDir: ctx.workDir,
        signal: ctx.signal,
        onEvent: (e) => ctx.log?.(e.message),
        rewardLogger: hooks.rewardLogger,
      });
      let lastStep = 0;
      for await (const m of trainer.train()) {
        lastStep = m.step;
        const record: Record<string, unknown> = { ...m };
        if (recipe.evalEvery > 0 && m.step % recipe.evalEvery === 0 && m.step < grpo.maxSteps) {
          const r = await evaluateGreedy(model, evalSet, { maxNewTokens: task.maxNewTokens, keepSamples: 0 });
          record.heldout_accuracy = r.accuracy;
          ctx.log?.(`step ${m.step}: held-out greedy accuracy ${pct(r.accuracy)}`);
        }
        hooks.onStep?.(m.step, record);
      }
      const finalDir = join(ctx.workDir, 'final');
      if (!ctx.signal.aborted) {
        await rm(finalDir, { recursive: true, force: true });
        await model.save(finalDir, { dtype: 'F32' });
        await tokenizer.save(finalDir);
      }
      return { modelDir: finalDir, steps: lastStep, seconds: (performance.now() - t0) / 1000 };
    },
  });

const reportStage = defineStage({
  name: 'report',
  description: 'HTML report of the GRPO metrics.',
  config: z.object({ title: z.string() }),
  async run(input: { before: number; after: number; grpoSteps: number }, config, ctx) {
    // GrpoTrainer writes its metrics beside its checkpoints; the report goes to the run folder, with the held-out
    // greedy accuracy before and after training as its own chart (the metrics' accuracy is of sampled rollouts).
    const r = writeReport(join(ctx.runDir, 'grpo', METRICS_FILE), join(ctx.runDir, REPORT_FILE), {
      title: config.title,
      heldOut: [
        { step: 0, accuracy: input.before },
        { step: input.grpoSteps, accuracy: input.after },
      ],
    });
    return { file: r.file, steps: r.steps };
  },
});

/** What `runR1Zero` returns. */
export interface R1ZeroResult extends RecipeResult {
  runDir: string;
  accuracyBefore?: number;
  accuracyAfter?: number;
  report?: string;
  interrupted?: boolean;
  seconds: number;
}

/**
 * What sets a recipe built on these stages apart from r1-zero: its GRPO defaults, its default base model and the
 * report's title. The `aha-moment` recipe is r1-zero with another variant (same stages, same rewards).
 */
export interface R1ZeroVariant {
  /** The `grpo` section schema with the variant's defaults. */
  grpoSchema: typeof R1ZeroGrpoSchema;
  /** Base model folder when none is given. */
  baseModelDir: string;
  /** The report's title from the held-out accuracy before and after, as percentages. */
  title(before: string, after: string): string;
}

/** The r1-zero recipe itself. */
export const R1_ZERO_VARIANT: R1ZeroVariant = {
  grpoSchema: R1ZeroGrpoSchema,
  baseModelDir: SHIPPED_BASE_MODEL_DIR,
  title: (before, after) => `aha R1-Zero in miniature: held-out greedy accuracy ${before} → ${after}`,
};

/** Options of {@link runR1Zero} besides the recipe config. */
export interface RunR1ZeroOptions {
  /** Base model folder (HF layout + base-model.json); default the shipped one. */
  baseModel?: string;
  runDir: string;
  seed?: number;
  signal?: AbortSignal;
  log?: (message: string) => void;
  hooks?: GrpoHooks;
  /** The GRPO rewards for the run's task (default: accuracy + format, weight 1 each); called before any stage runs. */
  rewards?: (task: Task) => Promise<readonly WeightedReward[] | undefined>;
  /**
   * What identifies those rewards in the GRPO stage's record (the config's `rewards` entries: names, modules,
   * options, weights), so a rerun with other rewards trains again instead of skipping the finished stage. Default:
   * the rewards' names and weights.
   */
  rewardsId?: unknown;
}

/**
 * Runs the recipe's stages in order (evaluate base → GRPO → evaluate final → report) in `runDir`.
 * Returns `interrupted: true` when `signal` stopped GRPO (run again to resume).
 */
export async function runR1Zero(
  options: R1ZeroOptions,
  run: RunR1ZeroOptions,
  variant: R1ZeroVariant = R1_ZERO_VARIANT,
): Promise<R1ZeroResult> {
  const t0 = performance.now();
  const o = parseTrainConfig(R1ZeroSchema, options, 'runR1Zero');
  const log = run.log ?? (() => {});
  const signal = run.signal ?? new AbortController().signal;
  const baseDir = run.baseModel ?? variant.baseModelDir;
  const record = await readBaseModelRecord(baseDir);
  const task = taskWithOverrides(record.task, o.task);
  const grpoSettings = resolveGrpoSection(variant.grpoSchema, o.grpo, task);
  const recipe = { trainProblems: o.trainProblems, evalEvery: o.evalEvery };
  const seed = run.seed ?? 0;
  const rewards = await run.rewards?.(task);
  const stage = stageRunner(run.runDir, { signal, log });
  try {
    log(`base model ${baseDir} (recorded held-out accuracy ${pct(record.heldOutAccuracy)})`);
    const before = await stage(evaluateStage('evaluate-base'), { modelDir: baseDir }, task);
    log(`held-out greedy accuracy before GRPO: ${pct(before.accuracy)} (${before.correct}/${before.total})`);
    const rewardsId = run.rewardsId ?? rewards?.map((r) => [r.reward.name, r.weight ?? 1]);
    const grpo = await stage(
      grpoStage(run.hooks ?? {}, rewards),
      rewardsId === undefined ? { modelDir: baseDir } : { modelDir: baseDir, rewards: rewardsId },
      { grpo: grpoSettings, recipe, task, seed },
    );
    const after = await stage(evaluateStage('evaluate-final'), { modelDir: grpo.modelDir }, task);
    const report = await stage(
      reportStage,
      { before: before.accuracy, after: after.accuracy, grpoSteps: grpo.steps },
      { title: variant.title(pct(before.accuracy), pct(after.accuracy)) },
    );
    return {
      runDir: run.runDir,
      finalModel: grpo.modelDir,
      grpoSteps: grpo.steps,
      grpoSeconds: Math.round(grpo.seconds),
      seconds: Math.round((performance.now() - t0) / 1000),
      accuracyBefore: before.accuracy,
      accuracyAfter: after.accuracy,
      report: report.file,
    };
  } catch (err) {
    if (err instanceof StageInterruptedError) {
      log(`${err.message}`);
      return { runDir: run.runDir, interrupted: true, seconds: Math.round((performance.now() - t0) / 1000) };
    }
    throw err;
  }
}

/** The recipe's options from a config file's `eval` (task), `grpo` and `r1Zero` sections, each checked key by key. */
export function r1ZeroOptionsFromConfig(loaded: Pick<LoadedConfig, 'config' | 'source'>): R1ZeroOptions {
  rejectUnusedSections(loaded, 'r1-zero', ['grpo', 'r1Zero', 'eval']);
  parseSection(loaded, 'grpo', R1ZeroGrpoSchema);
  return {
    task: parseSection(loaded, 'eval', R1ZeroTaskSchema),
    grpo: (loaded.config.grpo ?? {}) as Record<string, unknown>,
    ...parseSection(loaded, 'r1Zero', R1ZeroSettingsSchema),
  };
}

/** The fully resolved settings a config file means for r1-zero (what `--print-config` shows). */
export async function resolveR1ZeroConfig(
  loaded: Pick<LoadedConfig, 'config' | 'source'>,
): Promise<{ task: Record<string, unknown>; grpo: GrpoSection; r1Zero: z.output<typeof R1ZeroSettingsSchema> }> {
  const o = R1ZeroSchema.parse(r1ZeroOptionsFromConfig(loaded));
  const { config } = loaded;
  const record = await readBaseModelRecord(config.model === 'tiny' ? SHIPPED_BASE_MODEL_DIR : config.model);
  const task = taskWithOverrides(record.task, o.task);
  return {
    task,
    grpo: resolveGrpoSection(R1ZeroGrpoSchema, o.grpo, task),
    r1Zero: { trainProblems: o.trainProblems, evalEvery: o.evalEvery },
  };
}

/**
 * The run options a CLI handler of r1-zero (or a variant of it, such as aha-moment) passes: the config's base model,
 * folder, seed and rewards, with progress on the context's display.
 */
export function r1ZeroCliRunOptions(input: LoadedConfig, ctx: RecipeContext, signal: AbortSignal): RunR1ZeroOptions {
  const { config } = input;
  return {
    baseModel: config.model === 'tiny' ? undefined : config.model,
    runDir: config.outputDir,
    seed: config.seed,
    signal,
    log: ctx.log,
    rewards: (task) => configRewards(input, { task: 'addition', maxNewTokens: task.maxNewTokens }),
    rewardsId: config.rewards.length > 0 ? config.rewards : undefined,
    hooks: {
      onStart: (total, first) => {
        ctx.progress.start(total, 'grpo');
        if (first > 0) ctx.progress.update(first);
      },
      onStep: (step, record) => ctx.progress.update(step, record),
      rewardLogger: ctx.progress.rewardLogger?.(),
    },
  };
}

/** The CLI handler: `aha run r1-zero` (the `npm start` entry). Ctrl-C stops after the current step. */
export async function r1ZeroRecipe(input: LoadedConfig, ctx: RecipeContext): Promise<R1ZeroResult> {
  const { config } = input;
  const options = r1ZeroOptionsFromConfig(input);
  return withCtrlC(ctx, async (signal) => {
    const result = await runR1Zero(options, r1ZeroCliRunOptions(input, ctx, signal));
    ctx.progress.stop();
    if (result.interrupted) {
      ctx.log(`stopped; run the same command again to resume from ${config.outputDir}`);
    } else if (result.accuracyBefore !== undefined && result.accuracyAfter !== undefined) {
      ctx.log(
        `held-out greedy accuracy: ${pct(result.accuracyBefore)} → ${pct(result.accuracyAfter)} ` +
          `(${result.grpoSteps} GRPO steps; ${Math.round(result.seconds)} s in this run)`,
      );
      ctx.log(`report: ${result.report}`);
    }
    return result;
  });
}
