/**
 * `aha train pretrain`: pretraining (DeepSeek-V3 §2.2/§4.2 objective; @aha/distill's PretrainTrainer: packed text,
 * next-token + λ·MTP loss, auxiliary-loss-free routing bias, exact resume) of a model on raw text. The model is the
 * config's `model` (a preset or an HF folder), or a fresh DeepSeek-V3 built from `pretrain.modelConfig`; the
 * tokenizer is the model folder's, a folder named by `pretrain.tokenizer`, or `"byte-level"` (the shipped base
 * model's: bytes + <think>/<answer> specials). `pretrain.data` is a text file, a JSONL/Parquet file with a text
 * column, or a folder of them, read with @aha/data's readers (the same files `aha data clean` reads and writes).
 * Writes `metrics.jsonl` and checkpoints into `outputDir` (resumed when run again; Ctrl-C checkpoints), the final
 * model to `<outputDir>/final` and `report.html`. Leaves out: a held-out loss, token-count schedules of λ and γ.
 */
import { join } from 'node:path';
import {
  createByteLevelTokenizer,
  createModel,
  type DeepseekV3ConfigInput,
  type HfTokenizer,
  loadModel,
  loadTokenizer,
  type Model,
  type Tokenizer,
} from '@aha/core';
import { InputOptionsSchema, listInputFiles, readRecords } from '@aha/data';
import { PretrainConfigSchema, PretrainTrainer } from '@aha/distill';
import { z } from 'zod';
import type { CommandContext, CommandInput, CommandResult } from '../cli/registry.js';
import { ConfigError } from '../config/errors.js';
import { REPORT_FILE, writeReport } from '../report/write.js';
import {
  configPath,
  followSteps,
  interruptedRun,
  parseSection,
  resolveModelDir,
  saveFinalModel,
  withCtrlC,
} from './common.js';

/** The `pretrain` section's own keys (beside PretrainTrainer's settings). */
const PretrainDataShape = {
  data: z
    .string()
    .min(1)
    .describe('Text to pretrain on: a .txt/.md file, a JSONL/Parquet file with a text column, or a folder of them.'),
  textColumn: InputOptionsSchema.shape.textColumn.describe('Column of JSONL/Parquet rows holding the text.'),
  textSplit: InputOptionsSchema.shape.textSplit,
  modelConfig: z
    .record(z.string(), z.unknown())
    .optional()
    .describe(
      'A fresh DeepSeek-V3 (config.json keys, e.g. hidden_size, n_routed_experts, num_nextn_predict_layers) ' +
        'initialised with the seed, instead of the top-level `model` (which must then stay unset).',
    ),
  tokenizer: z
    .string()
    .min(1)
    .optional()
    .describe(
      '"byte-level" (bytes + <think>/<answer>, as the shipped base model) or a folder with tokenizer.json; ' +
        "unset: the model folder's tokenizer, or byte-level with modelConfig.",
    ),
};
const OWN_KEYS = Object.keys(PretrainDataShape);

/** The `pretrain` section of a `train pretrain` config: the data, the model source and every pretraining setting. */
export const TrainPretrainSchema = z
  .strictObject({ ...PretrainConfigSchema.shape, ...PretrainDataShape })
  .describe('`aha train pretrain` settings: data, model source, tokenizer and PretrainTrainer settings.');

type SavableTokenizer = Tokenizer & Pick<HfTokenizer, 'save'>;

