/**
 * The `distill` recipe — DeepSeek-R1 §2.4 in miniature: a reasoning teacher's correct, readable samples teach a
 * smaller dense student by plain SFT. Stages (stages.ts: a re-run skips finished ones and resumes the interrupted
 * one; Ctrl-C stops after the current step):
 *   1. `teacher`      — the teacher: any model folder (`distill.teacher`), or the base model (`model`, default the
 *                        shipped R1-Zero base) after a short GRPO run (the r1-zero recipe, `teacherGrpoSteps`).
 *   2. `rejection`    — n samples per training problem from the teacher, kept when correct (accuracy = 1) and
 *                        readable (strict <think>/<answer> format), best one per prompt (@aha/distill rejectionSample).
 *   3. `student-sft`  — a fresh dense student (the teacher's DeepSeek-V3 config, smaller, with no MoE layers:
 *                        first_k_dense_replace = num_hidden_layers), SFT'd on the kept samples (SftTrainer).
 *   4. `evaluate`     — greedy held-out accuracy of teacher and student on the same problems as r1-zero.
 * Leaves out: logit distillation (KdTrainer; the paper distils by SFT only) and non-reasoning data.
 */
import { join } from 'node:path';
import { AhaError, createByteLevelTokenizer, createModel, loadModel, loadTokenizer } from '@aha/core';
import { KeepOptionsSchema, rejectionSample, SftTrainer, TrainConfigSchema, writeJsonl } from '@aha/distill';
import { additionProblems } from '@aha/grpo';
import type { WeightedReward } from '@aha/rewards';
import { writeLabelSidecar } from '@aha/safety';
import { z } from 'zod';
import { BUILTIN_REWARDS, configRewards } from '../../commands/rewards.js';
import { ConfigError } from '../../config/errors.js';
import type { LoadedConfig } from '../../config/load.js';
import { parseSection, rejectUnusedSections } from '../../config/section.js';
import { evaluateGreedy } from '../base-model/evaluate.js';
import { heldOutProblems, type TaskOptions, TaskOptionsSchema } from '../base-model/pretrain.js';
import { pct, type RecipeContext, type RecipeResult, withCtrlC } from '../context.js';
import { additionTaskOf, followSteps, resolveModelDir, type StepProgress, saveFinalModel } from '../helpers.js';
import { R1ZeroGrpoSchema, runR1Zero } from '../r1-zero.js';
import { defineStage, StageInterruptedError, stageRunner } from '../stages.js';

/**
 * Every field of `shape` optional and without its default, so only what the user wrote is kept (the recipe's own
 * defaults, or the callee's, apply to the rest; `.partial()` would fill in the schema defaults).
 */
function writtenOnly(shape: Record<string, z.ZodType>) {
  const strip = (field: z.ZodType): z.ZodType =>
    field instanceof z.ZodDefault ? strip(field.def.innerType as z.ZodType) : field;
  return z.strictObject(Object.fromEntries(Object.entries(shape).map(([k, f]) => [k, strip(f).optional()])));
}

/** The student's size; the rest of its config (vocabulary, MLA dims, special tokens) is the teacher's. */
export const StudentSchema = z
  .strictObject({
    hiddenSize: z.number().int().positive().default(64).describe('hidden_size of the student.'),
    layers: z.number().int().positive().default(2).describe('num_hidden_layers; all dense (no MoE layer).'),
    intermediateSize: z.number().int().positive().default(192).describe('intermediate_size of its dense SwiGLU MLPs.'),
    heads: z.number().int().positive().default(4).describe('num_attention_heads (MLA).'),
  })
  .describe('The dense student.');

