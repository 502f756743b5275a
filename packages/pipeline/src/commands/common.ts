/**
 * What the stage commands (`aha train grpo|sft|rm`, `aha generate`, `aha eval`) and the `distill` recipe share:
 * checking a config section with a zod schema into `ConfigError` lines that name the key (`grpo.groupSize: must be >=
 * 2, got 1`), finding the model folder a config names, built-in tasks, Ctrl-C as an AbortSignal, and turning the
 * core loop's step reports into `metrics.jsonl` records. Leaves out: anything trainer-specific (each command's file).
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { type HfTokenizer, loadModel, loadTokenizer, type Model, type StepReport, type Tokenizer } from '@aha/core';
import { readJsonl } from '@aha/distill';
import { z } from 'zod';
import type { CommandContext } from '../cli/registry.js';
import { ConfigError } from '../config/errors.js';
import { formatZodIssues } from '../config/format-issues.js';
import type { LoadedConfig } from '../config/load.js';
import type { MetricsWriter } from '../metrics/jsonl.js';
import type { StepMetricsRecord } from '../metrics/schema.js';
import { heldOutProblems, type TaskOptions } from '../recipes/base-model/pretrain.js';
import { readBaseModelRecord, SHIPPED_BASE_MODEL_DIR, taskWithOverrides } from '../recipes/base-model/save.js';
import { type AdditionProblem, additionProblems } from '../recipes/base-model/task.js';

/** Model presets a config may name instead of a folder. */
export const MODEL_PRESETS = { tiny: SHIPPED_BASE_MODEL_DIR } as const;

/**
 * The model folder a config's `model` names: a preset (`tiny` = the shipped R1-Zero base model) or a folder with
 * config.json. Throws a `ConfigError` on `key` otherwise.
 */
export function resolveModelDir(model: string, source: string, key = 'model', baseDir?: string): string {
  if (model in MODEL_PRESETS) return MODEL_PRESETS[model as keyof typeof MODEL_PRESETS];
  const dir = isAbsolute(model) || !baseDir ? model : resolve(baseDir, model);
  if (!existsSync(resolve(dir, 'config.json'))) {
    const presets = Object.keys(MODEL_PRESETS).join(', ');
    throw new ConfigError(source, [
      `${key}: "${model}" is neither a model folder (no config.json in ${dir}) nor a preset (${presets})`,
    ]);
  }
  return dir;
}

/** Loads model and tokenizer of a folder (HF layout: config.json, *.safetensors, tokenizer.json). */
export async function loadModelAndTokenizer(
  dir: string,
): Promise<{ model: Model; tokenizer: Tokenizer & Pick<HfTokenizer, 'save'> }> {
  const [model, tokenizer] = await Promise.all([loadModel(dir), loadTokenizer(dir)]);
  return { model, tokenizer };
}

/**
 * Validates one section of a config (`grpo`, `sft`, ...) with `schema`; every problem becomes a line naming the
 * key inside the section. Keys that belong at the top level of the file are named as such.
 */
export function parseSection<S extends z.ZodType>(
  loaded: LoadedConfig,
  key: string,
  schema: S,
  topLevelKeys: readonly string[] = ['seed', 'outputDir', 'model'],
): z.output<S> {
  const raw = (loaded.config as Record<string, unknown>)[key] ?? {};
  const problems: string[] = [];
  if (typeof raw === 'object' && raw !== null) {
    for (const k of topLevelKeys) {
      if (k in raw) problems.push(`${key}.${k}: set the top-level "${k}" instead`);
    }
  }
  const value =
    typeof raw === 'object' && raw !== null
      ? Object.fromEntries(Object.entries(raw).filter(([k]) => !topLevelKeys.includes(k)))
      : raw;
  const parsed = schema.safeParse(value, { reportInput: true });
  if (!parsed.success) {
    problems.push(...formatZodIssues(parsed.error.issues.map((issue) => ({ ...issue, path: [key, ...issue.path] }))));
  }
  if (problems.length) throw new ConfigError(loaded.source, problems);
  return (parsed as { data: z.output<S> }).data;
}

/** A path from a config section, relative to the config file's folder. */
export const configPath = (loaded: LoadedConfig, path: string) => resolve(loaded.baseDir, path);

/** The addition task's settings for a model: as recorded in its base-model.json when it has one, else defaults. */
export async function additionTaskOf(modelDir: string, overrides: Partial<TaskOptions> = {}): Promise<TaskOptions> {
  let recorded: Partial<TaskOptions> = {};
  try {
    recorded = (await readBaseModelRecord(modelDir)).task ?? {};
  } catch {}
  return taskWithOverrides(recorded, overrides);
}

/** Built-in tasks by name: the compact multi-digit addition of the R1-Zero main job. */
export const TASKS = ['addition'] as const;
export type TaskName = (typeof TASKS)[number];

/** Training problems of a task (the train split; never shares a problem with the held-out set). */
export function taskTrainRows(task: TaskOptions, count: number, seed: number): AdditionProblem[] {
  return additionProblems({
    count,
    seed,
    split: 'train',
    minDigits: task.minDigits,
    maxDigits: task.maxDigits,
    pad: task.pad,
  });
}

