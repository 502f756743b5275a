/**
 * The one training loop of aha. GRPO, SFT, reward-model training and distillation supply micro-batches and a loss;
 * this loop owns everything else: gradient accumulation, global-norm clipping, the optimizer and LR schedule, NaN/Inf
 * detection, atomic checkpoints with exact resume, cancellation, and per-step metrics with timing and ETA.
 * Follows the shape of PyTorch training loops (HF Trainer / TRL), without their callbacks zoo: a task has a few hooks.
 */
import { z } from 'zod';
import { AhaError } from '../errors.js';
import { clipGradNorm } from '../optim/clip.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { LrScheduler } from '../optim/schedule.js';
import { Tensor } from '../tensor.js';
import { latestCheckpoint, loadCheckpoint, pruneCheckpoints, saveCheckpoint } from './checkpoint.js';

export const TrainLoopConfigSchema = z.object({
  totalSteps: z.number().int().positive().describe('Optimizer steps in the whole run; the loop stops there.'),
  gradAccumulation: z
    .number()
    .int()
    .positive()
    .default(1)
    .describe('Micro-batches per optimizer step (the task returns them); gradients are summed, each loss weighted.'),
  maxGradNorm: z
    .number()
    .positive()
    .nullable()
    .default(1)
    .describe('Clip the global L2 norm of all gradients to this before each step; null disables clipping.'),
  checkpointEvery: z
    .number()
    .int()
    .nonnegative()
    .default(0)
    .describe('Write a checkpoint every N optimizer steps (0: only at the end and on cancellation).'),
  keepCheckpoints: z.number().int().positive().default(2).describe('How many newest checkpoints to keep.'),
  outputDir: z
    .string()
    .nullable()
    .default(null)
    .describe('Run folder; checkpoints go to <outputDir>/checkpoints. null: no checkpoints.'),
  resume: z
    .union([z.boolean(), z.string()])
    .default(true)
    .describe('true: continue from the newest checkpoint in outputDir when there is one; a path: from that one.'),
});
export type TrainLoopConfig = z.input<typeof TrainLoopConfigSchema>;

/** What a micro-batch's loss function returns. */
export interface MicroStepResult {
  /** Scalar loss; the loop calls backward on `loss × weight`. */
  loss: Tensor;
  /** Weight of this micro-batch in the step (default 1 / number of micro-batches). */
  weight?: number;
  /** Numbers to average over the step's micro-batches and report. */
  metrics?: Record<string, number>;
  /** Tokens trained on (for tokens/s). */
  tokens?: number;
}

export interface StepContext {
  step: number;
  totalSteps: number;
}

/** What a trainer supplies to the loop. */
export interface TrainTask<Batch> {
  /** Named model tensors (parameters and buffers), HF names: what a checkpoint stores and restores in place. */
  namedTensors(): Iterable<[string, Tensor]>;
  /** Written as config.json next to the weights, so every checkpoint is a loadable model folder. */
  modelConfig?: unknown;
  optimizer: Optimizer;
  scheduler?: LrScheduler;
  /** The micro-batches of optimizer step `ctx.step` (rollouts happen here for RL). */
  nextBatches(ctx: StepContext): Promise<Batch[]>;
  /** Loss of one micro-batch (the forward pass, with grad recording on). */
  loss(batch: Batch, ctx: StepContext & { micro: number; micros: number }): Promise<MicroStepResult>;
  /** After each optimizer step (MoE routing-bias update, reference-model refresh, ...). */
  afterStep?(ctx: StepContext): Promise<void> | void;
  /** Task state needed to continue exactly (data position, RNG): JSON with Float32Array leaves. */
  stateDict?(): unknown;
  loadStateDict?(state: unknown): void;
}

export interface StepReport {
  step: number;
  totalSteps: number;
  loss: number;
  gradNorm: number;
  lr: number;
  /** Wall time of this step (rollout + training) in ms. */
  stepMs: number;
  /** Estimated time left in ms, from the steps of this process. */
  etaMs: number;
  tokensPerSecond?: number;
  metrics: Record<string, number>;
  /** Set when a checkpoint was written after this step. */
  checkpoint?: string;
}

/** Training produced a non-finite loss or gradient: the run stops; the last good checkpoint is kept. */
export class TrainingDivergedError extends AhaError {
  constructor(
    message: string,
    readonly step: number,
    readonly lastCheckpoint: string | null,
  ) {
    super('state', message);
  }
}

const isFiniteNumber = (x: number) => Number.isFinite(x);

/**
 * Runs the loop, yielding one report per optimizer step. Resumes from the newest checkpoint when configured.
 * Aborting `signal` finishes the current step, writes a checkpoint and returns.
 */