/** The `distill` section of a config file. */
export const DistillSchema = z
  .strictObject({
    teacher: z
      .string()
      .min(1)
      .optional()
      .describe('Teacher model folder used as it is; unset: the base model (`model`) after a short GRPO run.'),
    teacherGrpoSteps: z
      .number()
      .int()
      .nonnegative()
      .default(30)
      .describe('GRPO steps of the r1-zero recipe that make the teacher from the base model (0: the base as it is).'),
    teacherGrpo: writtenOnly(R1ZeroGrpoSchema.omit({ maxSteps: true }).shape)
      .default({})
      .describe(
        'Other GRPO settings of the teacher run (GrpoConfig with the r1-zero defaults; maxSteps is teacherGrpoSteps).',
      ),
    teacherTrainProblems: z
      .number()
      .int()
      .positive()
      .default(2000)
      .describe('Distinct training problems of the teacher GRPO run.'),
    prompts: z
      .number()
      .int()
      .positive()
      .default(1024)
      .describe('Training problems the teacher answers (about 800 kept with the shipped base + 30 GRPO steps).'),
    samplesPerPrompt: z.number().int().positive().default(4).describe('n — teacher samples per problem.'),
    temperature: z.number().nonnegative().default(0.7).describe('Teacher sampling temperature.'),
    keep: writtenOnly(KeepOptionsSchema.shape)
      .default({})
      .describe(
        'What is kept (minReward, maxPerPrompt, readability filters); default: correct, strict format, 1 per prompt.',
      ),
    student: StudentSchema.default(StudentSchema.parse({})),
    sft: writtenOnly(TrainConfigSchema.omit({ outputDir: true, seed: true }).shape)
      .default({})
      .describe('Student SFT settings (TrainConfigSchema); defaults: lr 3e-3, 20 epochs, batch 16, maxLength 96.'),
    evalProblems: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Held-out problems in the final evaluation (default: as recorded for the base model).'),
  })
  .describe('`distill` recipe settings.');
export type DistillOptions = z.input<typeof DistillSchema>;

/** The student SFT defaults the recipe uses (a tiny model from scratch needs a far larger step than a pretrained one). */
const SFT_DEFAULTS = {
  learningRate: 3e-3,
  epochs: 20,
  batchSize: 16,
  maxLength: 96,
  warmupSteps: 0,
  checkpointEvery: 20,
};

/** The dense student's config: the teacher's with a smaller trunk and every layer dense. */
export function studentConfig(teacher: Record<string, unknown>, s: z.output<typeof StudentSchema>) {
  return {
    ...teacher,
    hidden_size: s.hiddenSize,
    num_hidden_layers: s.layers,
    first_k_dense_replace: s.layers,
    intermediate_size: s.intermediateSize,
    num_attention_heads: s.heads,
    num_key_value_heads: s.heads,
    num_nextn_predict_layers: 0,
  };
}

/**
 * When a stage's output was made. Each stage takes the previous stage's whole output as input, so a stage that runs
 * again (a changed config) changes the input hash of every later one and they run again too; the model paths alone
 * stay the same from run to run.
 */
const stamp = () => new Date().toISOString();

/** What `runDistill` returns. */
export interface DistillResult extends RecipeResult {
  runDir: string;
  teacherModel?: string;
  studentModel?: string;
  kept?: number;
  teacherAccuracy?: number;
  studentAccuracy?: number;
  interrupted?: boolean;
  seconds: number;
}

/** Options of {@link runDistill} besides the recipe config. */
export interface RunDistillOptions {
  /** Base model folder (HF layout; base-model.json gives the task); default the shipped one. */
  baseModel: string;
  runDir: string;
  seed?: number;
  signal?: AbortSignal;
  log?: (message: string) => void;
  /** Live progress of the GRPO and SFT stages. */
  progress?: StepProgress;
  /** Rewards of the teacher's GRPO (default: the r1-zero recipe's accuracy + format). */
  rewards?: readonly WeightedReward[];
}

