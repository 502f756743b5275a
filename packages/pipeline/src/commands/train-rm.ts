/**
 * `aha train rm`: a reward model (DeepSeek-R1 §2.3.4's helpfulness and safety RMs; @aha/reward-models'
 * RewardModelTrainer) from the config's `model` — a causal LM folder gets a fresh value head, a reward-model folder
 * (config.json with `num_labels`) is trained further — on `rm.dataset`: pairwise `{ prompt, chosen, rejected }` rows
 * (Bradley-Terry) or point-wise `{ prompt, response, label }` rows (BCE). `rm.objective` defaults to what the first row
 * looks like. Writes `metrics.jsonl` and checkpoints into `outputDir` (resumed when run again; Ctrl-C checkpoints),
 * the reward model to `<outputDir>/final` (loadable with `loadRewardModel`) and `report.html`, and prints the
 * accuracy on the training rows. Leaves out: a held-out split (pass one to `evaluateRewardModel`).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, DeepseekV3Model, loadModel, loadTokenizer } from '@aha/core';
import {
  evaluateRewardModel,
  LabeledSampleSchema,
  loadRewardModel,
  PreferencePairSchema,
  RewardModel,
  RewardModelTrainer,
  RewardTrainerConfigSchema,
} from '@aha/reward-models';
import { z } from 'zod';
import type { CommandContext, CommandInput, CommandResult } from '../cli/registry.js';
import { REPORT_FILE, writeReport } from '../report/write.js';
import {
  configPath,
  followSteps,
  interruptedRun,
  parseSection,
  readRows,
  resolveModelDir,
  saveFinalModel,
  withCtrlC,
} from './common.js';

/** The `rm` section of a `train rm` config: the data file plus every reward-model training setting. */
export const TrainRmSchema = z
  .strictObject({
    ...RewardTrainerConfigSchema.shape,
    objective: z
      .enum(['pairwise', 'pointwise'])
      .optional()
      .describe('pairwise (chosen/rejected rows) or pointwise (response/label rows); default: from the first row.'),
    dataset: z
      .string()
      .min(1)
      .describe('JSONL file of { prompt, chosen, rejected } (pairwise) or { prompt, response, label } (pointwise).'),
  })
  .describe('`aha train rm` settings: the data and the reward-model training settings (RewardTrainerConfigSchema).');

/** Loads the starting reward model: a reward-model folder as it is, a causal LM folder with a new value head. */
async function startingModel(dir: string, seed: number): Promise<RewardModel> {
  const raw = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  if (raw.num_labels !== undefined) return loadRewardModel(dir);
  const backbone = await loadModel(dir);
  if (!(backbone instanceof DeepseekV3Model)) {
    throw new ConfigError(
      `aha train rm: a reward model starts from a DeepSeek-V3 backbone; ${dir} is ${backbone.config.model_type}`,
    );
  }
  return RewardModel.fromBackbone(backbone, { seed });
}

/** The handler of `aha train rm`. */
export async function trainRmCommand({ config: loaded }: CommandInput, ctx: CommandContext): Promise<CommandResult> {
  const { config } = loaded;
  const { dataset, objective: given, ...settings } = parseSection(loaded, 'rm', TrainRmSchema);
  const modelDir = resolveModelDir(config.model, loaded.source);
  const file = configPath(loaded, dataset);
  // Unset objective: the first row tells (a pair has `chosen`).
  const pairwise = (first: unknown) =>
    given ? given === 'pairwise' : typeof first === 'object' && first !== null && 'chosen' in first;
  const rows = await readRows(
    file,
    (first) => (pairwise(first) ? PreferencePairSchema : LabeledSampleSchema),
    loaded.source,
    'rm.dataset',
  );
  const objective: 'pairwise' | 'pointwise' = pairwise(rows[0]) ? 'pairwise' : 'pointwise';
  const [model, tokenizer] = await Promise.all([startingModel(modelDir, config.seed), loadTokenizer(modelDir)]);
  const runDir = config.outputDir;
  const trainConfig = { ...settings, objective, seed: config.seed, outputDir: runDir };
  const trainer = new RewardModelTrainer({ model, tokenizer, dataset: rows, config: trainConfig });
  const t0 = performance.now();
  return withCtrlC(ctx, async (signal) => {
    ctx.log(`${objective} reward model on ${rows.length} rows of ${file} from ${modelDir} into ${runDir}`);
    const last = await followSteps(trainer.train({ signal, onEvent: (e) => ctx.log(e.message) }), {
      progress: ctx.progress,
      label: 'rm',
    });
    const seconds = Math.round((performance.now() - t0) / 1000);
    if (signal.aborted) return interruptedRun(ctx, runDir, last?.step, seconds);
    const finalDir = await saveFinalModel(runDir, model, tokenizer);
    const evaluation = evaluateRewardModel(model, tokenizer, rows, trainConfig);
    const report = writeReport(runDir, join(runDir, REPORT_FILE), { title: 'aha train rm' });
    return {
      runDir,
      finalModel: finalDir,
      objective,
      examples: rows.length,
      lastStep: last?.step ?? 0,
      loss: last?.loss,
      trainAccuracy: evaluation.accuracy,
      report: report.file,
      seconds,
    };
  });
}
