/**
 * The one place a trainer's optimizer is built: AdamW with the base training config's learning rate, betas, ε and
 * weight decay (train/config.ts), and the LR schedule it names (warmup, then constant / linear / cosine decay to
 * minLrRatio·η at the run's last step). GRPO, SFT, KD, reward models and pretraining all call it, so the same
 * config keys mean the same optimizer everywhere. Leaves out: parameter groups (one lr and decay for all).
 */
import type { Tensor } from '../tensor.js';
import type { TrainConfigBase } from '../train/config.js';
import { AdamW } from './adamw.js';
import { constantLr, cosineWarmupDecay, type LrSchedule, LrScheduler, linearWarmupDecay } from './schedule.js';

/** The optimizer fields of a training config (a trainer's parsed config has them all). */
export type OptimizerConfig = Pick<
  TrainConfigBase,
  'learningRate' | 'lrSchedule' | 'warmupSteps' | 'minLrRatio' | 'weightDecay' | 'adamBetas' | 'adamEpsilon'
>;

/** The LR multiplier schedule of `config` over a run of `totalSteps` optimizer steps. */
export function scheduleFrom(config: OptimizerConfig, totalSteps: number): LrSchedule {
  // Warmup longer than the run would leave the lr below η for every step; cap it at the run.
  const opts = { warmupSteps: Math.min(config.warmupSteps, totalSteps), totalSteps, minRatio: config.minLrRatio };
  if (config.lrSchedule === 'constant') return constantLr({ warmupSteps: opts.warmupSteps });
  return config.lrSchedule === 'cosine' ? cosineWarmupDecay(opts) : linearWarmupDecay(opts);
}

/**
 * AdamW over `params` and its LR scheduler, from a training config.
 * @param totalSteps optimizer steps of the run (the decay reaches minLrRatio·η there)
 */
export function optimizerFrom(
  config: OptimizerConfig,
  params: Iterable<Tensor>,
  totalSteps: number,
): { optimizer: AdamW; scheduler: LrScheduler } {
  const optimizer = new AdamW([...params], {
    lr: config.learningRate,
    betas: config.adamBetas,
    eps: config.adamEpsilon,
    weightDecay: config.weightDecay,
  });
  return { optimizer, scheduler: new LrScheduler(optimizer, scheduleFrom(config, totalSteps)) };
}
