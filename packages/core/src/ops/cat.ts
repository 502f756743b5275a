/**
 * cat(xs, dim) — concatenation along one dim (`native/src/ops/cat.cc`) — and split(x, sizes, dim), which returns
 * narrow() views (no copy). Inputs of cat are made contiguous (a no-op when they already are) and viewed as
 * [O, S_k, I]. Gradients: cat hands each input its slice of g; split's views scatter back through narrow.
 * Leaves out: PyTorch's legacy acceptance of 1-d empty tensors of any shape in cat.
 */
import { record } from '../autograd/node.js';
import { fmtShape, ShapeError, ValueError } from '../errors.js';
import { allocFloat32 } from '../memory/pool.js';
import { kernel } from '../native.js';
import { numelOf, Tensor } from '../tensor.js';
import { contiguous } from './copy.js';
import { assertTensor } from './validate.js';
import { narrow, normDim } from './view.js';

type Buf = Float32Array;
const catForward =
  kernel<(outer: number, inner: number, sizes: number[], inputs: Buf[], out: Buf) => void>('catForward');
const catBackward =
  kernel<(outer: number, inner: number, sizes: number[], g: Buf, grads: (Buf | null)[]) => void>('catBackward');

/**
 * Concatenates tensors along `dim`; all other sizes must match.
 * @throws ValueError for an empty list; ShapeError when ranks or other sizes differ; IndexError for a bad dim.
 */
export function cat(xs: readonly Tensor[], dim: number): Tensor {
  if (!Array.isArray(xs as unknown) || xs.length === 0)
    throw new ValueError('cat: xs must be a non-empty array of tensors');
  for (let k = 0; k < xs.length; k++) assertTensor('cat', `xs[${k}]`, xs[k]);
  const first = xs[0];
  if (first.ndim === 0) throw new ShapeError('cat: cannot concatenate 0-d tensors');
  const d = normDim('cat', dim, first.ndim);
  xs.forEach((x, k) => {
    const same = x.ndim === first.ndim && x.shape.every((s, i) => i === d || s === first.shape[i]);
    if (!same) {
      throw new ShapeError(
        `cat: xs[${k}] ${fmtShape(x.shape)} does not match xs[0] ${fmtShape(first.shape)} outside dim ${d}`,
      );
    }
  });
  const cs = xs.map((x) => contiguous(x));
  const sizes = cs.map((c) => c.shape[d]);
  const outShape = [...first.shape];
  outShape[d] = sizes.reduce((a, b) => a + b, 0);
  const outer = numelOf(first.shape.slice(0, d));
  const inner = numelOf(first.shape.slice(d + 1));
  const out = allocFloat32(numelOf(outShape)); // [O, ΣS, I]
  if (out.length > 0)
    catForward(
      outer,
      inner,
      sizes,
      cs.map((c) => c.values()),
      out,
    );
  return record(new Tensor(out, outShape), 'cat', cs, (g) => {
    const grads = cs.map((c) => (c.requiresGrad ? allocFloat32(c.numel) : null));
    if (g.length > 0) catBackward(outer, inner, sizes, g, grads);
    return grads;
  });
}

/**
 * Splits x along `dim` into views: `sizes` is either a chunk size (the last chunk may be smaller, as torch.split) or
 * the list of sizes, which must add up to the dim's size.
 * @throws ValueError for a non-positive chunk size or negative sizes; ShapeError when the sizes do not add up.
 */
export function split(x: Tensor, sizes: number | readonly number[], dim: number): Tensor[] {
  assertTensor('split', 'x', x);
  const d = normDim('split', dim, x.ndim);
  const total = x.shape[d];
  let parts: number[];
  if (typeof sizes === 'number') {
    if (!Number.isInteger(sizes) || sizes < 1) {
      throw new ValueError(`split: chunk size must be a positive integer, got ${sizes}`);
    }
    parts = [];
    for (let start = 0; start < total; start += sizes) parts.push(Math.min(sizes, total - start));
    if (parts.length === 0) parts.push(0);
  } else {
    parts = [...sizes];
    if (parts.some((s) => !Number.isInteger(s) || s < 0)) {
      throw new ValueError(`split: sizes [${parts.join(', ')}] must be non-negative integers`);
    }
    const sumSizes = parts.reduce((a, b) => a + b, 0);
    if (sumSizes !== total) {
      throw new ShapeError(
        `split: sizes [${parts.join(', ')}] add up to ${sumSizes}, but dim ${d} of x has size ${total}`,
      );
    }
  }
  const views: Tensor[] = [];
  let start = 0;
  for (const s of parts) {
    views.push(narrow(x, d, start, s));
    start += s;
  }
  return views;
}
