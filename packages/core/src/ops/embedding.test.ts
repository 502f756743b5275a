import { describe, expect, it } from 'vitest';
import { DTypeError, IndexError, ShapeError } from '../errors.js';
import { tensor } from '../tensor.js';
import { checkOp, type RefInput, randTensor } from '../testing/gradcheck.js';
import { embedding } from './embedding.js';
import { transpose } from './view.js';

function refEmbedding(ids: Int32Array) {
  return (w: RefInput): Float64Array => {
    const D = w.shape[1];
    const out = new Float64Array(ids.length * D);
    ids.forEach((id, t) => {
      for (let j = 0; j < D; j++) out[t * D + j] = w.values[id * D + j];
    });
    return out;
  };
}

describe('embedding', () => {
  it('looks up rows and scatter-adds gradients for repeated ids', () => {
    const ids = Int32Array.of(3, 0, 3, 4, 1, 3);
    checkOp({
      inputs: [randTensor([5, 4], 1)],
      forward: (w) => embedding(w, ids, [2, 3]),
      reference: refEmbedding(ids),
    });
    expect(embedding(randTensor([5, 4], 1), ids, [2, 3]).shape).toEqual([2, 3, 4]);
  });

  it('reads a transposed weight view', () => {
    const ids = Int32Array.of(2, 2, 0);
    checkOp({
      inputs: [randTensor([3, 4], 2)],
      forward: (w) => embedding(transpose(w, 0, 1), ids, [3]),
      reference: (w) => {
        const t = new Float64Array(12);
        for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) t[j * 3 + i] = w.values[i * 4 + j];
        return refEmbedding(ids)({ values: t, shape: [4, 3] });
      },
    });
  });

  it('handles empty ids', () => {
    expect(embedding(randTensor([5, 4], 1), new Int32Array(0), [2, 0]).shape).toEqual([2, 0, 4]);
  });

  it('rejects bad ids naming the value and position', () => {
    const w = randTensor([5, 4], 1);
    expect(() => embedding(w, Int32Array.of(0, 5), [2])).toThrow('embedding: id 5 at position 1 is outside [0, 5)');
    expect(() => embedding(w, Int32Array.of(0, 1, -1, 2), [2, 2])).toThrow(IndexError);
    expect(() => embedding(w, Int32Array.of(0, 1, 2), [2, 2])).toThrow(ShapeError);
    expect(() => embedding(w, [0, 1] as unknown as Int32Array, [2])).toThrow(DTypeError);
    expect(() => embedding(tensor(new Float32Array(4), [4]), Int32Array.of(0), [1])).toThrow(ShapeError);
  });

  it('passes NaN rows through untouched', () => {
    const w = tensor(Float32Array.of(Number.NaN, 1, 2, 3), [2, 2]);
    const y = embedding(w, Int32Array.of(1, 0), [2]).toFloat32Array();
    expect(y[0]).toBe(2);
    expect(Number.isNaN(y[2])).toBe(true);
  });
});
