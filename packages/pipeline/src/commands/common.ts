/**
 * What the stage commands (`aha train grpo|sft|rm`, `aha generate`, `aha eval`) and the `distill` recipe share:
 * checking a config section with a zod schema into `ConfigError` lines that name the key (`grpo.groupSize: must be >=
 * 2, got 1`), finding the model folder a config names, built-in tasks, Ctrl-C as an AbortSignal, and turning the
 * core loop's step reports into `metrics.jsonl` records. Leaves out: anything trainer-specific (each command's file).
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import {
  type HfTokenizer,
  loadModel,
  loadTokenizer,
  type Model,
  type StepReport,
  stepRecord,
  type Tokenizer,
} from '@aha/core';
import { readJsonl } from '@aha/distill';
import { z } from 'zod';
import type { CommandContext } from '../cli/registry.js';
import { ConfigError } from '../config/errors.js';
import type { LoadedConfig } from '../config/load.js';
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

// Section checking lives with the config (recipes use it too); re-exported for the commands.
export { parseSection } from '../config/section.js';

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

// Ctrl-C as an AbortSignal, shared with the recipes (which must not import the CLI's modules).
export { withCtrlC } from '../recipes/context.js';

/** The metrics record of a step report: the one the core loop wrote to metrics.jsonl, else the same vocabulary. */
export function recordOfStep(report: StepReport): StepMetricsRecord {
  return (report.record ?? stepRecord(report)) as StepMetricsRecord;
}

export { pct } from '../recipes/context.js';

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
 * Follows a trainer's step reports (SFT, reward model: the core loop's `StepReport`s; the loop itself writes
 * metrics.jsonl): starts `progress` at the first report (its `totalSteps` counts a resumed run's earlier steps too),
 * shows each step's record, stops the display at the end, and returns the last report (undefined when no step ran).
 */
export async function followSteps(
  reports: AsyncIterable<StepReport>,
  opts: { progress?: StepProgress; label: string },
): Promise<StepReport | undefined> {
  let last: StepReport | undefined;
  for await (const report of reports) {
    if (!last) opts.progress?.start(report.totalSteps, opts.label);
    const record = recordOfStep(report);
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
