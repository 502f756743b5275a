/**
 * `SftTrainer`: supervised fine-tuning of a DeepSeek-V3 model on `{ prompt, completion }` / `{ messages }` rows,
 * on @aha/core's `trainLoop` (DeepSeek-R1 §2.3.1 cold start and §2.3.3 SFT on rejection samples; §2.4 distillation of
 * small dense students is this trainer too). Follows TRL's `SFTTrainer`: chat templates for conversational rows,
 * completion-only loss, packing, mean next-token cross-entropy over the trained tokens.
 * Leaves out: the MTP objective (students are trained on next-token loss only), PEFT/LoRA, evaluation.
 */
import {
  linearCrossEntropy,
  type Model,
  parseTrainConfig,
  type StepReport,
  type Tensor,
  type Tokenizer,
  type TrainEvent,
} from '@aha/core';
import type { z } from 'zod';
import { readJsonl } from '../data/jsonl.js';
import { type LmBatch, type TokenizedExample, tokenizeSftDataset } from '../data/sft-data.js';
import { runLmTraining } from '../lm-task.js';
import { type ParsedTrainConfig, TrainConfigSchema } from '../train-config.js';

/** SFT configuration (see `TrainConfigSchema` for every field). */
export const SftConfigSchema = TrainConfigSchema;
export type SftConfig = z.input<typeof SftConfigSchema>;

/**
 * Mean next-token cross-entropy of a micro-batch over its targets (what SFT minimises), through the LM head fused
 * with the loss (`linearCrossEntropy`): no [B, T, V] logits are held; equal to crossEntropy of `model.forward`.
 */
export function lmLoss(model: Model, batch: LmBatch, ignoreIndex = -100): { loss: Tensor } {
  const hidden = model.forwardHidden(batch.tokens, { attentionMask: batch.attentionMask }); // [B, T, D]
  return { loss: linearCrossEntropy(hidden, model.headWeight, batch.targets, { ignoreIndex }) };
}

/** Resolves a dataset given as rows or as a JSONL path. */
export async function loadRows(dataset: readonly unknown[] | string): Promise<readonly unknown[]> {
  return typeof dataset === 'string' ? readJsonl(dataset) : dataset;
}

/**
 * Parses a trainer config, naming the trainer in the error (strict: an unknown key names the closest valid one).
 */
export function parseConfig<S extends z.ZodType>(schema: S, config: unknown, who: string): z.output<S> {
  return parseTrainConfig(schema, config, who);
}

/** Options of `new SftTrainer(...)`. */
export interface SftTrainerOptions {
  /** The model to train, in place (a checkpoint folder of the run is a loadable HF model folder). */
  model: Model;
  tokenizer: Tokenizer;
  /** Rows, or a JSONL file of rows: `{ prompt, completion }` or `{ messages }`. */
  dataset: readonly unknown[] | string;
  config?: SftConfig;
}

/**
 * Supervised fine-tuning. `train()` yields one `StepReport` per optimizer step (loss = mean token cross-entropy of the
 * step); with `outputDir` it checkpoints and resumes exactly.
 */
export class SftTrainer {
  readonly config: ParsedTrainConfig;
  /** Set by `train()`: examples dropped for having no target token after truncation. */
  dropped = 0;

  constructor(private readonly options: SftTrainerOptions) {
    this.config = parseConfig(SftConfigSchema, options.config, 'SftTrainer');
  }

  /** Tokenizes the dataset as training will see it (before packing). */
  async examples(): Promise<TokenizedExample[]> {
    const rows = await loadRows(this.options.dataset);
    const { examples, dropped } = tokenizeSftDataset(rows, this.options.tokenizer, this.config);
    this.dropped = dropped;
    return examples;
  }

  /** Runs training; aborting `signal` checkpoints after the current step and stops. */
  async *train(
    options: { signal?: AbortSignal; onEvent?: (event: TrainEvent) => void } = {},
  ): AsyncGenerator<StepReport> {
    const { model, tokenizer } = this.options;
    const examples = await this.examples();
    const { reports } = runLmTraining({
      model,
      examples,
      config: this.config,
      padId: tokenizer.padTokenId ?? tokenizer.eosTokenId ?? 0,
      loss: (batch) => ({ loss: lmLoss(model, batch, this.config.ignoreIndex).loss }),
      signal: options.signal,
      onEvent: options.onEvent,
    });
    yield* reports;
  }
}
