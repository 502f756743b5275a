/**
 * `aha train grpo`: one GRPO stage (DeepSeek-R1 §2.2; @aha/grpo's GrpoTrainer) from a config file — the model
 * (`model`: a folder or the `tiny` preset), the data (`grpo.dataset`: a JSONL/Parquet file with a `prompt` column, or
 * `grpo.task`: a built-in task), the rewards (`rewards`: built-in names and plugin modules, weighted) and every GRPO
 * hyper-parameter of `GrpoConfigSchema` in the `grpo` section. Writes `metrics.jsonl` and checkpoints into
 * `outputDir`, resumes from the newest checkpoint when run again, stops after the current step on Ctrl-C (with a
 * checkpoint), saves the final model to `<outputDir>/final` and writes `report.html`.
 * Leaves out: evaluation during training (run `aha eval` on a checkpoint folder) and reference models other than the
 * starting policy.
 */
import { join, resolve } from 'node:path';
import { DatasetRecordError, type DatasetRow, GOLD_FORMATS, GrpoTrainer, loadDataset, r1ZeroTemplate } from '@aha/grpo';
import { z } from 'zod';
import type { CommandContext, CommandInput, CommandResult } from '../cli/registry.js';
import { ConfigError } from '../config/errors.js';
import type { LoadedConfig } from '../config/load.js';
import { type GrpoSection, GrpoSectionSchema, resolveGrpoSection } from '../recipes/grpo-section.js';
import { REPORT_FILE, writeReport } from '../report/write.js';
import {
  additionTaskOf,
  configPath,
  interruptedRun,
  loadModelAndTokenizer,
  parseSection,
  resolveModelDir,
  saveFinalModel,
  TASKS,
  taskTrainRows,
  withCtrlC,
} from './common.js';
import { attachLora, loraSectionShape, saveLoraResult, sectionWithFlags } from './lora.js';
import { DEFAULT_REWARDS, rejectSectionWeights, resolveRewards } from './rewards.js';

/** The `grpo` section of a `train grpo` config: where the prompts come from, plus every GrpoConfig field. */
export const TrainGrpoSchema = z
  .strictObject({
    ...GrpoSectionSchema.shape,
    dataset: z
      .string()
      .min(1)
      .optional()
      .describe('JSONL (or Parquet) file of rows with a `prompt` column (and `solution` for accuracy).'),
    columns: z
      .strictObject({
        prompt: z.string().min(1).optional().describe('Column read as the prompt.'),
        solution: z.string().min(1).optional().describe('Column read as the gold answer.'),
      })
      .optional()
      .describe('Source column names when the file does not use prompt / solution.'),
    goldFormat: z
      .enum(GOLD_FORMATS)
      .default('raw')
      .describe(
        "How the gold answer is read from the solution column: 'raw' as written, 'gsm8k' after the final '####', " +
          "'math' the last \\boxed{}.",
      ),
    ...loraSectionShape,
    task: z
      .enum(TASKS)
      .optional()
      .describe('A built-in task instead of a dataset: addition (the r1-zero task, as recorded in the model).'),
    trainProblems: z
      .number()
      .int()
      .positive()
      .default(2000)
      .describe('With `task`: distinct training problems prompts are drawn from.'),
    template: z
      .enum(['none', 'r1-zero'])
      .default('none')
      .describe("How prompts are rendered: 'none' = as written; 'r1-zero' = the R1-Zero instruction template."),
  })
  .describe('`aha train grpo` settings: the data and the GRPO hyper-parameters (GrpoConfigSchema).');
export type TrainGrpoSettings = z.output<typeof TrainGrpoSchema>;

const DATA_KEYS = ['dataset', 'columns', 'goldFormat', 'lora', 'merge', 'task', 'trainProblems', 'template'] as const;

/**
 * The GRPO settings a `train grpo` config means: the `grpo` section less its data keys, with GrpoConfig's defaults
 * and the task's answer length as `maxCompletionLength` when the section leaves it unset (the same rule as the
 * recipes, so the same section means the same thing in `aha run` and here).
 */
export function resolveTrainGrpo(
  loaded: Pick<LoadedConfig, 'config' | 'source'>,
  task: { maxNewTokens?: number } = {},
): { settings: TrainGrpoSettings; grpo: GrpoSection } {
  const settings = parseSection(loaded, 'grpo', TrainGrpoSchema);
  const raw = { ...((loaded.config.grpo ?? {}) as Record<string, unknown>) };
  for (const k of DATA_KEYS) delete raw[k];
  return { settings, grpo: resolveGrpoSection(GrpoSectionSchema, raw, task) };
}

