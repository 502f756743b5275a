/**
 * Op checking against a plain float64 JS reference: the forward must match the reference, and autograd's gradients
 * must match central finite differences of the reference (in float64, so the check is sharp). Used by every op test.
 */
import { expect } from 'vitest';
import { poisonBufferPool, setBufferPoolOptions } from '../memory/pool.js';
import { mul } from '../ops/binary.js';
import { mulberry32 } from '../random.js';
import { Tensor } from '../tensor.js';

export interface RefInput {
  values: Float64Array;
  shape: number[];
}

/** A deterministic uniform [0, 1) PRNG (mulberry32) so test failures reproduce. */
export const rng = mulberry32;

/** A leaf tensor with uniform values in [lo, hi). */
export function randTensor(shape: number[], seed: number, lo = -1, hi = 1): Tensor {
  const r = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = lo + (hi - lo) * r();
  return new Tensor(data, shape).requiresGrad_();
}

export function maxRelError(actual: ArrayLike<number>, expected: ArrayLike<number>, floor = 1e-3): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(Math.abs(expected[i]), floor);
    if (!(err <= worst)) worst = err; // NaN propagates as a failure
  }
  return worst;
}

export interface OpCheck {
  /** The inputs as given to `forward` (may be views); gradients are checked for those with requiresGrad. */
  inputs: Tensor[];
  forward: (...inputs: Tensor[]) => Tensor;
  /** The same op on logical row-major float64 values. */
  reference: (...inputs: RefInput[]) => Float64Array;
  /** Relative tolerance of the forward (default 1e-5). */
  forwardTol?: number;
  /** Relative tolerance of gradients (default 1e-3; float32 analytic vs float64 numeric). */
  gradTol?: number;
  /** Finite-difference step (default 1e-4). */
  eps?: number;
  seed?: number;
}

/** Runs the forward and gradient checks; fails the surrounding vitest test with a clear message. */
export function checkOp(c: OpCheck): void {
  const refInputs = c.inputs.map((t) => ({ values: Float64Array.from(t.toFloat32Array()), shape: [...t.shape] }));
  // Test shapes are small: pool every length so the op's buffers go through reuse (and the poison check below).
  const poolSettings = setBufferPoolOptions({ minLength: 1 });
  try {
    checkOpPooled(c, refInputs);
  } finally {
    setBufferPoolOptions(poolSettings);
  }
}

function checkOpPooled(c: OpCheck, refInputs: RefInput[]): void {
  const out = c.forward(...c.inputs);
  const expected = c.reference(...refInputs);
  expect(out.numel, 'output size').toBe(expected.length);
  expect(maxRelError(out.toFloat32Array(), expected), 'forward relative error').toBeLessThanOrEqual(
    c.forwardTol ?? 1e-5,
  );

  const needGrad = c.inputs.filter((t) => t.requiresGrad);
  if (needGrad.length === 0 || !out.requiresGrad) return;
  // Random projection of the output makes every output element count (sum would hide sign errors in e.g. softmax).
  const w = randTensor(out.shape, c.seed ?? 7).detach();
  for (const t of c.inputs) t.grad = null;
  const loss = mul(out, w);
  loss.backward(new Tensor(new Float32Array(loss.numel).fill(1), loss.shape));
  // Whatever the buffer pool holds idle turns NaN: an output or gradient wrongly recycled while in use fails below.
  poisonBufferPool();
  expect(maxRelError(out.toFloat32Array(), expected), 'forward after backward').toBeLessThanOrEqual(
    c.forwardTol ?? 1e-5,
  );
  const wv = Float64Array.from(w.toFloat32Array());
  const objective = (inputs: RefInput[]) => {
    const y = c.reference(...inputs);
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i] * wv[i];
    return s;
  };
  const eps = c.eps ?? 1e-4;
  c.inputs.forEach((t, k) => {
    if (!t.requiresGrad) return;
    const analytic = t.grad?.toFloat32Array();
    expect(analytic, `gradient of input ${k} was not computed`).toBeDefined();
    const numeric = new Float64Array(t.numel);
    const values = refInputs[k].values;
    for (let i = 0; i < t.numel; i++) {
      const orig = values[i];
      values[i] = orig + eps;
      const up = objective(refInputs);
      values[i] = orig - eps;
      const down = objective(refInputs);
      values[i] = orig;
      numeric[i] = (up - down) / (2 * eps);
    }
    expect(maxRelError(analytic!, numeric, 1e-2), `gradient of input ${k}`).toBeLessThanOrEqual(c.gradTol ?? 1e-3);
  });
}
