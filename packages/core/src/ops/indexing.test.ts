// indexSelect, gather and scatterAdd against float64 references (they share the index validation and the
// line-parallel kernels, so one file tests the family).
import { describe, expect, it } from 'vitest';
import { DTypeError, IndexError, ShapeError } from '../errors.js';
import { kernel } from '../native.js';
import { tensor } from '../tensor.js';
import { checkOp, type RefInput, randTensor, rng } from '../testing/gradcheck.js';
import { gather } from './gather.js';
import { indexSelect } from './index-select.js';
import { scatterAdd } from './scatter-add.js';
import { permute, transpose } from './view.js';

const strides = (shape: readonly number[]) => {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
};
const unravel = (flat: number, shape: readonly number[]) => {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return idx;
};
const offsetOf = (idx: number[], st: number[]) => idx.reduce((a, v, d) => a + v * st[d], 0);

function randIndex(n: number, size: number, seed: number): Int32Array {
  const r = rng(seed);
  return Int32Array.from({ length: n }, () => Math.floor(r() * size));
}

function refIndexSelect(dim: number, index: Int32Array) {
  return (x: RefInput): Float64Array => {
    const shape = x.shape.map((s, d) => (d === dim ? index.length : s));
    const n = shape.reduce((a, b) => a * b, 1);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const idx = unravel(i, shape);
      idx[dim] = index[idx[dim]];
      out[i] = x.values[offsetOf(idx, strides(x.shape))];
    }
    return out;
  };
}

function refGather(dim: number, index: Int32Array, indexShape: number[]) {
  return (x: RefInput): Float64Array =>
    Float64Array.from({ length: index.length }, (_, p) => {
      const idx = unravel(p, indexShape);
      idx[dim] = index[p];
      return x.values[offsetOf(idx, strides(x.shape))];
    });
}

function refScatterAdd(dim: number, index: Int32Array, indexShape: number[]) {
  return (x: RefInput, src: RefInput): Float64Array => {
    const out = Float64Array.from(x.values);
    for (let p = 0; p < index.length; p++) {
      const idx = unravel(p, indexShape);
      const s = src.values[offsetOf(idx, strides(src.shape))];
      idx[dim] = index[p];
      out[offsetOf(idx, strides(x.shape))] += s;
    }
    return out;
  };
}

describe('indexSelect', () => {
  it('selects along every dim, with repeats (gradients accumulate)', () => {
    for (const [dim, seed] of [
      [0, 1],
      [1, 2],
      [2, 3],
    ]) {
      const shape = [3, 4, 5];
      const index = randIndex(6, shape[dim], seed);
      checkOp({
        inputs: [randTensor(shape, seed)],
        forward: (x) => indexSelect(x, dim, index),
        reference: refIndexSelect(dim, index),
      });
    }
    const index = Int32Array.of(1, 1, 0);
    checkOp({
      inputs: [randTensor([2, 3], 4)],
      forward: (x) => indexSelect(x, -1, index),
      reference: refIndexSelect(1, index),
    });
  });

  it('reads a permuted view', () => {
    const index = Int32Array.of(2, 0);
    checkOp({
      inputs: [randTensor([3, 4], 5)],
      forward: (x) => indexSelect(transpose(x, 0, 1), 1, index),
      reference: (x) => {
        const t = new Float64Array(12);
        for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) t[j * 3 + i] = x.values[i * 4 + j];
        return refIndexSelect(1, index)({ values: t, shape: [4, 3] });
      },
    });
  });

  it('validates', () => {
    const x = randTensor([3, 4], 1);
    expect(() => indexSelect(x, 0, Int32Array.of(0, 3))).toThrow(
      'indexSelect: index 3 at position 1 is outside [0, 3)',
    );
    expect(() => indexSelect(x, 2, Int32Array.of(0))).toThrow(IndexError);
    expect(() => indexSelect(x, 0, [0] as unknown as Int32Array)).toThrow(DTypeError);
    expect(indexSelect(x, 1, new Int32Array(0)).shape).toEqual([3, 0]);
  });
});

