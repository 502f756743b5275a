/**
 * embedding(weight [V, D], ids, idsShape) → [...idsShape, D]: row lookup (torch.nn.functional.embedding, HF
 * `embed_tokens`). Gradient flows to the weight only (a scatter-add of rows; ids are data). Leaves out padding_idx,
 * max_norm and sparse gradients.
 */
import { record } from '../autograd/node.js';
import { DTypeError, fmtShape, ShapeError } from '../errors.js';
import { allocFloat32 } from '../memory/pool.js';
import { kernel } from '../native.js';
import { Tensor } from '../tensor.js';
import { contiguous } from './copy.js';
import { checkIndexShape, checkInt32, checkRange } from './indices.js';

type Buf = Float32Array;
const embeddingForward = kernel<(w: Buf, V: number, D: number, ids: Int32Array, out: Buf) => void>('embeddingForward');
const embeddingBackward = kernel<(g: Buf, V: number, D: number, ids: Int32Array, gw: Buf) => void>('embeddingBackward');

/**
 * Looks up rows of `weight` ([V, D]) for every id; the result has shape `[...idsShape, D]`.
 * @throws DTypeError when ids is not an Int32Array; ShapeError when weight is not 2-d or ids does not fit idsShape;
 * IndexError naming the first id outside [0, V).
 */
export function embedding(weight: Tensor, ids: Int32Array, idsShape: readonly number[]): Tensor {
  if (!(weight instanceof Tensor)) throw new DTypeError('embedding: weight must be a Tensor');
  if (weight.ndim !== 2) throw new ShapeError(`embedding: weight must be [V, D], got ${fmtShape(weight.shape)}`);
  checkInt32('embedding', 'ids', ids);
  checkIndexShape('embedding', 'ids', ids, idsShape);
  const [V, D] = weight.shape;
  checkRange('embedding', 'id', ids, V, idsShape);
  const w = contiguous(weight);
  const out = allocFloat32(ids.length * D, { zero: false }); // [n, D]: every row copied by the kernel
  if (out.length > 0) embeddingForward(w.values(), V, D, ids, out);
  return record(new Tensor(out, [...idsShape, D]), 'embedding', [w], (g) => {
    const gw = allocFloat32(V * D);
    if (g.length > 0) embeddingBackward(g, V, D, ids, gw);
    return [gw];
  });
}
