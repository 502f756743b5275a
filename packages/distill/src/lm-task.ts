/**
 * The `TrainTask` shared by the SFT and distillation trainers: tokenized examples → seeded micro-batches → a loss from
 * the caller, on @aha/core's `trainLoop` (no loop of its own), with its optimizer (`optimizerFrom`) and data stream
 * (`DataIterator`, epoch-bounded micro-batches). Micro-batches of one step are weighted by their share
 * of the step's target tokens, so the step's loss is the mean over all its tokens (as TRL/transformers ≥ 4.46 average
 * over the accumulated tokens, not over micro-batches). The data position is the task state, so resume is exact.
 * Leaves out: evaluation sets, dynamic batch sizes by token count.
 */
import {
  DataIterator,
  type DataPosition,
  loopConfigOf,
  type Model,
  optimizerFrom,
  type StepReport,
  type Tensor,
  type TrainEvent,
  type TrainTask,
  trainLoop,
  ValueError,
} from '@aha/core';
import { collate, type LmBatch, packExamples, type TokenizedExample } from './data/sft-data.js';
import type { ParsedTrainConfig } from './train-config.js';

/** What the caller's loss returns for one micro-batch. */
export interface LmLossResult {
  loss: Tensor;
  metrics?: Record<string, number>;
}

/** Optimizer steps of a run: maxSteps, or epochs × micro-batches per epoch / gradAccumulation (rounded up). */
export function totalStepsOf(config: ParsedTrainConfig, batchesPerEpoch: number): number {
  if (config.maxSteps !== null) return config.maxSteps;
  return Math.max(1, Math.ceil((config.epochs * batchesPerEpoch) / config.gradAccumulation));
}

/** Builds the task and runs `trainLoop` over it. */
export function runLmTraining(args: {
  model: Model;
  examples: TokenizedExample[];
  config: ParsedTrainConfig;
  padId: number;
  /** Loss of one micro-batch; `items` are its examples (before collation), `step`/`micro` locate it in the run. */
  loss: (
    batch: LmBatch,
    ctx: { step: number; micro: number; items: readonly TokenizedExample[] },
  ) => LmLossResult | Promise<LmLossResult>;
  signal?: AbortSignal;
  onEvent?: (event: TrainEvent) => void;
}): { totalSteps: number; reports: AsyncGenerator<StepReport> } {
  const { model, config } = args;
  if (args.examples.length === 0) throw new ValueError('training: no example has a target token');
  const units = config.packing ? packExamples(args.examples, config.maxLength) : args.examples;
  let stream = new DataIterator(units, { seed: config.seed, shuffle: config.shuffle });
  const totalSteps = totalStepsOf(config, Math.ceil(units.length / config.batchSize));
  const { optimizer, scheduler } = optimizerFrom(config, model.parameters(), totalSteps);
  const hasMoe = model.moeLayers().length > 0;
  type Micro = { batch: LmBatch; items: TokenizedExample[]; weight: number; epoch: number };
  const task: TrainTask<Micro> = {
    namedTensors: () => model.stateDict(),
    modelConfig: JSON.parse(JSON.stringify(model.config)),
    optimizer,
    scheduler,
    async nextBatches() {
      const micros = Array.from({ length: config.gradAccumulation }, () => stream.batch(config.batchSize));
      const batches = micros.map((m) => ({
        items: m.rows,
        epoch: m.epoch,
        batch: collate(m.rows, args.padId, config.ignoreIndex),
      }));
      const total = batches.reduce((s, b) => s + b.batch.count, 0);
      return batches.map((b) => ({ ...b, weight: b.batch.count / total }));
    },
    async loss(micro, ctx) {
      const r = await args.loss(micro.batch, { step: ctx.step, micro: ctx.micro, items: micro.items });
      return {
        loss: r.loss,
        weight: micro.weight,
        tokens: micro.batch.count,
        metrics: { ...r.metrics, epoch: micro.epoch },
      };
    },
    afterStep() {
      if (hasMoe && config.routingBiasGamma > 0) model.updateRoutingBias(config.routingBiasGamma);
    },
    stateDict: () => ({ data: stream.position }),
    loadStateDict: (state) => {
      const position = (state as { data: DataPosition }).data;
      stream = new DataIterator(units, { seed: config.seed, shuffle: config.shuffle, position });
    },
  };
  const reports = trainLoop(task, loopConfigOf(config, totalSteps), { signal: args.signal, onEvent: args.onEvent });
  return { totalSteps, reports };
}
