/**
 * What AdamW and SGD share: the parameter list (validated once), `zeroGrad`, a settable `lr`, and the checks on a
 * loaded state dict. State lives in Float32Arrays plus step counters, so a checkpoint can write it as-is.
 */
import { AhaError, DTypeError, fmtShape, ShapeError, ValueError } from '../errors.js';
import { releaseFloat32 } from '../memory/pool.js';
import { kernel } from '../native.js';
import { Tensor } from '../tensor.js';

/** How `zeroGrad` treats dropped gradients. */
export interface ZeroGradOptions {
  /**
   * Hand each dropped gradient buffer back to the buffer pool (`allocFloat32`), so the next backward reuses it
   * instead of allocating (and the garbage collector has less to do). Only for code that owns the gradients: a
   * `Tensor` still held from `p.grad` afterwards sees its memory reused. A trade: on the bench model ≈ 5% faster
   * steps for ≈ 20–40 MiB more peak RSS (idle pool buffers), so `trainLoop` does not use it. Ignored with
   * `setToNone = false`.
   */
  release?: boolean;
}

/** A loadable optimizer state: only numbers, strings and Float32Arrays (checkpoint-friendly). */
export type OptimizerState = Record<string, number | string | (Float32Array | null)[] | number[]>;

export interface Optimizer {
  /** The learning rate used by the next `step()` (an LrScheduler sets it). */
  lr: number;
  readonly params: readonly Tensor[];
  step(): void;
  zeroGrad(setToNone?: boolean, opts?: ZeroGradOptions): void;
  stateDict(): OptimizerState;
  loadStateDict(state: OptimizerState): void;
}

/** Checks the parameter list: float32 tensors, contiguous (updates write through `values()`), no duplicates. */
export function checkParams(op: string, params: readonly Tensor[]): Tensor[] {
  if (!Array.isArray(params)) throw new ValueError(`${op}: params must be an array of tensors`);
  const seen = new Set<Tensor>();
  params.forEach((p, i) => {
    if (!(p instanceof Tensor) || !(p.storage instanceof Float32Array)) {
      throw new DTypeError(`${op}: params[${i}] must be a float32 Tensor`);
    }
    if (!p.isContiguous()) throw new ValueError(`${op}: params[${i}] ${fmtShape(p.shape)} must be contiguous`);
    if (seen.has(p)) throw new ValueError(`${op}: params[${i}] appears twice in the parameter list`);
    seen.add(p);
  });
  return [...params];
}

/** The gradient of `p` as a contiguous Float32Array, or null when it has none. */
export function gradValues(op: string, p: Tensor, i: number): Float32Array | null {
  if (!p.grad) return null;
  if (p.grad.numel !== p.numel) {
    throw new ShapeError(`${op}: params[${i}].grad ${fmtShape(p.grad.shape)} does not match ${fmtShape(p.shape)}`);
  }
  return p.grad.values();
}

/**
 * Clears gradients. `setToNone` (the default, PyTorch's `zero_grad(set_to_none=True)`) drops them: a parameter the
 * next backward does not reach has no gradient and the optimizer skips it, and the next backward hands each leaf
 * its gradient buffer without a copy. `setToNone = false` zeroes them in place instead, so the next backward adds
 * into the same buffers and a step allocates no parameter gradients (a non-contiguous or non-float32 gradient set
 * by hand is dropped); every parameter then keeps a gradient and is updated (weight decay, momentum) even when
 * the loss did not reach it, as in PyTorch with set_to_none=False. `opts.release` recycles dropped buffers (see
 * `ZeroGradOptions`).
 */
export function zeroGrads(params: readonly Tensor[], setToNone = true, opts: ZeroGradOptions = {}): void {
  for (const p of params) {
    if (!p.grad) continue;
    if (!setToNone && p.grad.isContiguous() && p.grad.storage instanceof Float32Array) {
      p.grad.values().fill(0);
      continue;
    }
    // The pool takes back only whole buffers it issued: views and hand-set gradients are refused and left to GC.
    if (opts.release) releaseFloat32(p.grad.storage);
    p.grad = null;
  }
}

/** Checks a positive finite learning rate (the `lr` setter and schedules go through it). */
export function checkLr(op: string, lr: number): number {
  if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) {
    throw new ValueError(`${op}: lr must be a finite number >= 0, got ${String(lr)}`);
  }
  return lr;
}

/** Checks saved buffers (count and each parameter's size) and returns private copies of them. */
export function loadBuffers(
  op: string,
  key: string,
  saved: unknown,
  sizes: readonly number[],
  allowNull: boolean,
): (Float32Array | null)[] {
  if (!Array.isArray(saved) || saved.length !== sizes.length) {
    throw new AhaError('state', `${op}.loadStateDict: ${key} must list ${sizes.length} buffers`);
  }
  return saved.map((buf, i) => {
    if (buf === null && allowNull) return null;
    if (!(buf instanceof Float32Array) || buf.length !== sizes[i]) {
      throw new AhaError('state', `${op}.loadStateDict: ${key}[${i}] must be a Float32Array of ${sizes[i]} values`);
    }
    return Float32Array.from(buf);
  });
}

/** Checks a saved list of step counters (non-negative integers, one per parameter). */
export function loadSteps(op: string, saved: unknown, count: number): number[] {
  if (!Array.isArray(saved) || saved.length !== count || saved.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new AhaError('state', `${op}.loadStateDict: steps must list ${count} non-negative integers`);
  }
  return [...saved];
}

export const adamwStep =
  kernel<
    (
      p: Float32Array,
      g: Float32Array,
      m: Float32Array,
      v: Float32Array,
      n: number,
      lr: number,
      beta1: number,
      beta2: number,
      eps: number,
      weightDecay: number,
      step: number,
    ) => void
  >('adamwStep');
export const sgdStep =
  kernel<
    (
      p: Float32Array,
      g: Float32Array,
      buf: Float32Array | null,
      n: number,
      lr: number,
      momentum: number,
      dampening: number,
      weightDecay: number,
      nesterov: boolean,
      firstStep: boolean,
    ) => void
  >('sgdStep');
export const sumSquares = kernel<(x: Float32Array, n: number) => number>('sumSquares');
export const scaleInPlace = kernel<(x: Float32Array, n: number, scale: number) => void>('scaleInPlace');
