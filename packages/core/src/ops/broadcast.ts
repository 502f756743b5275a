/** Broadcasting rules (NumPy / PyTorch): align shapes on the right; sizes must match or be 1. */
import { fmtShape, ShapeError } from '../errors.js';
import { contiguousStrides } from '../tensor.js';

export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) {
      throw new ShapeError(`${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast together`);
    }
    out[i] = x === 1 ? y : x;
  }
  return out;
}

/** Strides that read a tensor of `shape`/`strides` as if it had `target` shape (0 on broadcast dims). */
export function broadcastStrides(shape: readonly number[], strides: readonly number[], target: readonly number[]) {
  const out = new Array<number>(target.length).fill(0);
  const lead = target.length - shape.length;
  for (let d = 0; d < shape.length; d++) out[lead + d] = shape[d] === 1 && target[lead + d] !== 1 ? 0 : strides[d];
  return out;
}

/** Strides mapping an index of `target` onto a contiguous buffer of `shape` (for reducing a broadcast gradient). */
export function gradStrides(shape: readonly number[], target: readonly number[]): number[] {
  return broadcastStrides(shape, contiguousStrides(shape), target);
}
