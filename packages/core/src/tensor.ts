/**
 * Tensor: float32 values in a Float32Array storage, viewed through shape, strides and an offset (all in elements).
 * Views (reshape of a contiguous tensor, transpose, slice, narrow, expand) share storage; ops that need contiguous
 * memory call `contiguous()`, which copies only when needed. Storage is a plain ArrayBuffer handed to the native
 * kernels without copying, so its memory is reclaimed by the JS garbage collector.
 */
import type { GradNode } from './autograd/node.js';
import { DTypeError, fmtShape, ShapeError, ValueError } from './errors.js';

export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = acc;
    acc *= shape[d];
  }
  return strides;
}

export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/**
 * Checks a shape: an array of safe non-negative integers whose product (the element count) is at most 2^53 − 1, so
 * every size, index and extent computed from it is exact in a JS number (and cannot wrap in the native int64 code).
 */
export function checkShape(shape: readonly number[], where: string): void {
  if (!Array.isArray(shape)) throw new ShapeError(`${where}: shape must be an array of integers, got ${typeof shape}`);
  let n = 1;
  for (const s of shape) {
    if (!Number.isSafeInteger(s) || s < 0)
      throw new ShapeError(`${where}: shape ${fmtShape(shape)} has an invalid size ${s}`);
    n *= s;
  }
  if (n > Number.MAX_SAFE_INTEGER) {
    throw new ShapeError(`${where}: shape ${fmtShape(shape)} has ${n} elements, more than 2^53 − 1`);
  }
}

/**
 * Checks a strided view over a storage of `length` values: strides (one per dim) and the offset are safe non-negative
 * integers and the last element the view reaches, offset + Σ (size − 1) · stride, is inside the storage. Views of a
 * real tensor always pass; a crafted one (hand-made strides, an expand to 2^64 elements) fails here with the numbers
 * instead of reading out of bounds in a kernel.
 */
export function checkLayout(
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
  length: number,
  where: string,
): void {
  checkShape(shape, where);
  if (!Array.isArray(strides) || strides.length !== shape.length) {
    throw new ShapeError(`${where}: strides ${String(strides)} do not match shape ${fmtShape(shape)}`);
  }
  for (const st of strides) {
    if (!Number.isSafeInteger(st) || st < 0) {
      throw new ShapeError(`${where}: strides ${fmtShape(strides)} have an invalid stride ${st}`);
    }
  }
  if (!Number.isSafeInteger(offset) || offset < 0) throw new ShapeError(`${where}: invalid offset ${offset}`);
  if (numelOf(shape) === 0) return;
  // Each term and the sum stay exact while below the storage length (< 2^53); past it, rounding cannot bring a
  // value back under the length, so the comparison is right either way.
  let last = offset;
  for (let d = 0; d < shape.length; d++) last += (shape[d] - 1) * strides[d];
  if (!(last < length)) {
    throw new ShapeError(
      `${where}: a view of shape ${fmtShape(shape)}, strides ${fmtShape(strides)} and offset ${offset} reaches element ` +
        `${last}, past the storage's ${length} values`,
    );
  }
}

export class Tensor {
  /** Sizes of each dimension. */
  readonly shape: number[];
  /** Step in elements between neighbours along each dimension (0 on broadcast dimensions). */
  readonly strides: number[];
  /** Element offset of the first value in `storage`. */
  readonly offset: number;
  /** Backing storage, possibly shared with other views. */
  readonly storage: Float32Array;
  /** Whether gradients flow to this tensor (leaf parameters, or results of ops on such tensors). */
  requiresGrad = false;
  /** Accumulated gradient after `backward()` (leaves only), contiguous, same shape. */
  grad: Tensor | null = null;
  /** The op that produced this tensor, when it is part of a graph being recorded. */
  gradNode: GradNode | null = null;
  /** Optional name (parameters carry their HF tensor name). */
  name?: string;

  constructor(storage: Float32Array, shape: readonly number[], strides?: readonly number[], offset = 0) {
    this.storage = storage;
    this.shape = [...shape];
    this.strides = strides ? [...strides] : contiguousStrides(shape);
    this.offset = offset;
    checkLayout(this.shape, this.strides, offset, storage?.length ?? 0, 'Tensor');
  }