/** The handler of `aha train grpo`. */
export async function trainGrpoCommand(
  { config: fromFile, options = {} }: CommandInput,
  ctx: CommandContext,
): Promise<CommandResult> {
  // --dataset / --lora / --merge override the section's keys; the section schema then checks them like the file's.
  const grpoSection = sectionWithFlags(fromFile.config.grpo, options, (p) => resolve(ctx.cwd, p));
  const loaded = { ...fromFile, config: { ...fromFile.config, grpo: grpoSection } };
  const { config } = loaded;
  const { settings } = resolveTrainGrpo(loaded);
  if (settings.dataset !== undefined && settings.task !== undefined) {
    throw new ConfigError(loaded.source, ['grpo: give either `dataset` (a file) or `task` (built-in), not both']);
  }
  if (settings.merge && !settings.lora) throw new ConfigError(loaded.source, ['grpo.merge: set only with `lora`']);
  const modelDir = resolveModelDir(config.model, loaded.source);
  const task = settings.dataset === undefined ? (settings.task ?? 'addition') : undefined;
  const taskOptions = task ? await additionTaskOf(modelDir) : undefined;
  // The paper's 32,768-token default is meaningless for a task whose answers take a few dozen tokens.
  const { grpo } = resolveTrainGrpo(loaded, { maxNewTokens: taskOptions?.maxNewTokens });
  rejectSectionWeights(loaded);
  const rewards = await resolveRewards(
    config.rewards.length ? config.rewards : DEFAULT_REWARDS,
    {
      task,
      maxNewTokens: grpo.maxCompletionLength,
    },
    loaded.source,
  );
  let dataset: DatasetRow[];
  if (settings.dataset !== undefined) {
    const file = configPath(loaded, settings.dataset);
    dataset = await loadDataset(file, { columns: settings.columns, goldFormat: settings.goldFormat }).catch(
      (err: unknown) => {
        // A bad record is a usage error (exit 2) naming file, line/row and column, like a bad config key.
        if (err instanceof DatasetRecordError) throw new ConfigError(loaded.source, [`grpo.dataset: ${err.message}`]);
        throw err;
      },
    );
    if (dataset.length === 0) throw new ConfigError(loaded.source, [`grpo.dataset: ${file} has no rows`]);
  } else {
    dataset = taskTrainRows(taskOptions!, settings.trainProblems, config.seed).map((p) => ({
      prompt: p.prompt,
      solution: p.solution,
    }));
  }
  const { model, tokenizer } = await loadModelAndTokenizer(modelDir);
  const adapted = settings.lora ? attachLora(model, settings.lora, config.seed) : undefined;
  const { template } = settings;
  const runDir = config.outputDir;
  const t0 = performance.now();
  return withCtrlC(ctx, async (signal) => {
    const trainer = new GrpoTrainer({
      ...grpo,
      model,
      tokenizer,
      dataset,
      rewards: rewards.map((r) => r.reward),
      // The entries' own weights; without a `rewards` list, the default rewards take the section's rewardWeights.
      rewardWeights: config.rewards.length
        ? Object.fromEntries(rewards.map((r) => [r.reward.name, r.weight]))
        : grpo.rewardWeights,
      chatTemplate: template === 'r1-zero' ? r1ZeroTemplate : undefined,
      seed: config.seed,
      outputDir: runDir,
      signal,
      onEvent: (e) => ctx.log(e.message),
      rewardLogger: ctx.progress.rewardLogger?.(),
    });
    ctx.log(`GRPO on ${task ? `the ${task} task` : settings.dataset} from ${modelDir} into ${runDir}`);
    if (adapted) ctx.log(`LoRA r=${settings.lora!.r} on ${adapted.length} modules; only the adapters train`);
    let started = false;
    let last: { step: number; accuracy?: number; reward: { mean: number } } | undefined;
    for await (const m of trainer.train()) {
      if (!started) {
        ctx.progress.start(grpo.maxSteps, 'grpo');
        started = true;
      }
      last = m;
      ctx.progress.update(m.step, { ...m } as Record<string, unknown>);
    }
    ctx.progress.stop();
    const seconds = Math.round((performance.now() - t0) / 1000);
    if (signal.aborted) return interruptedRun(ctx, runDir, last?.step, seconds);
    const saved = settings.lora
      ? await saveLoraResult(runDir, model, tokenizer, { merge: settings.merge, baseModel: modelDir })
      : { finalModel: await saveFinalModel(runDir, model, tokenizer) };
    const report = writeReport(runDir, join(runDir, REPORT_FILE), { title: 'aha train grpo' });
    ctx.log(`${Object.values(saved).join(', ')}; report: ${report.file}`);
    return {
      runDir,
      ...saved,
      steps: grpo.maxSteps,
      lastStep: last ? last.step : 0,
      rewardMean: last?.reward.mean,
      accuracy: last?.accuracy,
      report: report.file,
      seconds,
    };
  });
}