describe('gather', () => {
  it('matches torch.gather on every dim, smaller index shapes and repeats', () => {
    const xShape = [3, 4, 5];
    for (const [dim, seed] of [
      [0, 11],
      [1, 12],
      [2, 13],
    ]) {
      const indexShape = [2, 3, 4];
      indexShape[dim] = 6; // longer than x along dim: repeats
      const index = randIndex(
        indexShape.reduce((a, b) => a * b, 1),
        xShape[dim],
        seed,
      );
      checkOp({
        inputs: [randTensor(xShape, seed)],
        forward: (x) => gather(x, dim, index, indexShape),
        reference: refGather(dim, index, indexShape),
      });
    }
  });

  it('reads a permuted view through its strides', () => {
    const index = randIndex(6, 2, 14);
    checkOp({
      inputs: [randTensor([2, 3, 4], 15)],
      forward: (x) => gather(permute(x, [2, 1, 0]), -1, index, [2, 3, 1]),
      reference: (x) => {
        const shape = [4, 3, 2];
        const t = new Float64Array(24);
        for (let i = 0; i < 24; i++) {
          const [a, b, c] = unravel(i, shape);
          t[i] = x.values[c * 12 + b * 4 + a];
        }
        return refGather(2, index, [2, 3, 1])({ values: t, shape });
      },
    });
  });

  it('validates shapes and index ranges', () => {
    const x = randTensor([3, 4], 1);
    expect(() => gather(x, 1, Int32Array.of(0, 4), [2, 1])).toThrow('gather: index 4 at [1, 0] is outside [0, 4)');
    expect(() => gather(x, 1, Int32Array.of(0, 1), [2])).toThrow(ShapeError);
    expect(() => gather(x, 1, new Int32Array(5), [5, 1])).toThrow(ShapeError); // larger than x outside dim
    expect(() => gather(x, 1, new Int32Array(3), [2, 1])).toThrow(ShapeError); // length vs shape
    expect(gather(x, 0, new Int32Array(0), [0, 4]).shape).toEqual([0, 4]);
  });
});

describe('scatterAdd', () => {
  it('adds src at index into a copy of x, with repeats, gradients to both', () => {
    const xShape = [4, 5];
    for (const [dim, seed] of [
      [0, 21],
      [1, 22],
    ]) {
      const indexShape = [3, 4];
      const srcShape = [3, 6]; // larger than index: only the corner is used
      const index = randIndex(12, xShape[dim], seed);
      checkOp({
        inputs: [randTensor(xShape, seed), randTensor(srcShape, seed + 1)],
        forward: (x, src) => scatterAdd(x, dim, index, indexShape, src),
        reference: refScatterAdd(dim, index, indexShape),
      });
    }
  });

  it('leaves x unchanged', () => {
    const x = tensor(Float32Array.of(1, 2, 3), [3]);
    const y = scatterAdd(x, 0, Int32Array.of(2, 2), [2], tensor(Float32Array.of(10, 20), [2]));
    expect(Array.from(y.toFloat32Array())).toEqual([1, 2, 33]);
    expect(Array.from(x.toFloat32Array())).toEqual([1, 2, 3]);
  });

  it('validates', () => {
    const x = randTensor([3], 1);
    const src = randTensor([2], 2);
    expect(() => scatterAdd(x, 0, Int32Array.of(0, -1), [2], src)).toThrow('scatterAdd: index -1 at position 1');
    expect(() => scatterAdd(x, 0, Int32Array.of(0, 1, 2), [3], src)).toThrow(ShapeError);
    expect(() => scatterAdd(x, 0, Int32Array.of(0), [1], randTensor([1, 1], 3))).toThrow(ShapeError);
    expect(() => scatterAdd(x, 1, Int32Array.of(0), [1], src)).toThrow(IndexError);
  });
});

describe('native last-line checks', () => {
  // The TS wrappers validate first; these call the kernels directly to show a bad call still throws in C++ instead of
  // reading out of bounds.
  it('every indexing kernel rejects out-of-range indices itself', () => {
    const x = new Float32Array(6);
    const out = new Float32Array(6);
    const call =
      (name: string, ...args: unknown[]) =>
      () =>
        kernel<(...a: unknown[]) => void>(name)(...args);
    expect(call('embeddingForward', x, 3, 2, Int32Array.of(3), out)).toThrow(/outside \[0, 3\)/);
    expect(call('embeddingBackward', x, 3, 2, Int32Array.of(-1), out)).toThrow(/outside \[0, 3\)/);
    expect(call('indexSelectForward', x, 1, 3, 2, Int32Array.of(5), out)).toThrow(/outside \[0, 3\)/);
    expect(call('gatherForward', x, [3, 2], [2, 1], 0, 0, Int32Array.of(3), [1, 1], out)).toThrow(/outside \[0, 3\)/);
    expect(call('scatterAddForward', out, [3, 2], 0, Int32Array.of(9), [1, 1], x, [1, 1])).toThrow(/outside \[0, 3\)/);
    expect(call('logitsRowStats', x, 2, 3, 1, Int32Array.of(0, 3), out, out)).toThrow(/outside \[0, 3\)/);
    expect(call('gatherForward', x, [3, 2], [2, 1], 0, 0, Int32Array.of(0), [1, 1], new Float32Array(0))).toThrow(
      /needs 1/,
    );
  });
});
