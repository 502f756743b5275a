/**
 * clipGradNorm — torch.nn.utils.clip_grad_norm_ with the L2 norm: the global norm over all gradients (float64 sum of
 * squares, native), and when it exceeds maxNorm every gradient is scaled in place by maxNorm / (norm + 1e-6).
 * A non-finite norm is returned without touching the gradients, so the caller can skip the step.
 * Leaves out: other p-norms, error_if_nonfinite (check the returned value instead).
 */
import { ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { checkParams, gradValues, scaleInPlace, sumSquares } from './optimizer.js';

/**
 * Scales all gradients so their global L2 norm is at most `maxNorm`; returns the norm before clipping.
 * Parameters without a gradient are ignored.
 * @throws ValueError when maxNorm is not a positive finite number.
 */
export function clipGradNorm(params: readonly Tensor[], maxNorm: number): number {
  if (typeof maxNorm !== 'number' || !Number.isFinite(maxNorm) || maxNorm <= 0) {
    throw new ValueError(`clipGradNorm: maxNorm must be a positive finite number, got ${String(maxNorm)}`);
  }
  const list = checkParams('clipGradNorm', params);
  const grads = list.map((p, i) => gradValues('clipGradNorm', p, i)).filter((g): g is Float32Array => g !== null);
  let squares = 0;
  for (const g of grads) squares += sumSquares(g, g.length);
  const norm = Math.sqrt(squares);
  const coef = maxNorm / (norm + 1e-6);
  if (Number.isFinite(norm) && coef < 1) {
    for (const g of grads) scaleInPlace(g, g.length, coef);
  }
  return norm;
}
