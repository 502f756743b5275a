/**
 * rmsNorm(x [..., D], weight [D], eps), fused: y = x · rsqrt(mean(x²) + eps) · weight, exactly HF `DeepseekV3RMSNorm`
 * (computed in float32; the sum of squares is accumulated in double). The forward keeps one float per row (the
 * reciprocal RMS) for the backward, which computes dx and dweight in one native pass.
 */
import { record } from '../autograd/node.js';
import { DTypeError, fmtShape, ShapeError, ValueError } from '../errors.js';
import { allocFloat32 } from '../memory/pool.js';
import { kernel } from '../native.js';
import { Tensor } from '../tensor.js';
import { contiguous } from './copy.js';

type Buf = Float32Array;
const rmsNormForward =
  kernel<(x: Buf, w: Buf, rows: number, D: number, eps: number, out: Buf, rstd: Buf) => void>('rmsNormForward');
const rmsNormBackward =
  kernel<(g: Buf, x: Buf, w: Buf, rstd: Buf, rows: number, D: number, gx: Buf | null, gw: Buf | null) => void>(
    'rmsNormBackward',
  );

/**
 * Root-mean-square normalisation over the last dim, scaled by `weight`.
 * @throws ShapeError when weight is not `[D]` for x `[..., D]`; ValueError when eps is negative or not finite.
 */
export function rmsNorm(x: Tensor, weight: Tensor, eps: number): Tensor {
  if (!(x instanceof Tensor) || !(weight instanceof Tensor))
    throw new DTypeError('rmsNorm: x and weight must be Tensors');
  if (x.ndim === 0) throw new ShapeError('rmsNorm: x must have at least 1 dim');
  const D = x.shape[x.ndim - 1];
  if (weight.ndim !== 1 || weight.shape[0] !== D) {
    throw new ShapeError(`rmsNorm: weight ${fmtShape(weight.shape)} must be [${D}] for x ${fmtShape(x.shape)}`);
  }
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0) {
    throw new ValueError(`rmsNorm: eps must be a finite number >= 0, got ${eps}`);
  }
  const xc = contiguous(x);
  const w = contiguous(weight);
  const rows = D === 0 ? 0 : xc.numel / D;
  const out = allocFloat32(xc.numel, { zero: false });
  const rstd = new Float32Array(rows);
  if (out.length > 0) rmsNormForward(xc.values(), w.values(), rows, D, eps, out, rstd);
  return record(new Tensor(out, x.shape), 'rmsNorm', [xc, w], (g) => {
    const gx = xc.requiresGrad ? allocFloat32(xc.numel, { zero: false }) : null; // written in full
    const gw = w.requiresGrad ? allocFloat32(D) : null;
    if (rows > 0) rmsNormBackward(g, xc.values(), w.values(), rstd, rows, D, gx, gw);
    return [gx, gw];
  });
}
