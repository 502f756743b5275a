/**
 * Argument checks shared by the ops: every public op validates its inputs here before any native call, so a wrong
 * argument becomes a typed error naming the op and the argument instead of a TypeError from the native boundary.
 */
import { DTypeError, ValueError } from '../errors.js';
import { Tensor } from '../tensor.js';

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v !== 'object') return typeof v;
  return (v as object).constructor?.name ?? 'object';
}

/** Throws DTypeError unless `x` is a Tensor over float32 storage. */
export function assertTensor(op: string, arg: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(`${op}: ${arg} must be a Tensor, got ${describe(x)}`);
  if (!(x.storage instanceof Float32Array)) {
    throw new DTypeError(`${op}: ${arg} must hold float32 values (a Float32Array), got ${describe(x.storage)}`);
  }
}

/** Throws ValueError unless `v` is a finite number. */
export function assertFinite(op: string, arg: string, v: unknown): asserts v is number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new ValueError(`${op}: ${arg} must be a finite number, got ${String(v)}`);
  }
}

/** A Tensor argument, or a number turned into a 0-d tensor. */
export function tensorOrScalar(op: string, arg: string, v: Tensor | number, toTensor: (n: number) => Tensor): Tensor {
  if (typeof v === 'number') return toTensor(v);
  assertTensor(op, arg, v);
  return v;
}
