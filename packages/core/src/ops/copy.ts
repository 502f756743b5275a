/**
 * contiguous(x): materialises a view in row-major order (native strided copy). Differentiable (identity gradient).
 */
import { record } from '../autograd/node.js';
import { allocFloat32 } from '../memory/pool.js';
import { kernel } from '../native.js';
import { installTensorHooks, Tensor } from '../tensor.js';

const copyStrided =
  kernel<(src: Float32Array, shape: number[], strides: number[], offset: number, dst: Float32Array) => void>(
    'copyStrided',
  );
/** dst[view(i)] += grad[i]; with `uninit` dst may hold anything on entry (the kernel assigns or zeroes first). */
export const scatterStridedAdd =
  kernel<
    (
      grad: Float32Array,
      shape: number[],
      strides: number[],
      offset: number,
      dst: Float32Array,
      uninit?: boolean,
    ) => void
  >('scatterStridedAdd');

function materialize(x: Tensor): Float32Array {
  const out = allocFloat32(x.numel, { zero: false }); // every value written
  if (x.numel > 0) copyStrided(x.storage, x.shape, x.strides, x.offset, out);
  return out;
}

installTensorHooks({ materialize });

/**
 * Returns x itself when already contiguous (its `values()` is then a zero-copy subarray, even at an offset), else a
 * contiguous copy (gradient flows through).
 */
export function contiguous(x: Tensor): Tensor {
  if (x.isContiguous()) return x;
  const out = new Tensor(materialize(x), x.shape);
  return record(out, 'contiguous', [x], (g) => [g]);
}
