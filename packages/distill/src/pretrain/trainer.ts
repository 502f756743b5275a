/**
 * `PretrainTrainer`: pretraining a DeepSeek-V3 (or dense) model on raw text, on @aha/core's `trainLoop`. Texts are
 * packed into fixed-length token sequences (packing.ts); a seeded `DataIterator` serves them, so the data position is
 * the whole task state and resume is exact. The loss is DeepSeek-V3's training objective (report §2.2, §4.2):
 * next-token cross-entropy + λ · the multi-token-prediction loss (depth D = the model's `num_nextn_predict_layers`,
 * averaged over depths by the model) + the optional sequence-wise balance loss (α); after each optimizer step the
 * auxiliary-loss-free routing bias moves by γ (§2.1.2).
 * λ is one number for the run (`mtpWeight`, default 0.3). V3 used 0.3 for the first 10T tokens and 0.1 for the
 * remaining 4.8T, and γ = 0.001 for the first 14.3T tokens then 0: these token-count schedules are left out (a run of
 * aha sees far fewer tokens); set the values per run. Also leaves out: evaluation, batch-size warmup (V3 ramps the
 * batch size from 3072 to 15360 sequences), the `aha train pretrain` CLI.
 */
import {
  ConfigError,
  DataIterator,
  type DataPosition,
  loopConfigOf,
  type Model,
  optimizerFrom,
  parseTrainConfig,
  type StepReport,
  type Tokenizer,
  TrainConfigBaseSchema,
  type TrainEvent,
  type TrainTask,
  trainLoop,
} from '@aha/core';
import { z } from 'zod';
import { collateSequences, type PackedCorpus, type PretrainBatch, packDocumentsAsync } from './packing.js';

export const PretrainConfigSchema = TrainConfigBaseSchema.extend({
  lrSchedule: TrainConfigBaseSchema.shape.lrSchedule.unwrap().default('cosine'),
  batchSize: z.number().int().positive().default(8).describe('Packed sequences per micro-batch.'),
  seqLength: z
    .number()
    .int()
    .min(2)
    .default(1024)
    .describe('Tokens per packed sequence (consecutive sequences share one token, see packing.ts).'),
  shuffle: z.boolean().default(true).describe('Shuffle the sequences each epoch (seeded by seed and the epoch).'),
  mtpWeight: z
    .number()
    .min(0)
    .default(0.3)
    .describe(
      'λ of the MTP loss (V3: 0.3 for the first 10T tokens, then 0.1; no schedule here). Setting it for a model ' +
        'without MTP modules (num_nextn_predict_layers 0) is an error.',
    ),
  routingBiasGamma: z
    .number()
    .nonnegative()
    .nullable()
    .default(null)
    .describe(
      'γ of the auxiliary-loss-free MoE bias update after each step; null: 0.001 (V3) for a model with MoE layers, ' +
        'off for one without. A value > 0 for a model without MoE layers is an error.',
    ),
  balanceAlpha: z
    .number()
    .min(0)
    .default(0)
    .describe('α of the complementary sequence-wise balance loss (V3: 0.0001); 0: off.'),
});
export type PretrainConfig = z.input<typeof PretrainConfigSchema>;
export type ParsedPretrainConfig = z.output<typeof PretrainConfigSchema>;

/** Options of `new PretrainTrainer(...)`. */
export interface PretrainTrainerOptions {
  /** The model to train, in place (each checkpoint of the run is a loadable HF model folder). */
  model: Model;
  tokenizer: Tokenizer;
  /**
   * The documents (cleaned text, e.g. the `text` of @aha/data's output rows), read once by `pack()` / `train()`;
   * an async iterable may stream them from a file.
   */
  texts: Iterable<string> | AsyncIterable<string>;
  config?: PretrainConfig;
}

/** MTP depth D of a model (a dense model has none). */
export function mtpDepth(model: Model): number {
  return (model.config as { num_nextn_predict_layers?: number }).num_nextn_predict_layers ?? 0;
}

/** The training loss of one micro-batch and its terms (`mtpLoss` is null without MTP modules). */
export function pretrainLoss(
  model: Model,
  batch: PretrainBatch,
  options: { mtpWeight: number; balanceAlpha: number },
): ReturnType<Model['loss']> {
  const hasMtp = mtpDepth(model) > 0;
  return model.loss(batch.tokens, {
    attentionMask: batch.attentionMask,
    ...(hasMtp ? { mtpWeight: options.mtpWeight } : {}),
    ...(options.balanceAlpha > 0 ? { balanceAlpha: options.balanceAlpha } : {}),
  });
}

