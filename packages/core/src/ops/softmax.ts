/**
 * softmax and logSoftmax along one dim, numerically stable (row max subtracted), with fused forward and backward
 * kernels over the last dim (`native/src/ops/softmax.cc`). Another dim is moved last with transpose + contiguous and
 * moved back afterwards (both differentiable, so the gradient composes). Gradients: softmax gx = y ⊙ (g − Σ g⊙y);
 * logSoftmax gx = g − softmax(x) · Σ g. Leaves out: a fused temperature / mask (compose with div / maskedFill).
 */
import { record } from '../autograd/node.js';
import { ShapeError } from '../errors.js';
import { allocFloat32 } from '../memory/pool.js';
import { kernel } from '../native.js';
import { Tensor } from '../tensor.js';
import { contiguous } from './copy.js';
import { assertTensor } from './validate.js';
import { normDim, transpose } from './view.js';

type Buf = Float32Array;
const softmaxForward = kernel<(rows: number, cols: number, x: Buf, out: Buf, isLog: boolean) => void>('softmaxForward');
const softmaxBackward =
  kernel<(rows: number, cols: number, y: Buf, g: Buf, gx: Buf, isLog: boolean) => void>('softmaxBackward');

function lastDim(name: string, x: Tensor, isLog: boolean): Tensor {
  const c = contiguous(x); // [R, C] in memory, C = last dim
  const cols = c.shape[c.ndim - 1];
  const rows = cols === 0 ? 0 : c.numel / cols;
  const out = allocFloat32(c.numel, { zero: false }); // [R, C]
  if (out.length > 0) softmaxForward(rows, cols, c.values(), out, isLog);
  return record(new Tensor(out, c.shape), name, [c], (g) => {
    const gx = allocFloat32(c.numel, { zero: false }); // [R, C]
    if (gx.length > 0) softmaxBackward(rows, cols, out, g, gx, isLog);
    return [gx];
  });
}

function softmaxLike(name: 'softmax' | 'logSoftmax', x: Tensor, dim: number): Tensor {
  assertTensor(name, 'x', x);
  if (x.ndim === 0) throw new ShapeError(`${name}: x is 0-d; it needs at least one dim`);
  const d = normDim(name, dim, x.ndim);
  const isLog = name === 'logSoftmax';
  if (d === x.ndim - 1) return lastDim(name, x, isLog);
  return contiguous(transpose(lastDim(name, transpose(x, d, -1), isLog), d, -1));
}

/** exp(x) / Σ exp(x) along `dim` (default: the last). */
export function softmax(x: Tensor, dim = -1): Tensor {
  return softmaxLike('softmax', x, dim);
}

/** x − log Σ exp(x) along `dim` (default: the last); stable for large logits. */
export function logSoftmax(x: Tensor, dim = -1): Tensor {
  return softmaxLike('logSoftmax', x, dim);
}
