/**
 * Graph recording. An op that computed `out` from `inputs` attaches a GradNode whose `backward` maps the gradient of
 * `out` (contiguous, out's shape) to gradients of each input (contiguous, each input's shape; null = none).
 * Recording happens only while grad mode is on and some input requires grad, so inference builds no graph.
 * Buffer ownership (the engine recycles gradients through memory/pool.ts): `gradOutput` is the engine's and may be
 * reused once `backward` returns, so a backward must not keep it (returning it, or a view of it, as an input's
 * gradient is fine: the engine sees that); the buffers a backward returns become the engine's, so it must not keep
 * or share them either. Allocate them with `allocFloat32` so they can be reused.
 */
import type { Tensor } from '../tensor.js';
// Anything that records a graph can be backpropagated: loading the engine here installs Tensor.backward.
import './engine.js';

export interface GradNode {
  readonly name: string;
  readonly inputs: readonly Tensor[];
  backward(gradOutput: Float32Array): (Float32Array | null)[];
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * Runs `fn` without recording a graph (inference, rollouts, reference-model log-probs). Works for sync and async
 * functions; for async ones grad mode stays off until the promise settles, so do not interleave with training.
 */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  let result: T;
  try {
    result = fn();
  } catch (err) {
    gradEnabled = previous;
    throw err;
  }
  if (result instanceof Promise) {
    return result.finally(() => {
      gradEnabled = previous;
    }) as T;
  }
  gradEnabled = previous;
  return result;
}

/** Sets grad mode and returns the previous value (for scoped toggles in loops). */
export function setGradEnabled(enabled: boolean): boolean {
  const previous = gradEnabled;
  gradEnabled = enabled;
  return previous;
}

/** Attaches `backward` to `out` when a graph should be recorded; returns `out`. */
export function record(
  out: Tensor,
  name: string,
  inputs: readonly Tensor[],
  backward: (gradOutput: Float32Array) => (Float32Array | null)[],
): Tensor {
  if (gradEnabled && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.gradNode = { name, inputs, backward };
  }
  return out;
}
