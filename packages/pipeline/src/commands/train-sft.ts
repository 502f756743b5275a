/**
 * `aha train sft`: supervised fine-tuning (DeepSeek-R1 §2.3.1 cold start, §2.3.3 rejection-sampled SFT, §2.4
 * distilled students; @aha/distill's SftTrainer) of the config's `model` on `sft.dataset`, a JSONL file of
 * `{ prompt, completion }` or `{ messages }` rows. Every `TrainConfigSchema` field may be set in the `sft` section.
 * Writes `metrics.jsonl` and checkpoints into `outputDir` (resumed when run again; Ctrl-C checkpoints), the final
 * model to `<outputDir>/final` and `report.html`. Leaves out: a held-out loss (evaluate with `aha eval`).
 */
import { join, resolve } from 'node:path';
import { type SftRow, SftRowSchema, SftTrainer, TrainConfigSchema } from '@aha/distill';
import { DatasetRecordError, loadRecords } from '@aha/grpo';
import { z } from 'zod';
import type { CommandContext, CommandInput, CommandResult } from '../cli/registry.js';
import { ConfigError } from '../config/errors.js';
import { REPORT_FILE, writeReport } from '../report/write.js';
import {
  configPath,
  followSteps,
  interruptedRun,
  loadModelAndTokenizer,
  parseSection,
  resolveModelDir,
  saveFinalModel,
  withCtrlC,
} from './common.js';
import { attachLora, loraSectionShape, saveLoraResult, sectionWithFlags } from './lora.js';

/** Source column names of an SFT file (TRL's names are the defaults). */
const SftColumnsSchema = z
  .strictObject({
    prompt: z.string().min(1).optional().describe('Column read as the prompt.'),
    completion: z.string().min(1).optional().describe('Column read as the completion.'),
    messages: z.string().min(1).optional().describe('Column read as the conversation.'),
  })
  .describe('Source column names when the file does not use prompt / completion / messages.');
export type SftColumns = z.output<typeof SftColumnsSchema>;

/**
 * Reads SFT rows from a JSONL or Parquet file in TRL's layouts: `{ messages }` (conversational), `{ prompt,
 * completion }` (prompt-completion, text or chat), or a preference row `{ prompt, chosen, rejected }` whose `chosen`
 * answer is the completion (SFT on the preferred answers). `columns` renames source columns onto these. A row that
 * fits none is a DatasetRecordError naming the file, line/row and the column.
 */
export async function loadSftRows(file: string, columns: SftColumns = {}): Promise<SftRow[]> {
  const { records, where } = await loadRecords(file);
  const names = { prompt: 'prompt', completion: 'completion', messages: 'messages', ...columns };
  return records.map((rec, k) => {
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) {
      throw new DatasetRecordError(file, where(k), undefined, `expected an object, got ${JSON.stringify(rec)}`);
    }
    const {
      [names.prompt]: prompt,
      [names.completion]: completion,
      [names.messages]: messages,
      ...rest
    } = rec as Record<string, unknown>;
    const row: Record<string, unknown> = { ...rest };
    if (messages !== undefined) row.messages = messages;
    if (prompt !== undefined) row.prompt = prompt;
    if (completion !== undefined) row.completion = completion;
    else if (prompt !== undefined && rest.chosen !== undefined) row.completion = rest.chosen;
    const layout = messages !== undefined ? 'messages' : prompt !== undefined ? 'completion' : undefined;
    if (!layout) {
      const cols = Object.keys(rec).join(', ');
      throw new DatasetRecordError(
        file,
        where(k),
        names.messages,
        `no '${names.messages}' column and no '${names.prompt}' + '${names.completion}' (or 'chosen') columns (columns: ${cols})`,
      );
    }
    const parsed = SftRowSchema.safeParse(row);
    if (!parsed.success) {
      const column =
        layout === 'messages' ? names.messages : row.completion === undefined ? names.completion : undefined;
      const issue = parsed.error.issues[0];
      throw new DatasetRecordError(
        file,
        where(k),
        column,
        z.prettifyError(parsed.error).replace(/\n/g, '; ') || issue.message,
      );
    }
    return parsed.data;
  });
}

/** The `sft` section of a `train sft` config: the data file plus every SFT training setting. */
export const TrainSftSchema = z
  .strictObject({
    ...TrainConfigSchema.shape,
    dataset: z
      .string()
      .min(1)
      .describe('JSONL or Parquet file of { prompt, completion }, { messages } or { prompt, chosen } rows.'),
    columns: SftColumnsSchema.optional(),
    ...loraSectionShape,
  })
  .describe('`aha train sft` settings: the data and the SFT training settings (TrainConfigSchema).');

/** The handler of `aha train sft`. */
export async function trainSftCommand(
  { config: fromFile, options = {} }: CommandInput,
  ctx: CommandContext,
): Promise<CommandResult> {
  // --dataset / --lora / --merge override the section's keys; the section schema then checks them like the file's.
  const sftSection = sectionWithFlags(fromFile.config.sft, options, (p) => resolve(ctx.cwd, p));
  const loaded = { ...fromFile, config: { ...fromFile.config, sft: sftSection } };
  const { config } = loaded;
  const { dataset, columns, lora, merge, ...sft } = parseSection(loaded, 'sft', TrainSftSchema);
  if (merge && !lora) throw new ConfigError(loaded.source, ['sft.merge: set only with `lora`']);
  const modelDir = resolveModelDir(config.model, loaded.source);
  const file = configPath(loaded, dataset);
  const rows = await loadSftRows(file, columns).catch((err: unknown) => {
    // A bad record is a usage error (exit 2) naming file, line/row and column, like a bad config key.
    if (err instanceof DatasetRecordError) throw new ConfigError(loaded.source, [`sft.dataset: ${err.message}`]);
    throw err;
  });
  if (rows.length === 0) throw new ConfigError(loaded.source, [`sft.dataset: ${file} has no rows`]);
  const { model, tokenizer } = await loadModelAndTokenizer(modelDir);
  const adapted = lora ? attachLora(model, lora, config.seed) : undefined;
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
    if (adapted) ctx.log(`LoRA r=${lora!.r} on ${adapted.length} modules; only the adapters train`);
    const last = await followSteps(trainer.train({ signal, onEvent: (e) => ctx.log(e.message) }), {
      progress: ctx.progress,
      label: 'sft',
    });
    const seconds = Math.round((performance.now() - t0) / 1000);
    if (signal.aborted) return interruptedRun(ctx, runDir, last?.step, seconds);
    const saved = lora
      ? await saveLoraResult(runDir, model, tokenizer, { merge, baseModel: modelDir })
      : { finalModel: await saveFinalModel(runDir, model, tokenizer) };
    const report = writeReport(runDir, join(runDir, REPORT_FILE), { title: 'aha train sft' });
    return {
      runDir,
      ...saved,
      examples: rows.length,
      dropped: trainer.dropped,
      lastStep: last?.step ?? 0,
      loss: last?.loss,
      report: report.file,
      seconds,
    };
  });
}
