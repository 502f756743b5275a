/**
 * indexSelect(x, dim, index) (torch.index_select): picks entries `index` along `dim`; the output has
 * `index.length` there. Gradient to x: scatter-add of the output gradient (repeated indices accumulate).
 */
import { record } from '../autograd/node.js';
import { DTypeError } from '../errors.js';
import { allocFloat32 } from '../memory/pool.js';
import { kernel } from '../native.js';
import { numelOf, Tensor } from '../tensor.js';
import { contiguous } from './copy.js';
import { checkInt32, checkRange } from './indices.js';
import { normDim } from './view.js';

type Buf = Float32Array;
type Fn = (src: Buf, outer: number, size: number, inner: number, index: Int32Array, dst: Buf) => void;
const indexSelectForward = kernel<Fn>('indexSelectForward');
const indexSelectBackward = kernel<Fn>('indexSelectBackward');

/**
 * Entries `index` of `x` along `dim` (negative dims count from the end).
 * @throws DTypeError when index is not an Int32Array; IndexError for a bad dim or an index outside the dim's size.
 */
export function indexSelect(x: Tensor, dim: number, index: Int32Array): Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError('indexSelect: x must be a Tensor');
  checkInt32('indexSelect', 'index', index);
  const d = normDim('indexSelect', dim, x.ndim);
  const size = x.ndim === 0 ? 1 : x.shape[d];
  checkRange('indexSelect', 'index', index, size);
  const outer = numelOf(x.shape.slice(0, d));
  const inner = numelOf(x.shape.slice(d + 1));
  const xc = contiguous(x);
  const outShape = x.ndim === 0 ? [index.length] : x.shape.map((s, i) => (i === d ? index.length : s));
  const out = allocFloat32(outer * index.length * inner); // [outer, n, inner]
  if (out.length > 0) indexSelectForward(xc.values(), outer, size, inner, index, out);
  return record(new Tensor(out, outShape), 'indexSelect', [xc], (g) => {
    const gx = allocFloat32(xc.numel);
    if (g.length > 0) indexSelectBackward(g, outer, size, inner, index, gx);
    return [gx];
  });
}
