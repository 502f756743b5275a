/**
 * where(mask, a, b) and maskedFill(x, mask, value): selection by a 0/1 float mask, all operands broadcast together,
 * read as strided views (`native/src/ops/where.cc`). Any non-zero mask value counts as set (NaN too).
 * Gradients: g goes to a where the mask is set and to b elsewhere (summed over broadcast dims); none to the mask.
 * maskedFill is where(mask, value, x) with the output kept in x's shape (the mask must broadcast to x, as in
 * torch.Tensor.masked_fill). Leaves out: boolean/integer masks (tensors are float32 here).
 */
import { record } from '../autograd/node.js';
import { fmtShape, ShapeError, ValueError } from '../errors.js';
import { allocFloat32 } from '../memory/pool.js';
import { kernel } from '../native.js';
import { numelOf, scalar, Tensor } from '../tensor.js';
import { broadcastShapes, broadcastStrides, gradStrides } from './broadcast.js';
import { assertTensor, tensorOrScalar } from './validate.js';

type Buf = Float32Array;
const whereForward =
  kernel<
    (
      shape: number[],
      m: Buf,
      mS: number[],
      mO: number,
      a: Buf,
      aS: number[],
      aO: number,
      b: Buf,
      bS: number[],
      bO: number,
      out: Buf,
    ) => void
  >('whereForward');
const whereBackward =
  kernel<
    (
      shape: number[],
      m: Buf,
      mS: number[],
      mO: number,
      g: Buf,
      ga: Buf | null,
      gaS: number[],
      gb: Buf | null,
      gbS: number[],
    ) => void
  >('whereBackward');

function select(op: string, mask: Tensor, x: Tensor, y: Tensor, shape: number[]): Tensor {
  const ms = broadcastStrides(mask.shape, mask.strides, shape);
  const xs = broadcastStrides(x.shape, x.strides, shape);
  const ys = broadcastStrides(y.shape, y.strides, shape);
  const out = allocFloat32(numelOf(shape));
  if (out.length > 0) {
    whereForward(shape, mask.storage, ms, mask.offset, x.storage, xs, x.offset, y.storage, ys, y.offset, out);
  }
  // The mask is not an input of the graph: it selects, it is not differentiated.
  return record(new Tensor(out, shape), op, [x, y], (g) => {
    const ga = x.requiresGrad ? allocFloat32(x.numel) : null;
    const gb = y.requiresGrad ? allocFloat32(y.numel) : null;
    if (g.length > 0) {
      whereBackward(
        shape,
        mask.storage,
        ms,
        mask.offset,
        g,
        ga,
        gradStrides(x.shape, shape),
        gb,
        gradStrides(y.shape, shape),
      );
    }
    return [ga, gb];
  });
}

/**
 * mask ? a : b elementwise; mask, a and b broadcast together (a number is a 0-d tensor).
 * @throws ShapeError when the shapes cannot be broadcast; DTypeError when an argument is not a float32 Tensor.
 */
export function where(mask: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  assertTensor('where', 'mask', mask);
  const x = tensorOrScalar('where', 'a', a, scalar);
  const y = tensorOrScalar('where', 'b', b, scalar);
  const shape = broadcastShapes('where', broadcastShapes('where', mask.shape, x.shape), y.shape);
  return select('where', mask, x, y, shape);
}

/**
 * x with `value` wherever mask is set; the mask broadcasts to x's shape. Gradient flows to x where the mask is clear.
 * @throws ShapeError when the mask does not broadcast to x; ValueError when value is NaN.
 */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  assertTensor('maskedFill', 'x', x);
  assertTensor('maskedFill', 'mask', mask);
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new ValueError(`maskedFill: value must be a number (±Infinity allowed), got ${String(value)}`);
  }
  const shape = broadcastShapes('maskedFill', x.shape, mask.shape);
  if (shape.join() !== x.shape.join()) {
    throw new ShapeError(`maskedFill: mask ${fmtShape(mask.shape)} does not broadcast to x ${fmtShape(x.shape)}`);
  }
  return select('maskedFill', mask, scalar(value), x, shape);
}
