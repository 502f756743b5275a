/**
 * Writes the base model in HF layout plus `base-model.json` (how it was made and its measured held-out accuracy),
 * and reads that record back. The shipped copy lives in packages/pipeline/assets/r1-zero-base/.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createByteLevelTokenizer, deepseekV3ParamCount } from '@aha/core';
import { packagePath } from '../../package-root.js';
import {
  type BaseModelOptions,
  type BaseModelResult,
  makeBaseModel,
  type TaskOptions,
  TaskOptionsSchema,
} from './pretrain.js';

/** Where the shipped base model lives. */
// From the package folder, not this module: dist/ chunks sit at another depth than src/recipes/base-model/.
export const SHIPPED_BASE_MODEL_DIR = `${packagePath('assets', 'r1-zero-base')}/`;

/** Where the base model of the `aha-moment` recipe lives (seen reflection, rarely; see recipes/aha-moment/). */
export const AHA_MOMENT_BASE_MODEL_DIR = `${packagePath('assets', 'aha-moment-base')}/`;

/** What base-model.json says about where a base model comes from. */
export interface BaseModelProvenance {
  description: string;
  command: string;
}

const MAIN_JOB_PROVENANCE: BaseModelProvenance = {
  description:
    'Tiny DeepSeek-V3 (MLA + DeepSeekMoE) pretrained briefly on synthetic addition with column traces, stopped early ' +
    'so held-out greedy accuracy is low: the starting point of the R1-Zero main job.',
  command: 'npx tsx --conditions=source tools/make-base-model.ts',
};

/** Contents of base-model.json. */
export interface BaseModelRecord {
  format: 'aha-base-model-1';
  description: string;
  command: string;
  parameters: number;
  steps: number;
  seconds: number;
  task: TaskOptions;
  options: unknown;
  /** Greedy accuracy on the held-out problems `task.evalSeed` / `task.evalProblems`. */
  heldOutAccuracy: number;
  correct: number;
  total: number;
  earlyStopCurve: [number, number][];
  /** Distinct training traces by kind (plain, corrected mistake, needless re-check); absent in older records. */
  corpus?: BaseModelResult['corpus'];
  samples: BaseModelResult['heldOut']['samples'];
}

/** Makes the base model (see `makeBaseModel`) and writes it to `dir`. */
export async function saveBaseModel(
  dir: string,
  options: BaseModelOptions = {},
  onEval?: (step: number, accuracy: number) => void,
  provenance: BaseModelProvenance = MAIN_JOB_PROVENANCE,
): Promise<BaseModelResult> {
  const result = await makeBaseModel(options, { onEval });
  await result.model.save(dir, { dtype: 'F32' });
  await createByteLevelTokenizer().save(dir);
  const record: BaseModelRecord = {
    format: 'aha-base-model-1',
    description: provenance.description,
    command: provenance.command,
    parameters: deepseekV3ParamCount(result.model.config),
    steps: result.steps,
    seconds: Math.round(result.seconds),
    task: result.options.task,
    options: result.options,
    heldOutAccuracy: result.heldOut.accuracy,
    correct: result.heldOut.correct,
    total: result.heldOut.total,
    earlyStopCurve: result.curve,
    corpus: result.corpus,
    samples: result.heldOut.samples,
  };
  await writeFile(join(dir, 'base-model.json'), `${JSON.stringify(record, null, 2)}\n`);
  return result;
}

/** Reads base-model.json of a base model folder. */
export async function readBaseModelRecord(dir: string): Promise<BaseModelRecord> {
  return JSON.parse(await readFile(join(dir, 'base-model.json'), 'utf8')) as BaseModelRecord;
}

/**
 * A task from what a base model recorded plus the keys of `overrides` that are set: an `undefined` override keeps
 * the recorded value, so defaults of an options schema cannot leak in over the record.
 */
export function taskWithOverrides(recorded: Partial<TaskOptions>, overrides: Partial<TaskOptions>): TaskOptions {
  const set = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return TaskOptionsSchema.parse({ ...recorded, ...set });
}
