/**
 * add / sub / mul / div / maximum / minimum with broadcasting, over any strided views (no copy of non-contiguous inputs).
 * Gradients: d(a±b) = g, ±g; d(ab) = g·b, g·a; d(a/b) = g/b, −g·a/b²; maximum / minimum send g to the winning side
 * (to a on ties, like torch's first-wins convention for this contract); each summed over the input's broadcast dims.
 * A number operand is treated as a 0-d tensor.
 */
import { record } from '../autograd/node.js';
import { allocFloat32 } from '../memory/pool.js';
import { kernel } from '../native.js';
import { numelOf, scalar, Tensor } from '../tensor.js';
import { broadcastShapes, broadcastStrides, gradStrides } from './broadcast.js';
import { tensorOrScalar } from './validate.js';

type Buf = Float32Array;
const binaryForward =
  kernel<
    (op: number, shape: number[], a: Buf, aS: number[], aO: number, b: Buf, bS: number[], bO: number, out: Buf) => void
  >('binaryForward');
const binaryBackward =
  kernel<
    (
      op: number,
      shape: number[],
      a: Buf,
      aS: number[],
      aO: number,
      b: Buf,
      bS: number[],
      bO: number,
      g: Buf,
      ga: Buf | null,
      gaS: number[],
      gb: Buf | null,
      gbS: number[],
      uninit: boolean,
    ) => void
  >('binaryBackward');

const OPS = { add: 0, sub: 1, mul: 2, div: 3, maximum: 4, minimum: 5 } as const;
type BinaryName = keyof typeof OPS;

function binary(name: BinaryName, a: Tensor | number, b: Tensor | number): Tensor {
  const x = tensorOrScalar(name, 'a', a, scalar);
  const y = tensorOrScalar(name, 'b', b, scalar);
  const shape = broadcastShapes(name, x.shape, y.shape);
  const xs = broadcastStrides(x.shape, x.strides, shape);
  const ys = broadcastStrides(y.shape, y.strides, shape);
  const out = allocFloat32(numelOf(shape), { zero: false }); // every value written
  const op = OPS[name];
  if (out.length > 0) binaryForward(op, shape, x.storage, xs, x.offset, y.storage, ys, y.offset, out);
  return record(new Tensor(out, shape), name, [x, y], (g) => {
    // Not zeroed here: the kernel zeroes (threaded) only what it accumulates into, and overwrites the rest.
    const zero = g.length === 0;
    const ga = x.requiresGrad ? allocFloat32(x.numel, { zero }) : null;
    const gb = y.requiresGrad ? allocFloat32(y.numel, { zero }) : null;
    if (g.length > 0) {
      const gaS = gradStrides(x.shape, shape);
      const gbS = gradStrides(y.shape, shape);
      binaryBackward(op, shape, x.storage, xs, x.offset, y.storage, ys, y.offset, g, ga, gaS, gb, gbS, true);
    }
    return [ga, gb];
  });
}

/** a + b, broadcasting. */
export const add = (a: Tensor | number, b: Tensor | number): Tensor => binary('add', a, b);
/** a − b, broadcasting. */
export const sub = (a: Tensor | number, b: Tensor | number): Tensor => binary('sub', a, b);
/** a · b (elementwise), broadcasting. */
export const mul = (a: Tensor | number, b: Tensor | number): Tensor => binary('mul', a, b);
/** a / b (elementwise), broadcasting. */
export const div = (a: Tensor | number, b: Tensor | number): Tensor => binary('div', a, b);
/** Elementwise max(a, b), broadcasting; NaN propagates; on ties the gradient goes to a. */
export const maximum = (a: Tensor | number, b: Tensor | number): Tensor => binary('maximum', a, b);
/** Elementwise min(a, b), broadcasting; NaN propagates; on ties the gradient goes to a. */
export const minimum = (a: Tensor | number, b: Tensor | number): Tensor => binary('minimum', a, b);
