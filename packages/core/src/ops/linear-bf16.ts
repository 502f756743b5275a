/**
 * linearBf16(x, weight) = x @ weightᵀ with the weight held as bfloat16 (HF layout [out, in], Uint16Array words) and
 * x, the output and every sum in float32: the decode-time linear layer reading half the weight bytes per token
 * (batch-1 decode is memory-bound). Widening bf16 → f32 is exact, so the result is the f32 `linear` of the widened
 * weight up to the order of the K sum. Native kernel: native/src/linear_bf16.cc (portable, AVX2, AVX-512F).
 * Leaves out: gradients (an inference op: x must not require grad), bias, bf16 activations (AVX-512 BF16's
 * vdpbf16ps would round x too), a tiled path for large batches.
 */
import { DTypeError, fmtShape, ShapeError, ValueError } from '../errors.js';
import { f32ToBf16 } from '../io/half.js';
import { kernel } from '../native.js';
import { Tensor } from '../tensor.js';
import { contiguous } from './copy.js';

/** A bf16 weight: `data` holds `shape[0] * shape[1]` bf16 words, row-major `[out, in]`. */
export interface Bf16Weight {
  readonly data: Uint16Array;
  readonly shape: readonly [number, number];
}

const linearBf16Kernel =
  kernel<(x: Float32Array, M: number, K: number, w: Uint16Array, N: number, y: Float32Array, portable: number) => void>(
    'linearBf16',
  );

/** Rounds an f32 weight `[out, in]` to bf16 (nearest even, as torch's `.to(torch.bfloat16)`). */
export function toBf16Weight(weight: Tensor): Bf16Weight {
  if (!(weight instanceof Tensor)) throw new DTypeError('toBf16Weight: weight must be a Tensor');
  if (weight.ndim !== 2) throw new ShapeError(`toBf16Weight: weight must be [out, in], got ${fmtShape(weight.shape)}`);
  return { data: f32ToBf16(contiguous(weight).values()), shape: [weight.shape[0], weight.shape[1]] };
}

/**
 * `x [..., in] @ weightᵀ → [..., out]` with a bf16 weight `[out, in]`. `options.portable` runs the plain C++ kernel
 * whatever the CPU (tests).
 * @throws DTypeError when x is not a Tensor or weight.data is not a Uint16Array; ShapeError when the weight's shape is
 * not two positive integers matching its data, or x's last dim is not `in`; ValueError when x requires grad or an option is unknown.
 */
export function linearBf16(x: Tensor, weight: Bf16Weight, options: { portable?: boolean } = {}): Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError('linearBf16: x must be a Tensor');
  for (const key of Object.keys(options)) {
    if (key !== 'portable') throw new ValueError(`linearBf16: unknown option "${key}" (only "portable")`);
  }
  if (!weight || !(weight.data instanceof Uint16Array)) {
    throw new DTypeError(
      `linearBf16: weight.data must be a Uint16Array of bf16 words, got ${weight?.data?.constructor?.name ?? typeof weight?.data}`,
    );
  }
  const shape = weight.shape;
  if (!Array.isArray(shape) || shape.length !== 2 || !shape.every((s) => Number.isInteger(s) && s > 0)) {
    throw new ShapeError(
      `linearBf16: weight.shape must be [out, in] (positive integers), got ${JSON.stringify(shape)}`,
    );
  }
  const [outF, inF] = shape;
  if (weight.data.length !== outF * inF) {
    throw new ShapeError(
      `linearBf16: weight.data holds ${weight.data.length} words, weight.shape ${fmtShape(shape)} needs ${outF * inF}`,
    );
  }
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== inF) {
    throw new ShapeError(`linearBf16: x ${fmtShape(x.shape)} does not end in the weight's in-features ${inF}`);
  }
  if (x.requiresGrad)
    throw new ValueError('linearBf16: x requires grad, but linearBf16 has no backward (inference only)');
  const rows = x.numel / inF;
  const y = new Float32Array(rows * outF);
  if (rows > 0) linearBf16Kernel(contiguous(x).values(), rows, inF, weight.data, outF, y, options.portable ? 1 : 0);
  return new Tensor(y, [...x.shape.slice(0, -1), outF]);
}