/** Held-out problems of a task (the same set the r1-zero recipe measures). */
export const taskHeldOutRows = (task: TaskOptions): AdditionProblem[] => heldOutProblems(task);

/**
 * Runs `fn` with an AbortSignal that the first Ctrl-C aborts (the trainer finishes its step and checkpoints); a
 * second Ctrl-C exits at once with 130, saying which step's checkpoint it abandons. (Under the `aha` binary the
 * signals come from its supervisor, cli/supervise.ts, which also kills a run too blocked to get here.)
 */
export async function withCtrlC<T>(ctx: CommandContext, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) {
      const at = ctx.progress.position?.();
      const step = at ? `${at.label} step ${Math.min(at.step + 1, at.total)}` : 'the step in progress';
      process.stderr.write(
        `second Ctrl-C: exiting without the checkpoint of ${step} (the last checkpoint written is kept; ` +
          'run the same command again to resume from it)\n',
      );
      process.exit(130);
    }
    ctx.log('Ctrl-C: stopping after this step and saving a checkpoint (Ctrl-C again to quit now)');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    return await fn(controller.signal);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** A `metrics.jsonl` record from one step report of the core training loop (SFT, reward models). */
export function recordOfStep(report: StepReport): StepMetricsRecord {
  const tokensPerS = report.tokensPerSecond;
  return {
    ...report.metrics,
    step: report.step,
    time: Date.now(),
    loss: report.loss,
    grad_norm: report.gradNorm,
    lr: report.lr,
    ...(tokensPerS === undefined ? {} : { tokens_per_s: { train: tokensPerS } }),
  } as StepMetricsRecord;
}

/** Share as a percentage with one decimal, for messages. */
export const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** What a training command returns when Ctrl-C stopped it (re-running resumes from the run folder). */
export type InterruptedRun = { runDir: string; interrupted: true; step?: number; seconds: number };

/** Tells the user how to resume and returns the interrupted result. */
export function interruptedRun(
  ctx: CommandContext,
  runDir: string,
  step: number | undefined,
  seconds: number,
): InterruptedRun {
  ctx.log(`stopped at step ${step ?? '?'}; run the same command again to resume from ${runDir}`);
  return { runDir, interrupted: true, step, seconds };
}

/** Saves a trained model (float32) and its tokenizer to `<runDir>/final`, replacing an older one; returns the folder. */
export async function saveFinalModel(
  runDir: string,
  model: { save(dir: string, opts: { dtype: 'F32' }): Promise<void> },
  tokenizer: { save(dir: string): Promise<void> | void },
): Promise<string> {
  const finalDir = join(runDir, 'final');
  await rm(finalDir, { recursive: true, force: true });
  await model.save(finalDir, { dtype: 'F32' });
  await tokenizer.save(finalDir);
  return finalDir;
}

/** The part of a progress display that `followSteps` drives (a `ProgressReporter` has it). */
export interface StepProgress {
  start(total: number, label: string): void;
  update(step: number, record?: object): void;
  stop(): void;
}

/**
 * Follows a trainer's step reports (SFT, reward model: the core loop's `StepReport`s): starts `progress` at the first
 * report (its `totalSteps` counts a resumed run's earlier steps too), writes one metrics.jsonl record per step,
 * stops the display at the end, and returns the last report (undefined when no step ran).
 */
export async function followSteps(
  reports: AsyncIterable<StepReport>,
  opts: { metrics: MetricsWriter; progress?: StepProgress; label: string },
): Promise<StepReport | undefined> {
  let last: StepReport | undefined;
  for await (const report of reports) {
    if (!last) opts.progress?.start(report.totalSteps, opts.label);
    const record = recordOfStep(report);
    opts.metrics.write(record);
    opts.progress?.update(report.step, record);
    last = report;
  }
  opts.progress?.stop();
  return last;
}

/**
 * Reads a JSONL file of rows and checks each with `schema` (or with the schema `schema(firstRow)` picks, for files
 * whose layout the first row tells); a bad row is a config error naming its line. The file is read once.
 */
export async function readRows<S extends z.ZodType>(
  file: string,
  schema: S | ((first: unknown) => S),
  source: string,
  key: string,
): Promise<z.output<S>[]> {
  let rows: unknown[];
  try {
    rows = await readJsonl(file);
  } catch (err) {
    throw new ConfigError(source, [`${key}: ${(err as Error).message}`]);
  }
  if (rows.length === 0) throw new ConfigError(source, [`${key}: ${file} has no rows`]);
  const rowSchema = typeof schema === 'function' ? schema(rows[0]) : schema;
  const problems: string[] = [];
  const out = rows.map((row, i) => {
    const r = rowSchema.safeParse(row);
    if (!r.success) problems.push(`${key}: ${file} line ${i + 1}: ${z.prettifyError(r.error).replace(/\n/g, '; ')}`);
    return r.data as z.output<S>;
  });
  if (problems.length) throw new ConfigError(source, problems.slice(0, 5));
  return out;
}
