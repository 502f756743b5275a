/**
 * linear(x, weight, bias?) = x @ weightᵀ + bias with the Hugging Face / PyTorch weight layout [out, in]
 * (`nn.Linear`, every projection in HF `modeling_deepseek_v3.py`). One native sgemm call with the weight read
 * transposed in place (no copy of the weight, ever: it is the largest tensor the model touches); the bias is written
 * into the output first and the product added on top (beta = 1). Backward: dx = dy @ W, dW = dyᵀ @ x, db = Σ_rows dy,
 * each one sgemm / one reduction. Leaves out: fused activations, quantised weights.
 */
import { record } from '../autograd/node.js';
import { DTypeError, fmtShape, ShapeError } from '../errors.js';
import { allocFloat32 } from '../memory/pool.js';
import { kernel } from '../native.js';
import { numelOf, Tensor } from '../tensor.js';
import { contiguous } from './copy.js';
import { batchedGemm, gemmLayout } from './matmul.js';

const fillRows = kernel<(c: Float32Array, rows: number, cols: number, bias: Float32Array) => void>('fillRows');
const sumRows = kernel<(g: Float32Array, rows: number, cols: number, out: Float32Array) => void>('sumRows');

/**
 * `x [..., in] @ weightᵀ + bias → [..., out]`, weight in HF layout `[out, in]`, bias `[out]`.
 * @throws DTypeError when an argument is not a Tensor; ShapeError when `x`'s last dim is not `in`, the weight is not
 * 2-d or the bias is not `[out]`.
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  if (!(x instanceof Tensor) || !(weight instanceof Tensor) || (bias !== undefined && !(bias instanceof Tensor))) {
    throw new DTypeError('linear: x, weight and bias must be Tensors');
  }
  if (weight.ndim !== 2) throw new ShapeError(`linear: weight must be [out, in], got ${fmtShape(weight.shape)}`);
  const [outF, inF] = weight.shape;
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== inF) {
    throw new ShapeError(
      `linear: x ${fmtShape(x.shape)} does not end in the weight's in-features ${inF} (weight ${fmtShape(weight.shape)})`,
    );
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== outF)) {
    throw new ShapeError(`linear: bias ${fmtShape(bias.shape)} must be [${outF}] for weight ${fmtShape(weight.shape)}`);
  }
  const X = contiguous(x); // [rows, in]
  const W = gemmLayout(outF, inF, weight.strides[0], weight.strides[1]) ? weight : contiguous(weight);
  const wl = gemmLayout(outF, inF, W.strides[0], W.strides[1])!;
  const rows = numelOf(x.shape.slice(0, -1));
  const outShape = [...x.shape.slice(0, -1), outF];
  const out = allocFloat32(rows * outF, { zero: false }); // bias rows or beta = 0 write every value // [rows, out]
  if (bias && out.length > 0) fillRows(out, rows, outF, bias.values());
  if (out.length > 0) {
    // op(B) = Wᵀ [in, out]: the weight's own layout with the trans flag flipped.
    batchedGemm(
      0,
      1 - wl.trans,
      rows,
      outF,
      inF,
      1,
      X.storage,
      inF,
      [X.offset],
      W.storage,
      wl.ld,
      [W.offset],
      bias ? 1 : 0,
      out,
      outF,
      [0],
      0,
      0,
    );
  }
  const inputs = bias ? [X, W, bias] : [X, W];
  return record(new Tensor(out, outShape), 'linear', inputs, (g) => {
    const grads: (Float32Array | null)[] = [null, null, null];
    if (X.requiresGrad) {
      const gx = allocFloat32(rows * inF, { zero: g.length === 0 }); // dx [rows, in] = dy [rows, out] @ W [out, in]
      if (gx.length > 0 && g.length > 0) {
        batchedGemm(0, wl.trans, rows, inF, outF, 1, g, outF, [0], W.storage, wl.ld, [W.offset], 0, gx, inF, [0], 0, 0);
      }
      grads[0] = gx;
    }
    if (W.requiresGrad) {
      const gw = allocFloat32(outF * inF, { zero: rows === 0 }); // dW [out, in] = dyᵀ [out, rows] @ x [rows, in]
      if (gw.length > 0 && rows > 0) {
        batchedGemm(1, 0, outF, inF, rows, 1, g, outF, [0], X.storage, inF, [X.offset], 0, gw, inF, [0], 0, 0);
      }
      grads[1] = gw;
    }
    if (bias?.requiresGrad) {
      const gb = allocFloat32(outF);
      if (outF > 0) sumRows(g, rows, outF, gb);
      grads[2] = gb;
    }
    return grads.slice(0, inputs.length);
  });
}
