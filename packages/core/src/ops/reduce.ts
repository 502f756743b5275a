/**
 * Reductions: sum and mean over any dims (keepdim), max over one dim with the gradient to the first argmax
 * (`native/src/ops/reduce.cc`). The input view is permuted (no copy) so kept dims come first and reduced dims last;
 * sums accumulate in float64. Gradients: sum → g broadcast back over the reduced dims (a native strided copy); mean →
 * the same times 1/count; max → g at the argmax, zero elsewhere. mean over zero elements is NaN, as in PyTorch.
 * Leaves out: min/argmin/prod/var (min is −max(−x)).
 */
import { record } from '../autograd/node.js';
import { fmtShape, ShapeError, ValueError } from '../errors.js';
import { allocFloat32 } from '../memory/pool.js';
import { kernel } from '../native.js';
import { contiguousStrides, numelOf, Tensor } from '../tensor.js';
import { assertTensor } from './validate.js';
import { normDim } from './view.js';

type Buf = Float32Array;
const sumForward =
  kernel<
    (shape: number[], strides: number[], offset: number, x: Buf, keptDims: number, scale: number, out: Buf) => void
  >('sumForward');
const maxForward =
  kernel<(shape: number[], strides: number[], offset: number, x: Buf, out: Buf, argmax: Int32Array) => void>(
    'maxForward',
  );
const maxBackward =
  kernel<(shape: number[], gxStrides: number[], g: Buf, argmax: Int32Array, gx: Buf) => void>('maxBackward');
const copyStrided =
  kernel<(src: Buf, shape: number[], strides: number[], offset: number, dst: Buf) => void>('copyStrided');
const scaleInPlace = kernel<(x: Buf, n: number, scale: number) => void>('scaleInPlace');

/** Normalised, sorted, distinct reduced dims (`undefined` = all). */
function reducedDims(op: string, x: Tensor, dims: number | readonly number[] | undefined): number[] {
  if (dims === undefined) return x.shape.map((_, i) => i);
  if (typeof dims !== 'number' && !Array.isArray(dims)) {
    throw new ValueError(`${op}: dims must be a number or an array of numbers, got ${typeof dims}`);
  }
  const list: number[] = typeof dims === 'number' ? [dims] : [...dims];
  const norm = list.map((d) => normDim(op, d, x.ndim));
  if (new Set(norm).size !== norm.length) {
    throw new ValueError(`${op}: dims [${list.join(', ')}] name the same dim twice`);
  }
  return norm.sort((a, b) => a - b);
}

function sumLike(
  op: 'sum' | 'mean',
  x: Tensor,
  dims: number | readonly number[] | undefined,
  keepdim: boolean,
): Tensor {
  assertTensor(op, 'x', x);
  const reduced = reducedDims(op, x, dims);
  const isReduced = x.shape.map((_, i) => reduced.includes(i));
  const kept = x.shape.map((_, i) => i).filter((i) => !isReduced[i]);
  const order = [...kept, ...reduced];
  const count = numelOf(reduced.map((d) => x.shape[d]));
  const scale = op === 'mean' ? (count === 0 ? Number.NaN : 1 / count) : 1; // mean of nothing is NaN
  const outShape = keepdim ? x.shape.map((s, i) => (isReduced[i] ? 1 : s)) : kept.map((d) => x.shape[d]);
  const out = allocFloat32(numelOf(outShape));
  sumForward(
    order.map((d) => x.shape[d]),
    order.map((d) => x.strides[d]),
    x.offset,
    x.storage,
    kept.length,
    scale,
    out,
  );
  return record(new Tensor(out, outShape), op, [x], (g) => {
    // g has the kept dims only (row-major); read it over x's shape with stride 0 on the reduced dims.
    const gStrides = new Array<number>(x.ndim).fill(0);
    const keptStrides = contiguousStrides(kept.map((d) => x.shape[d]));
    kept.forEach((d, k) => {
      gStrides[d] = keptStrides[k];
    });
    const gx = allocFloat32(x.numel);
    if (gx.length > 0) {
      copyStrided(g, x.shape, gStrides, 0, gx);
      if (scale !== 1) scaleInPlace(gx, gx.length, scale);
    }
    return [gx];
  });
}

/**
 * Σ of x over `dims` (a dim, a list, or all when omitted); keepdim leaves size-1 dims in their place.
 * @throws IndexError for a dim out of range; ValueError for a repeated dim.
 */
export function sum(x: Tensor, dims?: number | readonly number[], keepdim = false): Tensor {
  return sumLike('sum', x, dims, keepdim);
}

/** Mean of x over `dims` (all when omitted); NaN over zero elements. */
export function mean(x: Tensor, dims?: number | readonly number[], keepdim = false): Tensor {
  return sumLike('mean', x, dims, keepdim);
}

/**
 * Max of x along `dim`; the gradient goes to the first position holding the max (NaN counts as the max).
 * @throws ShapeError for a 0-d tensor or an empty `dim`; IndexError for a dim out of range.
 */
export function max(x: Tensor, dim: number, keepdim = false): Tensor {
  assertTensor('max', 'x', x);
  if (x.ndim === 0) throw new ShapeError('max: x is 0-d; reshape it to [1] first');
  const d = normDim('max', dim, x.ndim);
  if (x.shape[d] === 0) throw new ShapeError(`max: dim ${d} of x ${fmtShape(x.shape)} is empty`);
  const order = [...x.shape.map((_, i) => i).filter((i) => i !== d), d];
  const shape = order.map((k) => x.shape[k]);
  const outShape = keepdim ? x.shape.map((s, i) => (i === d ? 1 : s)) : shape.slice(0, -1);
  const out = allocFloat32(numelOf(outShape));
  const argmax = new Int32Array(out.length);
  if (out.length > 0) {
    maxForward(
      shape,
      order.map((k) => x.strides[k]),
      x.offset,
      x.storage,
      out,
      argmax,
    );
  }
  return record(new Tensor(out, outShape), 'max', [x], (g) => {
    const gx = allocFloat32(x.numel);
    const xStrides = contiguousStrides(x.shape);
    if (g.length > 0)
      maxBackward(
        shape,
        order.map((k) => xStrides[k]),
        g,
        argmax,
        gx,
      );
    return [gx];
  });
}