/** Runs the recipe's stages in `runDir` (see the file comment). */
export async function runDistill(options: DistillOptions, run: RunDistillOptions): Promise<DistillResult> {
  const t0 = performance.now();
  const o = DistillSchema.parse(options);
  const log = run.log ?? (() => {});
  const signal = run.signal ?? new AbortController().signal;
  const seed = run.seed ?? 0;
  const task = await additionTaskOf(run.baseModel, { evalProblems: o.evalProblems });
  const seconds = () => Math.round((performance.now() - t0) / 1000);
  const stage = stageRunner(run.runDir, { signal, log });

  const teacherStage = defineStage({
    name: 'teacher',
    description: 'The teacher: a given folder, or the base model after a short r1-zero GRPO run.',
    config: z.object({
      teacher: z.string().optional(),
      steps: z.number(),
      trainProblems: z.number(),
      grpo: z.record(z.string(), z.unknown()),
    }),
    async run(input: { baseModel: string }, c, ctx) {
      if (c.teacher !== undefined) return { modelDir: c.teacher };
      if (c.steps === 0) return { modelDir: input.baseModel };
      const r = await runR1Zero(
        {
          grpo: { ...c.grpo, maxSteps: c.steps },
          trainProblems: c.trainProblems,
          task: { evalProblems: task.evalProblems },
        },
        {
          baseModel: input.baseModel,
          runDir: ctx.workDir,
          seed,
          signal: ctx.signal,
          log: (m) => log(`teacher: ${m}`),
          rewards: async () => run.rewards,
          hooks: {
            onStart: (total, first) => {
              run.progress?.start(total, 'teacher grpo');
              if (first > 0) run.progress?.update(first);
            },
            onStep: (step, record) => run.progress?.update(step, record),
          },
        },
      );
      run.progress?.stop();
      return { modelDir: (r.finalModel as string | undefined) ?? '', accuracy: r.accuracyAfter, madeAt: stamp() };
    },
  });

  const rejectionStage = defineStage({
    name: 'rejection',
    description: 'Teacher samples on training problems, kept when correct and readable.',
    config: z.object({
      prompts: z.number(),
      n: z.number(),
      temperature: z.number(),
      keep: z.record(z.string(), z.unknown()),
      task: TaskOptionsSchema,
      seed: z.number(),
    }),
    async run(input: { teacherDir: string; teacher: unknown }, c, ctx) {
      const [model, tokenizer] = await Promise.all([loadModel(input.teacherDir), loadTokenizer(input.teacherDir)]);
      const problems = additionProblems({
        count: c.prompts,
        seed: c.seed,
        split: 'train',
        minDigits: c.task.minDigits,
        maxDigits: c.task.maxDigits,
        pad: c.task.pad,
      }).map((p) => ({ prompt: p.prompt, solution: p.solution }));
      const file = join(ctx.workDir, 'kept.jsonl');
      const accuracy = BUILTIN_REWARDS.accuracy({ task: 'addition', maxNewTokens: c.task.maxNewTokens });
      const { samples, stats } = await rejectionSample({
        model,
        tokenizer,
        prompts: problems,
        rewards: [{ reward: accuracy, weight: 1 }],
        n: c.n,
        temperature: c.temperature,
        topP: 1,
        maxNewTokens: c.task.maxNewTokens,
        seed: c.seed,
        batchSize: 32,
        keep: { requireFormat: true, minReward: 1, maxPerPrompt: 1, ...c.keep },
        signal: ctx.signal,
      });
      // Only the columns SFT reads (the reward details stay in the stats).
      await writeJsonl(
        file,
        samples.map((s) => ({ prompt: s.prompt, completion: s.completion, solution: s.solution })),
      );
      await writeLabelSidecar(file, { model: input.teacherDir }); // generated text: its implicit AI label
      return { file, kept: samples.length, generated: stats.generated, rejected: stats.rejected, madeAt: stamp() };
    },
  });

  const studentStage = defineStage({
    name: 'student-sft',
    description: 'A fresh dense student, SFT on the kept samples.',
    config: z.object({ student: StudentSchema, sft: z.record(z.string(), z.unknown()), seed: z.number() }),
    async run(input: { teacherDir: string; data: string; samples: unknown }, c, ctx) {
      const teacher = await loadModel(input.teacherDir);
      const tokenizer = await loadTokenizer(input.teacherDir).catch(() => createByteLevelTokenizer());
      const student = createModel(studentConfig(JSON.parse(JSON.stringify(teacher.config)), c.student), {
        seed: c.seed,
      });
      const trainer = new SftTrainer({
        model: student,
        tokenizer,
        dataset: input.data,
        config: { ...SFT_DEFAULTS, ...c.sft, seed: c.seed, outputDir: ctx.workDir },
      });
      const last = await followSteps(trainer.train({ signal: ctx.signal, onEvent: (e) => log(e.message) }), {
        progress: run.progress,
        label: 'student sft',
      });
      const modelDir = ctx.signal.aborted
        ? join(ctx.workDir, 'final')
        : await saveFinalModel(ctx.workDir, student, tokenizer);
      return { modelDir, steps: last?.step ?? 0, loss: last?.loss ?? null, madeAt: stamp() };
    },
  });

  const evaluateStage = defineStage({
    name: 'evaluate',
    description: 'Greedy held-out accuracy of teacher and student.',
    config: TaskOptionsSchema,
    async run(input: { teacherDir: string; studentDir: string; student: unknown }, t: TaskOptions) {
      const problems = heldOutProblems(t);
      const measure = async (dir: string) =>
        evaluateGreedy(await loadModel(dir), problems, { maxNewTokens: t.maxNewTokens, keepSamples: 2 });
      const teacher = await measure(input.teacherDir);
      const student = await measure(input.studentDir);
      return { teacher: teacher.accuracy, student: student.accuracy, total: problems.length, samples: student.samples };
    },
  });

  try {
    const teacher = await stage(
      teacherStage,
      { baseModel: run.baseModel },
      { teacher: o.teacher, steps: o.teacherGrpoSteps, trainProblems: o.teacherTrainProblems, grpo: o.teacherGrpo },
    );
    log(`teacher: ${teacher.modelDir}`);
    const kept = await stage(
      rejectionStage,
      { teacherDir: teacher.modelDir, teacher },
      { prompts: o.prompts, n: o.samplesPerPrompt, temperature: o.temperature, keep: o.keep, task, seed },
    );
    log(`rejection sampling kept ${kept.kept} of ${kept.generated} samples (${JSON.stringify(kept.rejected)})`);
    if (kept.kept === 0) {
      throw new AhaError(
        'state',
        `distill: rejection sampling kept none of ${kept.generated} teacher samples (rejected: ${JSON.stringify(kept.rejected)}); ` +
          'use a stronger teacher (more teacherGrpoSteps), more samplesPerPrompt, or looser distill.keep settings',
      );
    }
    const student = await stage(
      studentStage,
      { teacherDir: teacher.modelDir, data: kept.file, samples: kept },
      { student: o.student, sft: o.sft, seed },
    );
    const evaluation = await stage(
      evaluateStage,
      { teacherDir: teacher.modelDir, studentDir: student.modelDir, student },
      task,
    );
    log(
      `held-out greedy accuracy: teacher ${pct(evaluation.teacher)}, student ${pct(evaluation.student)} ` +
        `(${evaluation.total} problems)`,
    );
    return {
      runDir: run.runDir,
      teacherModel: teacher.modelDir,
      studentModel: student.modelDir,
      kept: kept.kept,
      generated: kept.generated,
      studentSteps: student.steps,
      teacherAccuracy: evaluation.teacher,
      studentAccuracy: evaluation.student,
      heldOutProblems: evaluation.total,
      seconds: seconds(),
    };
  } catch (err) {
    if (err instanceof StageInterruptedError) {
      log(err.message);
      return { runDir: run.runDir, interrupted: true, seconds: seconds() };
    }
    throw err;
  }
}

