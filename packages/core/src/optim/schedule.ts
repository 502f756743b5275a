/**
 * Learning-rate schedules as plain `(step) => multiplier` functions, and LrScheduler, which applies one to an
 * optimizer's base lr. Formulas follow Hugging Face transformers' get_{constant,linear,cosine}_schedule_with_warmup
 * (warmup multiplier step / warmupSteps, so step 0 runs at 0 when warmupSteps > 0), with a floor: the decay goes from
 * 1 down to `minRatio` (0 reproduces HF exactly). Leaves out: restarts, polynomial and inverse-sqrt schedules.
 */
import { z } from 'zod';
import { AhaError } from '../errors.js';
import type { Optimizer } from './optimizer.js';

export const ScheduleOptionsSchema = z
  .object({
    warmupSteps: z.number().int().nonnegative().default(0).describe('Steps of linear warmup from 0 to the base lr.'),
    totalSteps: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Steps at which the decay reaches minRatio (needed by the decaying schedules).'),
    minRatio: z
      .number()
      .min(0)
      .max(1)
      .default(0)
      .describe('Floor of the multiplier at the end of the decay, as a fraction of the base lr.'),
  })
  .refine((o) => o.totalSteps === undefined || o.totalSteps >= o.warmupSteps, {
    message: 'totalSteps must be >= warmupSteps',
  });
export type ScheduleOptions = z.input<typeof ScheduleOptionsSchema>;
/** Maps an optimizer step (0-based) to a multiplier of the base learning rate. */
export type LrSchedule = (step: number) => number;

function parse(name: string, options: ScheduleOptions, needsTotal: boolean) {
  const parsed = ScheduleOptionsSchema.safeParse(options);
  if (!parsed.success) throw new AhaError('config', `${name}: invalid options: ${z.prettifyError(parsed.error)}`);
  if (needsTotal && parsed.data.totalSteps === undefined) {
    throw new AhaError('config', `${name}: totalSteps is required`);
  }
  return parsed.data;
}

const warmup = (step: number, warmupSteps: number) => (step < warmupSteps ? step / warmupSteps : 1);

/** Linear warmup, then a constant multiplier of 1. */
export function constantLr(options: ScheduleOptions = {}): LrSchedule {
  const { warmupSteps } = parse('constantLr', options, false);
  return (step) => warmup(step, warmupSteps);
}

/** Linear warmup, then a linear decay from 1 to minRatio at totalSteps (held there afterwards). */
export function linearWarmupDecay(options: ScheduleOptions): LrSchedule {
  const { warmupSteps, totalSteps, minRatio } = parse('linearWarmupDecay', options, true);
  const total = totalSteps as number;
  return (step) => {
    if (step < warmupSteps) return warmup(step, warmupSteps);
    const progress = Math.min(1, (step - warmupSteps) / Math.max(1, total - warmupSteps));
    return minRatio + (1 - minRatio) * (1 - progress);
  };
}

/** Linear warmup, then a half-cosine decay from 1 to minRatio at totalSteps (held there afterwards). */
export function cosineWarmupDecay(options: ScheduleOptions): LrSchedule {
  const { warmupSteps, totalSteps, minRatio } = parse('cosineWarmupDecay', options, true);
  const total = totalSteps as number;
  return (step) => {
    if (step < warmupSteps) return warmup(step, warmupSteps);
    const progress = Math.min(1, (step - warmupSteps) / Math.max(1, total - warmupSteps));
    return minRatio + (1 - minRatio) * 0.5 * (1 + Math.cos(Math.PI * progress));
  };
}

/** Saved state of an LrScheduler. */
export interface LrSchedulerState {
  step: number;
  baseLr: number;
}

/**
 * Drives `optimizer.lr = baseLr · schedule(step)`. Construction applies step 0; call `step()` after each
 * `optimizer.step()`. The base lr is the optimizer's lr at construction.
 */
export class LrScheduler {
  #step = 0;
  #baseLr: number;

  constructor(
    readonly optimizer: Optimizer,
    readonly schedule: LrSchedule,
  ) {
    this.#baseLr = optimizer.lr;
    this.#apply();
  }

  /** Steps taken so far. */
  get stepCount(): number {
    return this.#step;
  }

  /** The learning rate now set on the optimizer. */
  get lr(): number {
    return this.optimizer.lr;
  }

  /** Advances one step and sets the optimizer's lr. */
  step(): void {
    this.#step++;
    this.#apply();
  }

  stateDict(): LrSchedulerState {
    return { step: this.#step, baseLr: this.#baseLr };
  }

  /** @throws AhaError('state') for a malformed state. */
  loadStateDict(state: LrSchedulerState): void {
    if (!Number.isInteger(state?.step) || state.step < 0 || !Number.isFinite(state?.baseLr) || state.baseLr < 0) {
      throw new AhaError('state', 'LrScheduler.loadStateDict: needs { step: integer >= 0, baseLr: number >= 0 }');
    }
    this.#step = state.step;
    this.#baseLr = state.baseLr;
    this.#apply();
  }

  #apply(): void {
    const m = this.schedule(this.#step);
    if (!Number.isFinite(m) || m < 0) {
      throw new AhaError('value', `LrScheduler: schedule(${this.#step}) returned ${m}, expected a finite number >= 0`);
    }
    this.optimizer.lr = this.#baseLr * m;
  }
}
