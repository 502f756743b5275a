/**
 * `RewardModelTrainer`: trains a `RewardModel` on @aha/core's one `trainLoop` (accumulation, clipping, LR schedule,
 * checkpoints with exact resume) by supplying micro-batches and a loss, like TRL's `RewardTrainer`:
 * - objective 'pairwise': preference pairs, Bradley-Terry loss (+ margin, + reward centering), the helpfulness RM of
 *   DeepSeek-R1 §2.3.4;
 * - objective 'pointwise': labelled samples, binary cross-entropy on the value head's logit, the safety RM.
 * Chosen and rejected completions of a micro-batch run as one forward of 2N rows. Data order is a seeded shuffle per
 * epoch; its position is the task state, so a resumed run sees exactly the batches it would have seen.
 * Leaves out: evaluation during training (call `evaluateRewardModel` between runs or on the reports), length grouping.
 */
import {
  AdamW,
  AhaError,
  constantLr,
  cosineWarmupDecay,
  LrScheduler,
  linearWarmupDecay,
  mulberry32,
  narrow,
  noGrad,
  reshape,
  type StepReport,
  type Tensor,
  type Tokenizer,
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

export const RewardTrainerConfigSchema = z.object({
  objective: z
    .enum(['pairwise', 'pointwise'])
    .default('pairwise')
    .describe('pairwise: Bradley-Terry on {prompt, chosen, rejected}; pointwise: BCE on {prompt, response, label}.'),
  totalSteps: z.number().int().positive().default(100).describe('Optimizer steps.'),
  batchSize: z.number().int().positive().default(8).describe('Pairs (or samples) per micro-batch.'),
  gradAccumulation: z.number().int().positive().default(1).describe('Micro-batches per optimizer step.'),
  learningRate: z.number().positive().default(1e-4).describe('Peak learning rate η of AdamW.'),
  weightDecay: z.number().nonnegative().default(0).describe('Decoupled AdamW weight decay λ.'),
  schedule: z.enum(['constant', 'linear', 'cosine']).default('linear').describe('LR decay after warmup.'),
  warmupSteps: z.number().int().nonnegative().default(0).describe('Linear LR warmup steps.'),
  maxGradNorm: z.number().positive().nullable().default(1).describe('Global gradient-norm clip; null: off.'),
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
  seed: z.number().int().default(0).describe('Seed of the data shuffle.'),
  outputDir: z.string().nullable().default(null).describe('Run folder for checkpoints; null: none.'),
  checkpointEvery: z.number().int().nonnegative().default(0).describe('Checkpoint every N steps (0: only at the end).'),
  resume: z.union([z.boolean(), z.string()]).default(true).describe('Resume from the newest checkpoint (or a path).'),
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

/** A permutation of [0, n) from (seed, epoch): the data order, recomputed on resume from the saved position. */
function shuffled(n: number, seed: number, epoch: number): number[] {
  const rand = mulberry32(seed * 2654435761 + epoch * 40503 + 1);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
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
  private position = { epoch: 0, cursor: 0 };
  private order: number[];

  constructor(options: RewardModelTrainerOptions) {
    const parsed = RewardTrainerConfigSchema.safeParse(options.config ?? {});
    if (!parsed.success)
      throw new AhaError('config', `RewardModelTrainer: invalid config: ${z.prettifyError(parsed.error)}`);
    this.config = parsed.data;
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
    this.order = shuffled(this.rows.length, this.config.seed, 0);
  }

  /**
   * Runs training (a fresh AdamW and LR schedule per call; resume state comes from checkpoints in `outputDir`).
   * Aborting `signal` finishes the running step, writes a checkpoint when `outputDir` is set, and ends the iteration.
   */
  train(options: { signal?: AbortSignal } = {}): AsyncGenerator<StepReport> {
    const cfg = this.config;
    const model = this.model;
    const params = cfg.trainBackbone ? model.parameters() : [model.score];
    const optimizer = new AdamW(params, { lr: cfg.learningRate, weightDecay: cfg.weightDecay });
    const sched = { warmupSteps: cfg.warmupSteps, totalSteps: cfg.totalSteps };
    const schedule =
      cfg.schedule === 'constant'
        ? constantLr(sched)
        : cfg.schedule === 'linear'
          ? linearWarmupDecay(sched)
          : cosineWarmupDecay(sched);
    const padId = padIdOf(this.tokenizer);
    model.backbone.train();
    const task: TrainTask<Encoded[]> = {
      namedTensors: () => model.stateDict(),
      modelConfig: model.configJson(),
      optimizer,
      scheduler: new LrScheduler(optimizer, schedule),
      nextBatches: async () => Array.from({ length: cfg.gradAccumulation }, () => this.take(cfg.batchSize)),
      loss: async (rows) => batchLoss(model, rows, padId, cfg),
      afterStep: () => {
        if (cfg.routingBiasGamma > 0) model.backbone.updateRoutingBias(cfg.routingBiasGamma);
      },
      stateDict: () => ({ ...this.position }),
      loadStateDict: (state) => {
        const s = state as { epoch: number; cursor: number };
        this.position = { epoch: s.epoch, cursor: s.cursor };
        this.order = shuffled(this.rows.length, cfg.seed, s.epoch);
      },
    };
    return trainLoop(
      task,
      {
        totalSteps: cfg.totalSteps,
        gradAccumulation: cfg.gradAccumulation,
        maxGradNorm: cfg.maxGradNorm,
        outputDir: cfg.outputDir,
        checkpointEvery: cfg.checkpointEvery,
        resume: cfg.resume,
      },
      options,
    );
  }

  /** The next `n` rows in shuffled order, wrapping into a new epoch (and a new shuffle) at the end. */
  private take(n: number): Encoded[] {
    const out: Encoded[] = [];
    while (out.length < n) {
      if (this.position.cursor >= this.order.length) {
        this.position = { epoch: this.position.epoch + 1, cursor: 0 };
        this.order = shuffled(this.rows.length, this.config.seed, this.position.epoch);
      }
      out.push(this.rows[this.order[this.position.cursor++]]);
    }
    return out;
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
  const parsed = RewardTrainerConfigSchema.safeParse(config);
  if (!parsed.success)
    throw new AhaError('config', `evaluateRewardModel: invalid config: ${z.prettifyError(parsed.error)}`);
  const cfg = parsed.data;
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
