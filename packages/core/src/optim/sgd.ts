/**
 * SGD with momentum, dampening, Nesterov and (coupled, L2) weight decay — the update of torch.optim.SGD, run by a
 * native kernel: g ← g + λp; buf ← g on the first step, else μ·buf + (1−τ)·g; g ← nesterov ? g + μ·buf : buf;
 * p ← p − lr·g. Momentum buffers exist only when momentum > 0. Leaves out: maximize, parameter groups.
 */
import { z } from 'zod';
import { AhaError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import {
  checkLr,
  checkParams,
  gradValues,
  loadBuffers,
  type Optimizer,
  type OptimizerState,
  sgdStep,
  type ZeroGradOptions,
  zeroGrads,
} from './optimizer.js';

export const SGDOptionsSchema = z
  .object({
    lr: z.number().finite().nonnegative().default(1e-3).describe('Learning rate (lr, η).'),
    momentum: z.number().finite().min(0).default(0).describe('Momentum factor μ (0 = plain SGD).'),
    dampening: z
      .number()
      .finite()
      .min(0)
      .max(1)
      .default(0)
      .describe('Dampening τ applied to new gradients in momentum.'),
    weightDecay: z.number().finite().nonnegative().default(0).describe('L2 weight decay λ added to the gradient.'),
    nesterov: z.boolean().default(false).describe('Nesterov momentum (needs momentum > 0 and dampening 0).'),
  })
  .refine((o) => !o.nesterov || (o.momentum > 0 && o.dampening === 0), {
    message: 'nesterov needs momentum > 0 and dampening 0',
  });
export type SGDOptions = z.input<typeof SGDOptionsSchema>;

/** Stochastic gradient descent with optional momentum. */
export class SGD implements Optimizer {
  readonly params: readonly Tensor[];
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  #lr: number;
  #buffers: (Float32Array | null)[];

  /** @throws AhaError('config') for invalid options; ValueError / DTypeError for bad params. */
  constructor(params: readonly Tensor[], options: SGDOptions = {}) {
    const parsed = SGDOptionsSchema.safeParse(options);
    if (!parsed.success) throw new AhaError('config', `SGD: invalid options: ${z.prettifyError(parsed.error)}`);
    this.params = checkParams('SGD', params);
    this.#lr = parsed.data.lr;
    this.momentum = parsed.data.momentum;
    this.dampening = parsed.data.dampening;
    this.weightDecay = parsed.data.weightDecay;
    this.nesterov = parsed.data.nesterov;
    this.#buffers = this.params.map(() => null);
  }

  get lr(): number {
    return this.#lr;
  }

  set lr(value: number) {
    this.#lr = checkLr('SGD', value);
  }

  step(): void {
    this.params.forEach((p, i) => {
      const g = gradValues('SGD', p, i);
      if (!g || p.numel === 0) return;
      let buf = this.#buffers[i];
      const first = this.momentum > 0 && buf === null;
      if (first) buf = this.#buffers[i] = new Float32Array(p.numel);
      sgdStep(
        p.values(),
        g,
        this.momentum > 0 ? buf : null,
        p.numel,
        this.#lr,
        this.momentum,
        this.dampening,
        this.weightDecay,
        this.nesterov,
        first,
      );
    });
  }

  /**
   * Clears every parameter's gradient: drops it (`setToNone`, the default, PyTorch's set_to_none) or zeroes it in
   * place (no gradient re-allocation next step; see `zeroGrads` for how the two differ). `opts.release` hands
   * dropped buffers back to the buffer pool (only when nothing else holds the gradients; see `ZeroGradOptions`).
   */
  zeroGrad(setToNone = true, opts: ZeroGradOptions = {}): void {
    zeroGrads(this.params, setToNone, opts);
  }

  /** A copy of the state: lr and the momentum buffers (null before a parameter's first step). */
  stateDict(): OptimizerState {
    return { kind: 'sgd', lr: this.#lr, momentumBuffer: this.#buffers.map((b) => (b ? b.slice() : null)) };
  }

  loadStateDict(state: OptimizerState): void {
    if (state?.kind !== 'sgd')
      throw new AhaError('state', `SGD.loadStateDict: expected kind 'sgd', got ${String(state?.kind)}`);
    const buffers = loadBuffers(
      'SGD',
      'momentumBuffer',
      state.momentumBuffer,
      this.params.map((p) => p.numel),
      true,
    );
    this.lr = state.lr as number;
    this.#buffers = buffers;
  }
}