export async function* trainLoop<Batch>(
  task: TrainTask<Batch>,
  config: TrainLoopConfig,
  opts: { signal?: AbortSignal } = {},
): AsyncGenerator<StepReport> {
  const cfg = TrainLoopConfigSchema.parse(config);
  const ckptRoot = cfg.outputDir ? `${cfg.outputDir}/checkpoints` : null;
  const params = [...task.optimizer.params];
  let step = 0;
  let lastCheckpoint: string | null = null;

  if (ckptRoot && cfg.resume !== false) {
    const dir = typeof cfg.resume === 'string' ? cfg.resume : await latestCheckpoint(ckptRoot);
    if (dir) {
      step = await restore(task, dir);
      lastCheckpoint = dir;
    }
  }

  const save = async (): Promise<string | undefined> => {
    if (!ckptRoot) return undefined;
    lastCheckpoint = await saveCheckpoint(ckptRoot, {
      step,
      model: task.namedTensors(),
      modelConfig: task.modelConfig,
      optimizer: task.optimizer.stateDict(),
      trainer: { step, scheduler: task.scheduler?.stateDict() ?? null, task: task.stateDict?.() ?? null },
    });
    await pruneCheckpoints(ckptRoot, cfg.keepCheckpoints);
    return lastCheckpoint;
  };

  const started = performance.now();
  const firstStep = step;
  while (step < cfg.totalSteps) {
    const t0 = performance.now();
    const ctx: StepContext = { step, totalSteps: cfg.totalSteps };
    const batches = await task.nextBatches(ctx);
    if (batches.length === 0) throw new AhaError('value', `trainLoop: the task returned no batches for step ${step}`);
    task.optimizer.zeroGrad();
    let lossSum = 0;
    let tokens = 0;
    const sums: Record<string, number> = {};
    for (let micro = 0; micro < batches.length; micro++) {
      const r = await task.loss(batches[micro], { ...ctx, micro, micros: batches.length });
      const value = r.loss.item();
      if (!isFiniteNumber(value)) {
        throw new TrainingDivergedError(
          `trainLoop: loss is ${value} at step ${step} (micro-batch ${micro}); stopped. ` +
            (lastCheckpoint ? `Last good checkpoint: ${lastCheckpoint}` : 'No checkpoint was written yet.'),
          step,
          lastCheckpoint,
        );
      }
      const weight = r.weight ?? 1 / batches.length;
      r.loss.backward(new Tensor(Float32Array.of(weight), r.loss.shape));
      lossSum += value * weight;
      tokens += r.tokens ?? 0;
      for (const [k, v] of Object.entries(r.metrics ?? {})) sums[k] = (sums[k] ?? 0) + v / batches.length;
    }
    const gradNorm = clipGradNorm(params, cfg.maxGradNorm ?? Number.POSITIVE_INFINITY);
    if (!isFiniteNumber(gradNorm)) {
      throw new TrainingDivergedError(
        `trainLoop: gradient norm is ${gradNorm} at step ${step}; stopped before the optimizer step. ` +
          (lastCheckpoint ? `Last good checkpoint: ${lastCheckpoint}` : 'No checkpoint was written yet.'),
        step,
        lastCheckpoint,
      );
    }
    const lr = task.optimizer.lr;
    task.optimizer.step();
    // Not `{ release: true }`: recycling the gradient buffers through the pool measured ≈ 5% faster steps but
    // ≈ 20–40 MiB more peak RSS on the bench model (the pool keeps idle buffers), so the loop leaves them to the GC.
    task.optimizer.zeroGrad();
    task.scheduler?.step();
    step++;
    await task.afterStep?.({ step, totalSteps: cfg.totalSteps });

    const aborted = opts.signal?.aborted ?? false;
    const due = cfg.checkpointEvery > 0 && step % cfg.checkpointEvery === 0;
    const checkpoint = due || aborted || step === cfg.totalSteps ? await save() : undefined;
    const now = performance.now();
    const perStep = (now - started) / (step - firstStep);
    yield {
      step,
      totalSteps: cfg.totalSteps,
      loss: lossSum,
      gradNorm,
      lr,
      stepMs: now - t0,
      etaMs: perStep * (cfg.totalSteps - step),
      tokensPerSecond: tokens > 0 ? tokens / ((now - t0) / 1000) : undefined,
      metrics: sums,
      checkpoint,
    };
    if (aborted) return;
  }
}

async function restore<Batch>(task: TrainTask<Batch>, dir: string): Promise<number> {
  const ckpt = await loadCheckpoint(dir);
  for (const [name, t] of task.namedTensors()) {
    const saved = ckpt.model.get(name);
    if (!saved) throw new AhaError('io', `checkpoint ${dir}: tensor "${name}" is missing`);
    if (saved.data.length !== t.numel || saved.shape.join() !== t.shape.join()) {
      throw new AhaError(
        'io',
        `checkpoint ${dir}: tensor "${name}" has shape [${saved.shape.join(', ')}], the model has [${t.shape.join(', ')}]`,
      );
    }
    t.values().set(saved.data);
  }
  task.optimizer.loadStateDict(ckpt.optimizer as never);
  const trainer = ckpt.trainer as { scheduler: unknown; task: unknown };
  if (task.scheduler && trainer.scheduler) task.scheduler.loadStateDict(trainer.scheduler as never);
  if (task.loadStateDict) task.loadStateDict(trainer.task);
  return ckpt.step;
}
