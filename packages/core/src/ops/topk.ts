/**
 * topk(x, k, dim = -1) (torch.topk, largest and sorted): values and Int32Array indices of the k largest entries
 * along `dim`, largest first; ties go to the lower index, NaN ranks above every number (as PyTorch). No gradient: the
 * MoE router takes gradients through `gather` of the selected scores. Leaves out smallest-k and unsorted output.
 */
import { DTypeError, IndexError } from '../errors.js';
import { kernel } from '../native.js';
import { numelOf, Tensor } from '../tensor.js';
import { contiguous } from './copy.js';
import { normDim } from './view.js';

const topkForward =
  kernel<(x: Float32Array, outer: number, n: number, inner: number, k: number, v: Float32Array, i: Int32Array) => void>(
    'topkForward',
  );

/**
 * The k largest entries of x along `dim` (shape of x with `dim` set to k), with their indices along `dim`.
 * @throws IndexError for a bad dim or k outside [0, x.shape[dim]].
 */
export function topk(x: Tensor, k: number, dim = -1): { values: Tensor; indices: Int32Array } {
  if (!(x instanceof Tensor)) throw new DTypeError('topk: x must be a Tensor');
  const d = normDim('topk', dim, x.ndim);
  const n = x.ndim === 0 ? 1 : x.shape[d];
  if (!Number.isInteger(k) || k < 0 || k > n) {
    throw new IndexError(`topk: k = ${k} must be an integer in [0, ${n}] (size of dim ${d})`);
  }
  const outer = numelOf(x.shape.slice(0, d));
  const inner = numelOf(x.shape.slice(d + 1));
  const shape = x.ndim === 0 ? [] : x.shape.map((s, i) => (i === d ? k : s));
  const values = new Float32Array(outer * k * inner);
  const indices = new Int32Array(values.length);
  if (values.length > 0) topkForward(contiguous(x).values(), outer, n, inner, k, values, indices);
  return { values: new Tensor(values, shape), indices };
}