/** The recipe's settings from the config's `distill` section (the only section it reads). */
function distillOptionsFromConfig(input: Pick<LoadedConfig, 'config' | 'source'>) {
  rejectUnusedSections(input, 'distill', ['distill']);
  return parseSection(input, 'distill', DistillSchema, ['seed', 'outputDir', 'model']);
}

/** The fully resolved settings a config file means for distill (what `--print-config` shows). */
export async function resolveDistillConfig(input: Pick<LoadedConfig, 'config' | 'source'>) {
  return distillOptionsFromConfig(input);
}

/** The CLI handler: `aha run distill` (settings in the config's `distill` section). */
export async function distillRecipe(input: LoadedConfig, ctx: RecipeContext): Promise<DistillResult> {
  const { config } = input;
  const options = distillOptionsFromConfig(input);
  const teacher =
    options.teacher === undefined
      ? undefined
      : resolveModelDir(options.teacher, input.source, 'distill.teacher', input.baseDir);
  const baseModel = resolveModelDir(config.model, input.source);
  // The config's rewards drive the teacher's GRPO, the only RL here; without one they would be silently unused.
  if (config.rewards.length > 0 && (teacher !== undefined || options.teacherGrpoSteps === 0))
    throw new ConfigError(input.source, [
      'rewards: the distill recipe uses rewards only for the GRPO run that makes its teacher; with distill.teacher set or distill.teacherGrpoSteps 0 there is none',
    ]);
  const rewards = await configRewards(input, {
    task: 'addition',
    maxNewTokens: (await additionTaskOf(baseModel)).maxNewTokens,
  });
  return withCtrlC(ctx, async (signal) => {
    const result = await runDistill(
      { ...options, teacher },
      { baseModel, runDir: config.outputDir, seed: config.seed, signal, log: ctx.log, progress: ctx.progress, rewards },
    );
    if (result.interrupted) ctx.log(`stopped; run the same command again to resume from ${config.outputDir}`);
    return result;
  });
}