/** The model and tokenizer a `pretrain` section names (see the file comment). */
async function modelAndTokenizer(
  input: CommandInput['config'],
  section: z.output<typeof TrainPretrainSchema>,
): Promise<{ model: Model; tokenizer: SavableTokenizer; from: string }> {
  const { config, source } = input;
  let model: Model;
  let modelDir: string | undefined;
  let from: string;
  if (section.modelConfig) {
    // The top-level model defaults to the "tiny" preset; any other value next to modelConfig is a contradiction.
    if (config.model !== 'tiny') {
      throw new ConfigError(source, [
        `pretrain.modelConfig: set either it or the top-level "model" (${config.model}), not both`,
      ]);
    }
    model = createModel(section.modelConfig as DeepseekV3ConfigInput, { seed: config.seed });
    from = 'a fresh model (pretrain.modelConfig)';
  } else {
    modelDir = resolveModelDir(config.model, source);
    model = await loadModel(modelDir);
    from = modelDir;
  }
  let tokenizer: SavableTokenizer;
  const name = section.tokenizer ?? modelDir ?? 'byte-level';
  if (name === 'byte-level') tokenizer = createByteLevelTokenizer();
  else {
    const dir = section.tokenizer ? configPath(input, section.tokenizer) : name;
    try {
      tokenizer = await loadTokenizer(dir);
    } catch (err) {
      throw new ConfigError(source, [
        `pretrain.tokenizer: cannot load a tokenizer from ${dir}: ${(err as Error).message}`,
      ]);
    }
  }
  const vocab = (model.config as { vocab_size?: number }).vocab_size;
  if (vocab !== undefined && tokenizer.vocabSize > vocab) {
    throw new ConfigError(source, [
      `pretrain.tokenizer: its vocabulary (${tokenizer.vocabSize}) is larger than the model's vocab_size (${vocab})`,
    ]);
  }
  return { model, tokenizer, from };
}

/** The handler of `aha train pretrain`. */
export async function trainPretrainCommand(
  { config: loaded }: CommandInput,
  ctx: CommandContext,
): Promise<CommandResult> {
  const { config } = loaded;
  const section = parseSection(loaded, 'pretrain', TrainPretrainSchema);
  // The trainer gets the keys as written: mtpWeight / routingBiasGamma set for a model without MTP / MoE are errors
  // there, and defaults filled in here would look set.
  const raw = (config as Record<string, unknown>).pretrain as Record<string, unknown>;
  const trainerKeys = Object.fromEntries(Object.entries(raw).filter(([k]) => !OWN_KEYS.includes(k)));
  const path = configPath(loaded, section.data);
  let files: string[];
  try {
    files = await listInputFiles(path);
  } catch (err) {
    throw new ConfigError(loaded.source, [`pretrain.data: ${(err as Error).message}`]);
  }
  const texts: string[] = [];
  for await (const record of readRecords(files, { textColumn: section.textColumn, textSplit: section.textSplit })) {
    if (record.text.length > 0) texts.push(record.text);
  }
  if (texts.length === 0) throw new ConfigError(loaded.source, [`pretrain.data: ${path} holds no text`]);
  const { model, tokenizer, from } = await modelAndTokenizer(loaded, section);
  const runDir = config.outputDir;
  const trainer = new PretrainTrainer({
    model,
    tokenizer,
    texts,
    config: { ...trainerKeys, seed: config.seed, outputDir: runDir },
  });
  const corpus = await trainer.pack();
  const t0 = performance.now();
  return withCtrlC(ctx, async (signal) => {
    ctx.log(
      `pretraining ${from} on ${texts.length} documents (${corpus.sequences.length} sequences of ` +
        `${trainer.config.seqLength} tokens) from ${path} into ${runDir}`,
    );
    const last = await followSteps(trainer.train({ signal, onEvent: (e) => ctx.log(e.message) }), {
      progress: ctx.progress,
      label: 'pretrain',
    });
    const seconds = Math.round((performance.now() - t0) / 1000);
    if (signal.aborted) return interruptedRun(ctx, runDir, last?.step, seconds);
    const finalDir = await saveFinalModel(runDir, model, tokenizer);
    const report = writeReport(runDir, join(runDir, REPORT_FILE), { title: 'aha train pretrain' });
    return {
      runDir,
      finalModel: finalDir,
      documents: texts.length,
      sequences: corpus.sequences.length,
      lastStep: last?.step ?? 0,
      loss: last?.loss,
      lmLoss: last?.metrics?.lmLoss,
      mtpLoss: last?.metrics?.mtpLoss,
      report: report.file,
      seconds,
    };
  });
}
