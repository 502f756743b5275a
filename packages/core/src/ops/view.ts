/**
 * Views: reshape, transpose, permute, narrow, slice, unsqueeze, squeeze, expand. They share storage with their input
 * (reshape copies only when the input is not contiguous). The gradient of a view is scattered back through the same
 * layout transform applied to a contiguous buffer of the input's shape.
 */
import { record } from '../autograd/node.js';
import { fmtShape, IndexError, ShapeError } from '../errors.js';
import { allocFloat32 } from '../memory/pool.js';
import { checkShape, contiguousStrides, numelOf, Tensor } from '../tensor.js';
import { contiguous, scatterStridedAdd } from './copy.js';

interface Layout {
  shape: number[];
  strides: number[];
  offset: number;
}
type Transform = (layout: Layout) => Layout;

function viewOp(name: string, x: Tensor, transform: Transform): Tensor {
  const v = transform({ shape: x.shape, strides: x.strides, offset: x.offset });
  const out = new Tensor(x.storage, v.shape, v.strides, v.offset);
  return record(out, name, [x], (g) => {
    // Zeroed (or, for a one-to-one view, assigned) by the kernel, threaded, rather than by a serial fill here.
    const gx = allocFloat32(x.numel, { zero: g.length === 0 });
    const c = transform({ shape: x.shape, strides: contiguousStrides(x.shape), offset: 0 });
    if (g.length > 0) scatterStridedAdd(g, c.shape, c.strides, c.offset, gx, true);
    return [gx];
  });
}

export function normDim(op: string, dim: number, ndim: number): number {
  if (!Number.isInteger(dim) || dim < -ndim || dim >= Math.max(ndim, 1)) {
    throw new IndexError(`${op}: dim ${dim} is out of range for a tensor with ${ndim} dims`);
  }
  return dim < 0 ? dim + ndim : dim;
}

/** Reshape to `shape` (one entry may be -1). A view when x is contiguous, else a copy. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const resolved = [...shape];
  const unknown = resolved.indexOf(-1);
  if (unknown >= 0) {
    const known = numelOf(resolved.filter((_, i) => i !== unknown));
    if (known === 0 || x.numel % known !== 0) {
      throw new ShapeError(`reshape: cannot reshape ${fmtShape(x.shape)} into ${fmtShape(shape)}`);
    }
    resolved[unknown] = x.numel / known;
  }
  checkShape(resolved, 'reshape');
  if (numelOf(resolved) !== x.numel) {
    throw new ShapeError(`reshape: cannot reshape ${fmtShape(x.shape)} (${x.numel} values) into ${fmtShape(shape)}`);
  }
  const c = contiguous(x);
  const out = new Tensor(c.storage, resolved, contiguousStrides(resolved), c.offset);
  return record(out, 'reshape', [c], (g) => [g]);
}

/** Swaps two dims (a view). */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const a = normDim('transpose', dim0, x.ndim);
  const b = normDim('transpose', dim1, x.ndim);
  return viewOp('transpose', x, (l) => {
    const shape = [...l.shape];
    const strides = [...l.strides];
    [shape[a], shape[b]] = [shape[b], shape[a]];
    [strides[a], strides[b]] = [strides[b], strides[a]];
    return { shape, strides, offset: l.offset };
  });
}

/** Reorders dims: out dim i is x dim `dims[i]` (a view). */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  const d = dims.map((k) => normDim('permute', k, x.ndim));
  if (d.length !== x.ndim || new Set(d).size !== d.length) {
    throw new ShapeError(`permute: dims [${dims.join(', ')}] are not a permutation of ${x.ndim} dims`);
  }
  return viewOp('permute', x, (l) => ({
    shape: d.map((k) => l.shape[k]),
    strides: d.map((k) => l.strides[k]),
    offset: l.offset,
  }));
}

/** `length` entries of `dim` starting at `start` (a view). */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const k = normDim('narrow', dim, x.ndim);
  if (!Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 0 || start + length > x.shape[k]) {
    throw new IndexError(`narrow: [${start}, ${start + length}) is outside dim ${k} of size ${x.shape[k]}`);
  }
  return viewOp('narrow', x, (l) => {
    const shape = [...l.shape];
    shape[k] = length;
    return { shape, strides: l.strides, offset: l.offset + start * l.strides[k] };
  });
}

/** Python-style slice `x[..., start:end:step, ...]` on one dim (a view; negative start/end count from the end). */
export function slice(x: Tensor, dim: number, start = 0, end?: number, step = 1): Tensor {
  const k = normDim('slice', dim, x.ndim);
  const size = x.shape[k];
  if (!Number.isInteger(step) || step < 1) throw new IndexError(`slice: step must be a positive integer, got ${step}`);
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
  const s = clamp(start);
  const e = clamp(end ?? size);
  const length = Math.max(0, Math.ceil((e - s) / step));
  return viewOp('slice', x, (l) => {
    const shape = [...l.shape];
    const strides = [...l.strides];
    shape[k] = length;
    strides[k] = l.strides[k] * step;
    return { shape, strides, offset: l.offset + s * l.strides[k] };
  });
}

/** Inserts a size-1 dim at `dim` (a view). */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  const k = normDim('unsqueeze', dim, x.ndim + 1);
  return viewOp('unsqueeze', x, (l) => {
    const shape = [...l.shape];
    const strides = [...l.strides];
    shape.splice(k, 0, 1);
    strides.splice(k, 0, k < l.shape.length ? l.strides[k] * l.shape[k] : 1);
    return { shape, strides, offset: l.offset };
  });
}

/** Removes size-1 dims (all, or just `dim`) (a view). */
export function squeeze(x: Tensor, dim?: number): Tensor {
  const k = dim === undefined ? undefined : normDim('squeeze', dim, x.ndim);
  if (k !== undefined && x.shape[k] !== 1) {
    throw new ShapeError(`squeeze: dim ${k} of ${fmtShape(x.shape)} has size ${x.shape[k]}, not 1`);
  }
  return viewOp('squeeze', x, (l) => {
    const keep = l.shape.map((s, i) => (k === undefined ? s !== 1 : i !== k));
    return {
      shape: l.shape.filter((_, i) => keep[i]),
      strides: l.strides.filter((_, i) => keep[i]),
      offset: l.offset,
    };
  });
}

/** Broadcasts size-1 dims to `shape` without copying (stride 0); -1 keeps a size. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  if (shape.length < x.ndim)
    throw new ShapeError(`expand: ${fmtShape(shape)} has fewer dims than ${fmtShape(x.shape)}`);
  const lead = shape.length - x.ndim;
  const target = shape.map((s, i) => (s === -1 && i >= lead ? x.shape[i - lead] : s));
  checkShape(target, 'expand');
  for (let d = 0; d < x.ndim; d++) {
    if (x.shape[d] !== 1 && x.shape[d] !== target[lead + d]) {
      throw new ShapeError(`expand: cannot expand ${fmtShape(x.shape)} to ${fmtShape(shape)}`);
    }
  }
  return viewOp('expand', x, (l) => ({
    shape: target,
    strides: target.map((s, i) => (i < lead || (l.shape[i - lead] === 1 && s !== 1) ? 0 : l.strides[i - lead])),
    offset: l.offset,
  }));
}