  get ndim(): number {
    return this.shape.length;
  }

  get numel(): number {
    return numelOf(this.shape);
  }

  isContiguous(): boolean {
    let acc = 1;
    for (let d = this.shape.length - 1; d >= 0; d--) {
      if (this.shape[d] !== 1 && this.strides[d] !== acc) return false;
      acc *= this.shape[d];
    }
    return true;
  }

  /**
   * The values as a contiguous Float32Array, without copying when the tensor is already contiguous (then it aliases
   * the storage: do not write to it unless you own the tensor). Use `toFloat32Array()` for a private copy.
   */
  values(): Float32Array {
    if (this.isContiguous()) return this.storage.subarray(this.offset, this.offset + this.numel);
    return materialize(this);
  }

  /** A fresh copy of the values in row-major order. */
  toFloat32Array(): Float32Array {
    return this.isContiguous() ? this.storage.slice(this.offset, this.offset + this.numel) : materialize(this);
  }

  /** Nested JS arrays, for printing and tests. */
  toArray(): unknown {
    const v = this.values();
    const build = (dim: number, base: number): unknown => {
      if (dim === this.shape.length) return v[base];
      const step = numelOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, base + i * step));
    };
    return build(0, 0);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.numel !== 1)
      throw new ValueError(`item: tensor of shape ${fmtShape(this.shape)} has ${this.numel} values`);
    return this.storage[this.offset];
  }

  /** Backpropagates from this tensor (a scalar unless `gradient` is given), accumulating `.grad` on leaves. */
  backward(gradient?: Tensor): void {
    backwardHook(this, gradient);
  }

  /** A tensor sharing storage but cut off from the graph. */
  detach(): Tensor {
    return new Tensor(this.storage, this.shape, this.strides, this.offset);
  }

  /** Marks a leaf as trainable (returns `this` for chaining). */
  requiresGrad_(flag = true): this {
    this.requiresGrad = flag;
    return this;
  }

  toString(): string {
    return `Tensor(${fmtShape(this.shape)})`;
  }
}

// Set by the autograd and copy modules at load time; keeps tensor.ts free of import cycles.
let backwardHook: (root: Tensor, gradient?: Tensor) => void = () => {
  throw new Error('autograd engine not loaded');
};
let materialize: (t: Tensor) => Float32Array = () => {
  throw new Error('copy kernel not loaded');
};
export function installTensorHooks(hooks: { backward?: typeof backwardHook; materialize?: typeof materialize }): void {
  if (hooks.backward) backwardHook = hooks.backward;
  if (hooks.materialize) materialize = hooks.materialize;
}

/**
 * Creates a tensor over `data` (not copied: the tensor views the same memory) with the given shape.
 * @throws DTypeError when data is not a Float32Array; ShapeError when its length does not match the shape.
 */
export function tensor(data: Float32Array, shape: readonly number[]): Tensor {
  if (!(data instanceof Float32Array)) {
    throw new DTypeError(
      `tensor: data must be a Float32Array, got ${(data as unknown as object)?.constructor?.name ?? typeof data}`,
    );
  }
  checkShape(shape, 'tensor');
  const n = numelOf(shape);
  if (data.length !== n) {
    throw new ShapeError(`tensor: data has ${data.length} values but shape ${fmtShape(shape)} needs ${n}`);
  }
  return new Tensor(data, shape);
}

export function zeros(shape: readonly number[]): Tensor {
  checkShape(shape, 'zeros');
  return new Tensor(new Float32Array(numelOf(shape)), shape);
}

export function ones(shape: readonly number[]): Tensor {
  return full(shape, 1);
}

export function full(shape: readonly number[], value: number): Tensor {
  checkShape(shape, 'full');
  return new Tensor(new Float32Array(numelOf(shape)).fill(value), shape);
}

export function scalar(value: number): Tensor {
  return new Tensor(Float32Array.of(value), []);
}