/**
 * Pretraining on the one training loop. `train()` yields one `StepReport` per optimizer step: `loss` is the step's
 * total objective; `metrics.lmLoss` / `metrics.mtpLoss` (and `balanceLoss` when α > 0) are its terms, weighted like
 * the loss (by each micro-batch's share of the step's targets). With `outputDir` it checkpoints and resumes exactly.
 */
export class PretrainTrainer {
  readonly config: ParsedPretrainConfig;
  /** γ used after each step (the resolved `routingBiasGamma`). */
  readonly routingBiasGamma: number;
  /** Set by `pack()` / `train()`. */
  corpus: PackedCorpus | null = null;

  constructor(private readonly options: PretrainTrainerOptions) {
    this.config = parseTrainConfig(PretrainConfigSchema, options.config, 'PretrainTrainer');
    const { model } = options;
    const raw = (options.config ?? {}) as Record<string, unknown>;
    const moe = model.moeLayers().length > 0;
    if (raw.mtpWeight !== undefined && mtpDepth(model) === 0) {
      throw new ConfigError(
        `PretrainTrainer: mtpWeight = ${raw.mtpWeight} but the model has no MTP module (num_nextn_predict_layers 0); ` +
          'drop mtpWeight or add MTP layers to the model config',
      );
    }
    const gamma = this.config.routingBiasGamma;
    if (gamma !== null && gamma > 0 && !moe) {
      throw new ConfigError(
        `PretrainTrainer: routingBiasGamma = ${gamma} but the model has no MoE layer; set it to 0 or leave it unset`,
      );
    }
    this.routingBiasGamma = gamma ?? (moe ? 0.001 : 0);
  }

  /** Packs the texts as training will see them (once: a second call returns the same corpus). */
  async pack(): Promise<PackedCorpus> {
    this.corpus ??= await packDocumentsAsync(this.options.texts, this.options.tokenizer, {
      seqLength: this.config.seqLength,
    });
    return this.corpus;
  }

  /** Optimizer steps of the run: maxSteps, or epochs × micro-batches per epoch / gradAccumulation (rounded up). */
  totalSteps(sequences: number): number {
    const c = this.config;
    if (c.maxSteps !== null) return c.maxSteps;
    return Math.max(1, Math.ceil((c.epochs * Math.ceil(sequences / c.batchSize)) / c.gradAccumulation));
  }

  /** Runs training; aborting `signal` checkpoints after the current step and stops. */
  async *train(
    options: { signal?: AbortSignal; onEvent?: (event: TrainEvent) => void } = {},
  ): AsyncGenerator<StepReport> {
    const { model, tokenizer } = this.options;
    const config = this.config;
    const { sequences } = await this.pack();
    const padId = tokenizer.padTokenId ?? tokenizer.eosTokenId ?? 0;
    let stream = new DataIterator(sequences, { seed: config.seed, shuffle: config.shuffle });
    const totalSteps = this.totalSteps(sequences.length);
    const { optimizer, scheduler } = optimizerFrom(config, model.parameters(), totalSteps);
    const gamma = this.routingBiasGamma;
    type Micro = { batch: PretrainBatch; weight: number; epoch: number };
    const task: TrainTask<Micro> = {
      namedTensors: () => model.stateDict(),
      modelConfig: JSON.parse(JSON.stringify(model.config)),
      optimizer,
      scheduler,
      async nextBatches() {
        const micros = Array.from({ length: config.gradAccumulation }, () => stream.batch(config.batchSize));
        const batches = micros.map((m) => ({ epoch: m.epoch, batch: collateSequences(m.rows, padId) }));
        const total = batches.reduce((s, b) => s + b.batch.targets, 0);
        return batches.map((b) => ({ ...b, weight: b.batch.targets / total }));
      },
      async loss(micro, ctx) {
        const out = pretrainLoss(model, micro.batch, config);
        // The loop averages metrics over micro-batches; scaling by weight × micros makes that the weighted sum.
        const scale = micro.weight * ctx.micros;
        const metrics: Record<string, number> = { lmLoss: out.lmLoss.item() * scale, epoch: micro.epoch };
        if (out.mtpLoss) metrics.mtpLoss = out.mtpLoss.item() * scale;
        if (out.balanceLoss) metrics.balanceLoss = out.balanceLoss.item() * scale;
        return { loss: out.loss, weight: micro.weight, tokens: micro.batch.targets, metrics };
      },
      afterStep() {
        if (gamma > 0) model.updateRoutingBias(gamma);
      },
      stateDict: () => ({ data: stream.position }),
      loadStateDict: (state) => {
        const position = (state as { data: DataPosition }).data;
        stream = new DataIterator(sequences, { seed: config.seed, shuffle: config.shuffle, position });
      },
    };
    yield* trainLoop(task, loopConfigOf(config, totalSteps), { signal: options.signal, onEvent: options.onEvent });
  }
}
