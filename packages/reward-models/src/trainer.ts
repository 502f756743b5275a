/**
 * `RewardModelTrainer`: trains a `RewardModel` on @aha/core's one `trainLoop` (accumulation, clipping, LR schedule,
 * checkpoints with exact resume) by supplying micro-batches and a loss, like TRL's `RewardTrainer`:
 * - objective 'pairwise': preference pairs, Bradley-Terry loss (+ margin, + reward centering), the helpfulness RM of
 *   DeepSeek-R1 §2.3.4;
 * - objective 'pointwise': labelled samples, binary cross-entropy on the value head's logit, the safety RM.
 * Chosen and rejected completions of a micro-batch run as one forward of 2N rows. Data order is @aha/core's one data
 * stream (a seeded shuffle per epoch); its position is the task state, so a resumed run sees exactly the batches it
 * would have seen. The optimizer is `optimizerFrom` (AdamW + schedule).
 * Leaves out: evaluation during training (call `evaluateRewardModel` between runs or on the reports), length grouping.
 */
import {
  DataIterator,
  type DataPosition,
  loopConfigOf,
  narrow,
  noGrad,
  optimizerFrom,
  parseTrainConfig,
  reshape,
  type StepReport,
  type Tensor,
  type Tokenizer,
  TrainConfigBaseSchema,
  type TrainLoopOptions,
  type TrainTask,
  trainLoop,
  ValueError,
} from '@aha/core';
import { z } from 'zod';
import {
  encodeSample,
  type LabeledSample,
  LabeledSampleSchema,
  labelValue,
  type PreferencePair,
  PreferencePairSchema,
  padBatch,
  padIdOf,
} from './data.js';
import { binaryCrossEntropyLoss, bradleyTerryLoss } from './losses.js';
import type { RewardModel } from './model.js';

/**
 * The reward-model trainer's config: @aha/core's base training config (learningRate, lrSchedule, maxSteps, epochs,
 * gradAccumulation, checkpointing, seed, logEvery — one vocabulary for every trainer) with RM defaults, plus the
 * objective's own fields. `maxSteps: null` trains `epochs` passes over the data.
 */
export const RewardTrainerConfigSchema = TrainConfigBaseSchema.extend({
  objective: z
    .enum(['pairwise', 'pointwise'])
    .default('pairwise')
    .describe('pairwise: Bradley-Terry on {prompt, chosen, rejected}; pointwise: BCE on {prompt, response, label}.'),
  maxSteps: TrainConfigBaseSchema.shape.maxSteps.unwrap().default(100),
  batchSize: z.number().int().positive().default(8).describe('Pairs (or samples) per micro-batch.'),
  maxLength: z
    .number()
    .int()
    .positive()
    .nullable()
    .default(null)
    .describe('Keep at most this many tokens per sequence (the end is kept: the last token is scored); null: all.'),
  margin: z.number().default(0).describe('Constant margin m in −log σ(r_c − r_r − m) (pairwise).'),
  useMargin: z
    .boolean()
    .default(false)
    .describe('Use each pair’s `margin` column as m (Llama 2), added to the constant margin (pairwise).'),
  centerRewardsCoefficient: z
    .number()
    .nonnegative()
    .default(0)
    .describe('c of the centering term c · mean((r_c + r_r)²) (TRL center_rewards_coefficient); 0: off.'),
  trainBackbone: z
    .boolean()
    .default(true)
    .describe('Train the backbone with the value head; false trains the value head only (a linear probe).'),
  routingBiasGamma: z
    .number()
    .nonnegative()
    .default(0)
    .describe('γ of the auxiliary-loss-free MoE routing-bias update after each step (DeepSeek-V3 §2.1.2); 0: off.'),
});
export type RewardTrainerConfig = z.input<typeof RewardTrainerConfigSchema>;
type Config = z.output<typeof RewardTrainerConfigSchema>;

/** One encoded row: pairwise rows carry two sequences, point-wise rows one and a target. */
type Encoded = { kind: 'pair'; chosen: number[]; rejected: number[]; margin: number } | LabeledEncoded;
type LabeledEncoded = { kind: 'label'; ids: number[]; target: number };

