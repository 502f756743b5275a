/**
 * Splits an arbitrary state object (optimizer moments, scheduler counters, RNG state, data position) into its
 * Float32Array leaves, stored as tensors, and the rest, stored as JSON, and joins them back. This is what lets the
 * training loop checkpoint any optimizer or task without knowing its layout.
 */
import { AhaError } from '../errors.js';

export interface SplitState {
  json: unknown;
  tensors: Record<string, { data: Float32Array; shape: number[] }>;
}

const TENSOR_REF = '$tensor';

export function splitState(value: unknown, prefix: string): SplitState {
  const tensors: SplitState['tensors'] = {};
  const walk = (v: unknown, path: string): unknown => {
    if (v instanceof Float32Array) {
      tensors[path] = { data: v, shape: [v.length] };
      return { [TENSOR_REF]: path };
    }
    if (ArrayBuffer.isView(v)) {
      throw new AhaError(
        'value',
        `checkpoint state at "${path}" is a ${v.constructor.name}; only Float32Array is stored`,
      );
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}.${i}`));
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, `${path}.${k}`)]));
    }
    if (typeof v === 'number' && !Number.isFinite(v)) return { $number: String(v) };
    return v;
  };
  return { json: walk(value, prefix), tensors };
}

export function joinState(json: unknown, tensors: Map<string, { data: Float32Array }>): unknown {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o[TENSOR_REF] === 'string') {
        const t = tensors.get(o[TENSOR_REF] as string);
        if (!t) throw new AhaError('io', `checkpoint is missing tensor "${o[TENSOR_REF]}"`);
        return t.data;
      }
      if (typeof o.$number === 'string' && Object.keys(o).length === 1) return Number(o.$number);
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return walk(json);
}
