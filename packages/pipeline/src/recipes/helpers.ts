/**
 * Helpers the recipes and the CLI commands share: model presets and folders, a model's addition task, saving the
 * final model, and following a trainer's step reports on a progress display. They live here, beside the recipes,
 * because the CLI calls recipes and recipes never import the CLI's modules.
 * Leaves out: anything that prints (the CLI's progress and report modules do).
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { type StepReport, stepRecord } from '@aha/core';
import { ConfigError } from '../config/errors.js';
import type { StepMetricsRecord } from '../metrics/schema.js';
import type { TaskOptions } from './base-model/pretrain.js';
import { readBaseModelRecord, SHIPPED_BASE_MODEL_DIR, taskWithOverrides } from './base-model/save.js';

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

/** The addition task's settings for a model: as recorded in its base-model.json when it has one, else defaults. */
export async function additionTaskOf(modelDir: string, overrides: Partial<TaskOptions> = {}): Promise<TaskOptions> {
  let recorded: Partial<TaskOptions> = {};
  try {
    recorded = (await readBaseModelRecord(modelDir)).task ?? {};
  } catch {}
  return taskWithOverrides(recorded, overrides);
}

/** The metrics record of a step report: the one the core loop wrote to metrics.jsonl, else the same vocabulary. */
export function recordOfStep(report: StepReport): StepMetricsRecord {
  return (report.record ?? stepRecord(report)) as StepMetricsRecord;
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
