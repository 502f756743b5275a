/**
 * scatterAdd(x, dim, index, indexShape, src) (torch.scatter_add, out of place): a copy of x with
 * `out[..., index[p], ...] += src[p]` along `dim` for every position p of index (src may be larger than index; only
 * its index-shaped corner is used). Gradients: dx = dout; dsrc = dout gathered at index (zero outside the corner).
 * The MoE combine step uses it to add expert outputs back to their tokens.
 */
import { record } from '../autograd/node.js';
import { DTypeError, fmtShape, ShapeError } from '../errors.js';
import { allocFloat32 } from '../memory/pool.js';
import { kernel } from '../native.js';
import { Tensor } from '../tensor.js';
import { contiguous } from './copy.js';
import { checkGatherShapes } from './gather.js';
import { checkIndexShape, checkInt32, checkRange } from './indices.js';
import { normDim } from './view.js';

type Buf = Float32Array;
type Fn = (
  dst: Buf,
  xShape: number[],
  dim: number,
  index: Int32Array,
  indexShape: number[],
  src: Buf,
  srcShape: number[],
) => void;
const scatterAddForward = kernel<Fn>('scatterAddForward');
const scatterAddBackward = kernel<Fn>('scatterAddBackward');

/**
 * x with src added at `index` along `dim` (x is not modified).
 * @throws DTypeError when index is not an Int32Array; ShapeError on rank / extent mismatches; IndexError for a bad
 * dim or an index outside [0, x.shape[dim]).
 */
export function scatterAdd(
  x: Tensor,
  dim: number,
  index: Int32Array,
  indexShape: readonly number[],
  src: Tensor,
): Tensor {
  if (!(x instanceof Tensor) || !(src instanceof Tensor)) throw new DTypeError('scatterAdd: x and src must be Tensors');
  checkInt32('scatterAdd', 'index', index);
  checkIndexShape('scatterAdd', 'index', index, indexShape);
  if (x.ndim === 0) throw new ShapeError('scatterAdd: x must have at least 1 dim');
  if (src.ndim !== x.ndim) {
    throw new ShapeError(`scatterAdd: src ${fmtShape(src.shape)} must have the rank of x ${fmtShape(x.shape)}`);
  }
  const d = normDim('scatterAdd', dim, x.ndim);
  checkGatherShapes('scatterAdd', x, d, indexShape, src);
  checkRange('scatterAdd', 'index', index, x.shape[d], indexShape);
  const s = contiguous(src);
  const shape = [...indexShape];
  const out = x.toFloat32Array();
  if (index.length > 0) scatterAddForward(out, x.shape, d, index, shape, s.values(), s.shape);
  return record(new Tensor(out, x.shape), 'scatterAdd', [x, s], (g) => {
    let gs: Float32Array | null = null;
    if (s.requiresGrad) {
      gs = allocFloat32(s.numel);
      if (index.length > 0) scatterAddBackward(g, x.shape, d, index, shape, gs, s.shape);
    }
    return [x.requiresGrad ? g : null, gs];
  });
}
