/**
 * AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization"), with the exact update of torch.optim.AdamW
 * (defaults lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 1e-2), run by a native kernel over each parameter:
 *   p ← p·(1 − lr·λ);  m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;  p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε)
 * A step counter t per parameter (a parameter without a gradient is skipped and its t does not advance, as in PyTorch).
 * Leaves out: amsgrad, maximize, parameter groups (use one optimizer per group).
 */
import { z } from 'zod';
import { AhaError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import {
  adamwStep,
  checkLr,
  checkParams,
  gradValues,
  loadBuffers,
  loadSteps,
  type Optimizer,
  type OptimizerState,
  type ZeroGradOptions,
  zeroGrads,
} from './optimizer.js';

export const AdamWOptionsSchema = z.object({
  lr: z.number().finite().nonnegative().default(1e-3).describe('Learning rate (lr, η).'),
  betas: z
    .tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)])
    .default([0.9, 0.999])
    .describe('Decay rates (β1, β2) of the first and second moment estimates, each in [0, 1).'),
  eps: z.number().finite().positive().default(1e-8).describe('ε added to the denominator for numerical stability.'),
  weightDecay: z
    .number()
    .finite()
    .nonnegative()
    .default(1e-2)
    .describe('Decoupled weight decay λ: each step multiplies parameters by (1 − lr·λ).'),
});
export type AdamWOptions = z.input<typeof AdamWOptionsSchema>;

/** AdamW over a list of parameters. `step()` after `backward()`, then `zeroGrad()`. */
export class AdamW implements Optimizer {
  readonly params: readonly Tensor[];
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  #lr: number;
  #steps: number[];
  #expAvg: Float32Array[];
  #expAvgSq: Float32Array[];

  /** @throws AhaError('config') for invalid options; ValueError / DTypeError for bad params. */
  constructor(params: readonly Tensor[], options: AdamWOptions = {}) {
    const parsed = AdamWOptionsSchema.safeParse(options);
    if (!parsed.success) throw new AhaError('config', `AdamW: invalid options: ${z.prettifyError(parsed.error)}`);
    this.params = checkParams('AdamW', params);
    this.#lr = parsed.data.lr;
    this.betas = parsed.data.betas;
    this.eps = parsed.data.eps;
    this.weightDecay = parsed.data.weightDecay;
    this.#steps = this.params.map(() => 0);
    this.#expAvg = this.params.map((p) => new Float32Array(p.numel));
    this.#expAvgSq = this.params.map((p) => new Float32Array(p.numel));
  }

  get lr(): number {
    return this.#lr;
  }

  set lr(value: number) {
    this.#lr = checkLr('AdamW', value);
  }

  /** Applies one update to every parameter that has a gradient. */
  step(): void {
    const [beta1, beta2] = this.betas;
    this.params.forEach((p, i) => {
      const g = gradValues('AdamW', p, i);
      if (!g || p.numel === 0) return;
      const t = ++this.#steps[i];
      adamwStep(
        p.values(),
        g,
        this.#expAvg[i],
        this.#expAvgSq[i],
        p.numel,
        this.#lr,
        beta1,
        beta2,
        this.eps,
        this.weightDecay,
        t,
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

  /** A copy of the state: step counters and the moment buffers (m = expAvg, v = expAvgSq), plus lr. */
  stateDict(): OptimizerState {
    return {
      kind: 'adamw',
      lr: this.#lr,
      steps: [...this.#steps],
      expAvg: this.#expAvg.map((b) => b.slice()),
      expAvgSq: this.#expAvgSq.map((b) => b.slice()),
    };
  }

  /** Restores a state from `stateDict()` (copied in). @throws AhaError('state') when it does not fit these params. */
  loadStateDict(state: OptimizerState): void {
    if (state?.kind !== 'adamw')
      throw new AhaError('state', `AdamW.loadStateDict: expected kind 'adamw', got ${String(state?.kind)}`);
    const sizes = this.params.map((p) => p.numel);
    const steps = loadSteps('AdamW', state.steps, sizes.length);
    const expAvg = loadBuffers('AdamW', 'expAvg', state.expAvg, sizes, false) as Float32Array[];
    const expAvgSq = loadBuffers('AdamW', 'expAvgSq', state.expAvgSq, sizes, false) as Float32Array[];
    this.lr = state.lr as number;
    this.#steps = steps;
    this.#expAvg = expAvg;
    this.#expAvgSq = expAvgSq;
  }
}
