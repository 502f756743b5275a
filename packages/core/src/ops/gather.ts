/**
 * gather(x, dim, index, indexShape) (torch.gather): `out[..., j, ...] = x[..., index[..., j, ...], ...]` along `dim`;
 * index has x's rank and is no larger than x outside `dim`. x is read through its strides (views are not copied).
 * Gradient to x: scatter-add into zeros (repeated indices accumulate). Used for MoE routing weights and per-token
 * picks. Leaves out sparse_grad.
 */
import { record } from '../autograd/node.js';
import { DTypeError, fmtShape, ShapeError } from '../errors.js';
import { allocFloat32 } from '../memory/pool.js';
import { kernel } from '../native.js';
import { numelOf, Tensor } from '../tensor.js';
import { checkIndexShape, checkInt32, checkRange } from './indices.js';
import { normDim } from './view.js';

type Buf = Float32Array;
type Fn = (
  src: Buf,
  xShape: number[],
  xStrides: number[],
  xOffset: number,
  dim: number,
  index: Int32Array,
  indexShape: number[],
  dst: Buf,
) => void;
const gatherForward = kernel<Fn>('gatherForward');
const gatherBackward = kernel<Fn>('gatherBackward');

/** Shared by gather and scatterAdd: index's rank and extents against x's (and src's). */
export function checkGatherShapes(op: string, x: Tensor, d: number, indexShape: readonly number[], src?: Tensor): void {
  if (indexShape.length !== x.ndim) {
    throw new ShapeError(`${op}: index shape ${fmtShape(indexShape)} must have the rank of x ${fmtShape(x.shape)}`);
  }
  for (let k = 0; k < x.ndim; k++) {
    if (k !== d && indexShape[k] > x.shape[k]) {
      throw new ShapeError(
        `${op}: index shape ${fmtShape(indexShape)} is larger than x ${fmtShape(x.shape)} in dim ${k} (not the gather dim ${d})`,
      );
    }
    if (src && (src.ndim !== x.ndim || indexShape[k] > src.shape[k])) {
      throw new ShapeError(`${op}: index shape ${fmtShape(indexShape)} does not fit inside src ${fmtShape(src.shape)}`);
    }
  }
}

/**
 * Picks `x` entries along `dim` at `index` (shape `indexShape`, the output's shape).
 * @throws DTypeError when index is not an Int32Array; ShapeError on rank / extent mismatches; IndexError for a bad
 * dim or an index outside [0, x.shape[dim]).
 */
export function gather(x: Tensor, dim: number, index: Int32Array, indexShape: readonly number[]): Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError('gather: x must be a Tensor');
  checkInt32('gather', 'index', index);
  checkIndexShape('gather', 'index', index, indexShape);
  if (x.ndim === 0) throw new ShapeError('gather: x must have at least 1 dim');
  const d = normDim('gather', dim, x.ndim);
  checkGatherShapes('gather', x, d, indexShape);
  checkRange('gather', 'index', index, x.shape[d], indexShape);
  const shape = [...indexShape];
  const out = allocFloat32(numelOf(shape));
  if (out.length > 0) gatherForward(x.storage, x.shape, x.strides, x.offset, d, index, shape, out);
  return record(new Tensor(out, shape), 'gather', [x], (g) => {
    const gx = allocFloat32(x.numel);
    if (g.length > 0) gatherBackward(g, x.shape, x.strides, 0, d, index, shape, gx);
    return [gx];
  });
}