/** Encodes a data set for `objective`, validating each row. */
function encodeRows(
  rows: readonly unknown[],
  tokenizer: Tokenizer,
  cfg: Pick<Config, 'objective' | 'maxLength' | 'margin' | 'useMargin'>,
): Encoded[] {
  const opts = { maxLength: cfg.maxLength };
  return rows.map((row, i) => {
    if (cfg.objective === 'pairwise') {
      const r = PreferencePairSchema.safeParse(row);
      if (!r.success)
        throw new ValueError(`RewardModelTrainer: row ${i} is not a preference pair: ${r.error.issues[0].message}`);
      const p: PreferencePair = r.data;
      if (cfg.useMargin && p.margin === undefined)
        throw new ValueError(`RewardModelTrainer: useMargin is on but row ${i} has no margin`);
      return {
        kind: 'pair',
        chosen: encodeSample(tokenizer, p.prompt, p.chosen, opts),
        rejected: encodeSample(tokenizer, p.prompt, p.rejected, opts),
        margin: cfg.margin + (cfg.useMargin ? (p.margin ?? 0) : 0),
      };
    }
    const r = LabeledSampleSchema.safeParse(row);
    if (!r.success)
      throw new ValueError(`RewardModelTrainer: row ${i} is not a labelled sample: ${r.error.issues[0].message}`);
    const s: LabeledSample = r.data;
    return { kind: 'label', ids: encodeSample(tokenizer, s.prompt, s.response, opts), target: labelValue(s.label) };
  });
}

/** Loss and metrics of one batch of encoded rows (a forward of the model with grad recording as the caller set). */
function batchLoss(
  model: RewardModel,
  rows: Encoded[],
  padId: number,
  cfg: Config,
): { loss: Tensor; tokens: number; metrics: Record<string, number> } {
  if (cfg.objective === 'pairwise') {
    const pairs = rows as Extract<Encoded, { kind: 'pair' }>[];
    const N = pairs.length;
    const { tokens, attentionMask } = padBatch([...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)], padId);
    const r = reshape(model.forward(tokens, { attentionMask }), [2 * N]); // [2N]
    const out = bradleyTerryLoss(narrow(r, 0, 0, N), narrow(r, 0, N, N), {
      margin: pairs.map((p) => p.margin),
      centerRewardsCoefficient: cfg.centerRewardsCoefficient,
    });
    return {
      loss: out.loss,
      tokens: tokens.length * tokens[0].length,
      metrics: {
        accuracy: out.accuracy,
        margin: out.marginMean,
        'rewards/chosen': out.chosenMean,
        'rewards/rejected': out.rejectedMean,
      },
    };
  }
  const samples = rows as LabeledEncoded[];
  const { tokens, attentionMask } = padBatch(
    samples.map((s) => s.ids),
    padId,
  );
  const out = binaryCrossEntropyLoss(
    model.forward(tokens, { attentionMask }),
    samples.map((s) => s.target),
  );
  return {
    loss: out.loss,
    tokens: tokens.length * tokens[0].length,
    metrics: { accuracy: out.accuracy, probability: out.probabilityMean },
  };
}

/** Options of `new RewardModelTrainer`. */
export interface RewardModelTrainerOptions {
  model: RewardModel;
  tokenizer: Tokenizer;
  /** Preference pairs (pairwise) or labelled samples (pointwise), e.g. from `readJsonl`. */
  dataset: readonly (PreferencePair | LabeledSample)[];
  config?: RewardTrainerConfig;
}

/** Trains a reward model; `train()` yields the core loop's step reports (metrics: accuracy, margin, …). */
export class RewardModelTrainer {
  readonly config: Config;
  readonly model: RewardModel;
  readonly tokenizer: Tokenizer;
  private readonly rows: Encoded[];
  private data: DataIterator<Encoded>;

  constructor(options: RewardModelTrainerOptions) {
    this.config = parseTrainConfig(RewardTrainerConfigSchema, options.config, 'RewardModelTrainer');
    this.model = options.model;
    this.tokenizer = options.tokenizer;
    if (this.config.objective === 'pointwise' && this.model.numLabels !== 1)
      throw new ValueError(
        `RewardModelTrainer: pointwise BCE needs num_labels = 1, the model has ${this.model.numLabels}`,
      );
    if (this.config.objective === 'pairwise' && this.model.numLabels !== 1)
      throw new ValueError(
        `RewardModelTrainer: a pairwise RM needs num_labels = 1, the model has ${this.model.numLabels}`,
      );
    if (options.dataset.length === 0) throw new ValueError('RewardModelTrainer: dataset is empty');
    this.rows = encodeRows(options.dataset, this.tokenizer, this.config);
    this.data = new DataIterator(this.rows, { seed: this.config.seed });
  }

