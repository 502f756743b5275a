/**
 * `aha train sft`: supervised fine-tuning (DeepSeek-R1 §2.3.1 cold start, §2.3.3 rejection-sampled SFT, §2.4
 * distilled students; @aha/distill's SftTrainer) of the config's `model` on `sft.dataset`, a JSONL file of
 * `{ prompt, completion }` or `{ messages }` rows. Every `TrainConfigSchema` field may be set in the `sft` section.
 * Writes `metrics.jsonl` and checkpoints into `outputDir` (resumed when run again; Ctrl-C checkpoints), the final
 * model to `<outputDir>/final` and `report.html`. Leaves out: a held-out loss (evaluate with `aha eval`).
 */
import { join } from 'node:path';
import { SftRowSchema, SftTrainer, TrainConfigSchema } from '@aha/distill';
import { z } from 'zod';
import type { CommandContext, CommandInput, CommandResult } from '../cli/registry.js';
import { REPORT_FILE, writeReport } from '../report/write.js';
import {
  configPath,
  followSteps,
  interruptedRun,
  loadModelAndTokenizer,
  parseSection,
  readRows,
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
  const t0 = performance.now();
  return withCtrlC(ctx, async (signal) => {
    ctx.log(`SFT on ${rows.length} rows of ${file} from ${modelDir} into ${runDir}`);
    const last = await followSteps(trainer.train({ signal, onEvent: (e) => ctx.log(e.message) }), {
      progress: ctx.progress,
      label: 'sft',
    });
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
