/**
 * `aha train sft`: supervised fine-tuning (DeepSeek-R1 §2.3.1 cold start, §2.3.3 rejection-sampled SFT, §2.4
 * distilled students; @aha/distill's SftTrainer) of the config's `model` on `sft.dataset`, a JSONL file of
 * `{ prompt, completion }` or `{ messages }` rows. Every `TrainConfigSchema` field may be set in the `sft` section.
 * Writes `metrics.jsonl` and checkpoints into `outputDir` (resumed when run again; Ctrl-C checkpoints), the final
 * model to `<outputDir>/final` and `report.html`. Leaves out: a held-out loss (evaluate with `aha eval`).
 */
import { join } from 'node:path';
import { readJsonl, SftRowSchema, SftTrainer, TrainConfigSchema } from '@aha/distill';
import { z } from 'zod';
import type { CommandContext, CommandInput, CommandResult } from '../cli/registry.js';
import { ConfigError } from '../config/errors.js';
import { createMetricsWriter } from '../metrics/jsonl.js';
import { METRICS_FILE, REPORT_FILE, writeReport } from '../report/write.js';
import {
  configPath,
  interruptedRun,
  loadModelAndTokenizer,
  parseSection,
  recordOfStep,
  resolveModelDir,
  saveFinalModel,
  withCtrlC,
} from './common.js';

/** The `sft` section of a `train sft` config: the data file plus every SFT training setting. */
export const TrainSftSchema = z
  .strictObject({
    ...TrainConfigSchema.shape,
    dataset: z.string().min(1).describe('JSONL file of { prompt, completion } or { messages } rows.'),
  })
  .describe('`aha train sft` settings: the data and the SFT training settings (TrainConfigSchema).');

/** Reads a JSONL file of rows and checks each with `schema`; a bad row is a config error naming its line. */
export async function readRows<S extends z.ZodType>(
  file: string,
  schema: S,
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
  const problems: string[] = [];
  const out = rows.map((row, i) => {
    const r = schema.safeParse(row);
    if (!r.success) problems.push(`${key}: ${file} line ${i + 1}: ${z.prettifyError(r.error).replace(/\n/g, '; ')}`);
    return r.data as z.output<S>;
  });
  if (problems.length) throw new ConfigError(source, problems.slice(0, 5));
  return out;
}

/** The handler of `aha train sft`. */
export async function trainSftCommand({ config: loaded }: CommandInput, ctx: CommandContext): Promise<CommandResult> {
  const { config } = loaded;
  const { dataset, ...sft } = parseSection(loaded, 'sft', TrainSftSchema);
  const modelDir = resolveModelDir(config.model, loaded.source);
  const file = configPath(loaded, dataset);
  const rows = await readRows(file, SftRowSchema, loaded.source, 'sft.dataset');
  const { model, tokenizer } = await loadModelAndTokenizer(modelDir);
  const runDir = config.outputDir;
  const trainer = new SftTrainer({
    model,
    tokenizer,
    dataset: rows,
    config: { ...sft, seed: config.seed, outputDir: runDir },
  });
  const metrics = createMetricsWriter(join(runDir, METRICS_FILE));
  const t0 = performance.now();
  return withCtrlC(ctx, async (signal) => {
    ctx.log(`SFT on ${rows.length} rows of ${file} from ${modelDir} into ${runDir}`);
    let started = false;
    let last: { step: number; loss: number } | undefined;
    for await (const report of trainer.train({ signal })) {
      if (!started) {
        ctx.progress.start(report.totalSteps, 'sft');
        started = true;
      }
      const record = recordOfStep(report);
      metrics.write(record);
      ctx.progress.update(report.step, record);
      last = report;
    }
    ctx.progress.stop();
    const seconds = Math.round((performance.now() - t0) / 1000);
    if (signal.aborted) return interruptedRun(ctx, runDir, last?.step, seconds);
    const finalDir = await saveFinalModel(runDir, model, tokenizer);
    const report = writeReport(runDir, join(runDir, REPORT_FILE), { title: 'aha train sft' });
    return {
      runDir,
      finalModel: finalDir,
      examples: rows.length,
      dropped: trainer.dropped,
      lastStep: last?.step ?? 0,
      loss: last?.loss,
      report: report.file,
      seconds,
    };
  });
}