  /** Optimizer steps of a run: maxSteps, or epochs × micro-batches per epoch / gradAccumulation (rounded up). */
  get totalSteps(): number {
    const c = this.config;
    if (c.maxSteps !== null) return c.maxSteps;
    return Math.max(1, Math.ceil((c.epochs * Math.ceil(this.rows.length / c.batchSize)) / c.gradAccumulation));
  }

  /**
   * Runs training (a fresh AdamW and LR schedule per call; resume state comes from checkpoints in `outputDir`, and
   * `<outputDir>/metrics.jsonl` is written by the loop, its records shaped by `options.record`). Aborting
   * `options.signal` finishes the running step, writes a checkpoint when `outputDir` is set, and ends the iteration.
   */
  train(options: TrainLoopOptions = {}): AsyncGenerator<StepReport> {
    const cfg = this.config;
    const model = this.model;
    const params = cfg.trainBackbone ? model.parameters() : [model.score];
    const totalSteps = this.totalSteps;
    const { optimizer, scheduler } = optimizerFrom(cfg, params, totalSteps);
    const padId = padIdOf(this.tokenizer);
    model.backbone.train();
    const task: TrainTask<Encoded[]> = {
      namedTensors: () => model.stateDict(),
      modelConfig: model.configJson(),
      optimizer,
      scheduler,
      nextBatches: async () => Array.from({ length: cfg.gradAccumulation }, () => this.take(cfg.batchSize)),
      loss: async (rows) => batchLoss(model, rows, padId, cfg),
      afterStep: () => {
        if (cfg.routingBiasGamma > 0) model.backbone.updateRoutingBias(cfg.routingBiasGamma);
      },
      stateDict: () => ({ data: this.data.position }),
      loadStateDict: (state) => {
        const position = (state as { data: DataPosition }).data;
        this.data = new DataIterator(this.rows, { seed: cfg.seed, position });
      },
    };
    return trainLoop(task, loopConfigOf(cfg, totalSteps), options);
  }

  /** The next micro-batch of up to `n` rows (seeded shuffle per epoch; the last batch of an epoch may be short). */
  private take(n: number): Encoded[] {
    return this.data.batch(n).rows;
  }
}

/** Held-out metrics: mean loss and accuracy (pairwise: r_c > r_r; pointwise: σ(z) > 0.5 matches the label). */
export interface RewardEvaluation {
  loss: number;
  accuracy: number;
  /** Pairwise: mean(r_c − r_r). Pointwise: mean σ(z). */
  mean: number;
  count: number;
}

/** Evaluates a reward model on a held-out set without recording a graph (same encoding as training). */
export function evaluateRewardModel(
  model: RewardModel,
  tokenizer: Tokenizer,
  dataset: readonly (PreferencePair | LabeledSample)[],
  config: Pick<RewardTrainerConfig, 'objective' | 'maxLength' | 'margin' | 'useMargin' | 'batchSize'> = {},
): RewardEvaluation {
  const cfg = parseTrainConfig(RewardTrainerConfigSchema, config, 'evaluateRewardModel');
  const rows = encodeRows(dataset, tokenizer, cfg);
  if (rows.length === 0) throw new ValueError('evaluateRewardModel: dataset is empty');
  const padId = padIdOf(tokenizer);
  const wasTraining = model.backbone.training;
  model.backbone.eval();
  let loss = 0;
  let accuracy = 0;
  let mean = 0;
  try {
    for (let i = 0; i < rows.length; i += cfg.batchSize) {
      const batch = rows.slice(i, i + cfg.batchSize);
      const r = noGrad(() => batchLoss(model, batch, padId, cfg));
      const w = batch.length / rows.length;
      loss += r.loss.item() * w;
      accuracy += r.metrics.accuracy * w;
      mean += (cfg.objective === 'pairwise' ? r.metrics.margin : r.metrics.probability) * w;
    }
  } finally {
    model.backbone.train(wasTraining);
  }
  return { loss, accuracy, mean, count: rows.length };
}
