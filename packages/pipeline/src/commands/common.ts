import { resolve } from 'node:path';
import { type HfTokenizer, loadModel, loadTokenizer, type Model, type Tokenizer } from '@aha/core';
import { readJsonl } from '@aha/distill';
import { type AdditionProblem, additionProblems } from '@aha/grpo';
import { z } from 'zod';
import type { CommandContext } from '../cli/registry.js';
import { ConfigError } from '../config/errors.js';
import type { LoadedConfig } from '../config/load.js';
import { heldOutProblems, type TaskOptions } from '../recipes/base-model/pretrain.js';

/** Loads model and tokenizer of a folder (HF layout: config.json, *.safetensors, tokenizer.json). */
export async function loadModelAndTokenizer(
  dir: string,
): Promise<{ model: Model; tokenizer: Tokenizer & Pick<HfTokenizer, 'save'> }> {
  const [model, tokenizer] = await Promise.all([loadModel(dir), loadTokenizer(dir)]);
  return { model, tokenizer };
}

// Section checking lives with the config (recipes use it too); re-exported for the commands.
export { parseSection } from '../config/section.js';
// Helpers the recipes share with the commands live with the recipes (recipes never import the CLI's modules).
export {
  additionTaskOf,
  followSteps,
  MODEL_PRESETS,
  recordOfStep,
  resolveModelDir,
  type StepProgress,
  saveFinalModel,
} from '../recipes/helpers.js';

/** A path from a config section, relative to the config file's folder. */
export const configPath = (loaded: LoadedConfig, path: string) => resolve(loaded.baseDir, path);

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
export { pct, withCtrlC } from '../recipes/context.js';

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
