/** Validation of integer index arguments (token ids, gather / scatter indices), shared by the indexing ops. */
import { DTypeError, fmtShape, IndexError, ShapeError } from '../errors.js';
import { checkShape, numelOf } from '../tensor.js';

/** Throws DTypeError unless `value` is an Int32Array. */
export function checkInt32(op: string, arg: string, value: unknown): asserts value is Int32Array {
  if (!(value instanceof Int32Array)) {
    const got = (value as object | null)?.constructor?.name ?? typeof value;
    throw new DTypeError(`${op}: ${arg} must be an Int32Array, got ${got}`);
  }
}

/** Throws IndexError naming the first entry of `index` outside [0, size). */
export function checkRange(op: string, arg: string, index: Int32Array, size: number, shape?: readonly number[]): void {
  for (let i = 0; i < index.length; i++) {
    const v = index[i];
    if (v < 0 || v >= size) {
      const where = shape && shape.length > 1 ? ` at ${fmtShape(unravel(i, shape))}` : ` at position ${i}`;
      throw new IndexError(`${op}: ${arg} ${v}${where} is outside [0, ${size})`);
    }
  }
}

/** Checks that an index array has exactly the number of entries its shape says. */
export function checkIndexShape(op: string, arg: string, index: Int32Array, shape: readonly number[]): void {
  checkShape(shape, op);
  if (index.length !== numelOf(shape)) {
    throw new ShapeError(
      `${op}: ${arg} has ${index.length} entries but its shape ${fmtShape(shape)} needs ${numelOf(shape)}`,
    );
  }
}

function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return idx;
}
