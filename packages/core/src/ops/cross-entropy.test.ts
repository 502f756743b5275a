import { describe, expect, it } from 'vitest';
import { DTypeError, IndexError, ShapeError, ValueError } from '../errors.js';
import { tensor } from '../tensor.js';
import { checkOp, type RefInput, randTensor } from '../testing/gradcheck.js';
import { crossEntropy, tokenEntropy, tokenLogprobs } from './cross-entropy.js';
import { transpose } from './view.js';

// Per-row log-softmax of logits / T in float64.
function logSoftmaxRows(x: RefInput, T = 1): Float64Array[] {
  const V = x.shape[x.shape.length - 1];
  const rows: Float64Array[] = [];
  for (let r = 0; r < x.values.length / V; r++) {
    const z = Float64Array.from(x.values.subarray(r * V, (r + 1) * V), (v) => v / T);
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
    rows.push(z.map((v) => v - lse));
  }
  return rows;
}

function refCrossEntropy(targets: number[], ignore = -100) {
  return (x: RefInput): Float64Array => {
    const lp = logSoftmaxRows(x);
    let s = 0;
    let n = 0;
    targets.forEach((t, r) => {
      if (t === ignore) return;
      s -= lp[r][t];
      n++;
    });
    return Float64Array.of(n ? s / n : 0);
  };
}

describe('crossEntropy', () => {
  it('is the mean NLL over non-ignored tokens, for [B, T, V] and [N, V]', () => {
    const targets = [
      [1, 4, -100],
      [0, -100, 3],
    ];
    checkOp({
      inputs: [randTensor([2, 3, 5], 1, -3, 3)],
      forward: (x) => crossEntropy(x, targets),
      reference: refCrossEntropy(targets.flat()),
    });
    const flat = Int32Array.of(2, 0, 7, 7);
    checkOp({
      inputs: [randTensor([4, 9], 2, -3, 3)],
      forward: (x) => crossEntropy(x, flat, { ignoreIndex: 7 }),
      reference: refCrossEntropy([...flat], 7),
    });
  });

  it('reads non-contiguous logits', () => {
    const targets = Int32Array.of(1, 2, 0);
    checkOp({
      inputs: [randTensor([4, 3], 3, -2, 2)],
      forward: (x) => crossEntropy(transpose(x, 0, 1), targets),
      reference: (x) => {
        const t = new Float64Array(12);
        for (let i = 0; i < 4; i++) for (let j = 0; j < 3; j++) t[j * 4 + i] = x.values[i * 3 + j];
        return refCrossEntropy([...targets])({ values: t, shape: [3, 4] });
      },
    });
  });

  it('is stable for large logits and gives 0 with zero gradient when every target is ignored', () => {
    const big = tensor(Float32Array.of(1000, 0, -1000, 1000), [2, 2]);
    expect(crossEntropy(big, Int32Array.of(0, 1)).item()).toBeCloseTo(0, 5);
    const x = randTensor([2, 3], 4);
    const loss = crossEntropy(x, Int32Array.of(-100, -100));
    expect(loss.item()).toBe(0);
    loss.backward();
    expect(Array.from(x.grad!.toFloat32Array())).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('propagates NaN logits into the loss', () => {
    const x = tensor(Float32Array.of(Number.NaN, 0, 1, 2), [2, 2]);
    expect(Number.isNaN(crossEntropy(x, Int32Array.of(0, 1)).item())).toBe(true);
  });

  it('rejects targets that do not fit', () => {
    const x = randTensor([2, 3, 4], 1);
    expect(() => crossEntropy(x, [[0, 1, 2]])).toThrow(ShapeError);
    expect(() =>
      crossEntropy(x, [
        [0, 1, 2],
        [0, 4, 1],
      ]),
    ).toThrow('crossEntropy: target 4 at row 4 is outside the vocabulary [0, 4)');
    expect(() =>
      crossEntropy(x, [
        [0, 1, 2],
        [0, 1.5, 1],
      ]),
    ).toThrow(ValueError);
    expect(() => crossEntropy(x, Int32Array.of(0, 1))).toThrow(ShapeError);
    expect(() => crossEntropy(randTensor([4], 1), Int32Array.of(0))).toThrow(ShapeError);
    expect(() => crossEntropy(x, new Int32Array(6), { ignoreIndex: 0.5 })).toThrow(ValueError);
  });
});

describe('tokenLogprobs', () => {
  it('is log p(target) of logits / T, differentiable', () => {
    for (const T of [1, 0.7]) {
      const targets = Int32Array.of(0, 3, 5, 5, 1, 2);
      checkOp({
        inputs: [randTensor([2, 3, 6], 5, -2, 2)],
        forward: (x) => tokenLogprobs(x, targets, { temperature: T }),
        reference: (x) => {
          const lp = logSoftmaxRows(x, T);
          return Float64Array.from(targets, (t, r) => lp[r][t]);
        },
      });
    }
    expect(tokenLogprobs(randTensor([2, 3, 6], 5), new Int32Array(6)).shape).toEqual([2, 3]);
  });

  it('is exact on wide rows (the vectorised exp: 8-wide body + tail), with −inf logits and NaN', () => {
    const targets = Int32Array.of(0, 36, 17, 8, 9, 30);
    checkOp({
      inputs: [randTensor([2, 3, 37], 8, -20, 20)],
      forward: (x) => tokenLogprobs(x, targets, { temperature: 0.9 }),
      reference: (x) => {
        const lp = logSoftmaxRows(x, 0.9);
        return Float64Array.from(targets, (t, r) => lp[r][t]);
      },
      gradTol: 2e-3,
    });
    const v = new Float32Array(40).fill(-Infinity);
    v[3] = 2;
    v[21] = 2;
    const lp = tokenLogprobs(tensor(v, [1, 40]), Int32Array.of(21)).item();
    expect(lp).toBeCloseTo(Math.log(0.5), 6);
    const withNaN = new Float32Array(40);
    withNaN[13] = Number.NaN;
    expect(Number.isNaN(tokenLogprobs(tensor(withNaN, [1, 40]), Int32Array.of(0)).item())).toBe(true);
  });

  // V = 61 = 3·16 + 8 + 5: at the avx512 level a row takes the 16-lane body, then the AVX2 8-lane step, then the
  // scalar tail (run the suite under AHA_SIMD=avx2 / portable for the other levels).
  it('is exact on rows that cover every vector width and the scalar tail, forward and gradient', () => {
    const targets = Int32Array.of(60, 0, 47, 48, 56);
    checkOp({
      inputs: [randTensor([5, 61], 18, -30, 30)],
      forward: (x) => tokenLogprobs(x, targets, { temperature: 1.3 }),
      reference: (x) => {
        const lp = logSoftmaxRows(x, 1.3);
        return Float64Array.from(targets, (t, r) => lp[r][t]);
      },
      gradTol: 2e-3,
    });
    checkOp({
      inputs: [randTensor([5, 61], 19, -30, 30)],
      forward: (x) => crossEntropy(x, targets),
      reference: refCrossEntropy(Array.from(targets)),
      gradTol: 2e-3,
    });
  });

  it('matches crossEntropy (−mean of logprobs at T = 1)', () => {
    const x = randTensor([3, 4, 7], 6, -3, 3);
    const t = Int32Array.from({ length: 12 }, (_, i) => (i * 5) % 7);
    const lp = tokenLogprobs(x, t).toFloat32Array();
    const mean = lp.reduce((a, b) => a + b, 0) / lp.length;
    expect(crossEntropy(x, t).item()).toBeCloseTo(-mean, 5);
  });

  it('validates targets and temperature', () => {
    const x = randTensor([1, 2, 3], 1);
    expect(() => tokenLogprobs(x, Int32Array.of(0, 3))).toThrow(IndexError);
    expect(() => tokenLogprobs(x, Int32Array.of(0, -100))).toThrow(IndexError);
    expect(() => tokenLogprobs(x, [0, 1] as unknown as Int32Array)).toThrow(DTypeError);
    expect(() => tokenLogprobs(x, Int32Array.of(0, 1), { temperature: 0 })).toThrow(ValueError);
    expect(() => tokenLogprobs(x, Int32Array.of(0, 1), { temperature: Number.NaN })).toThrow(ValueError);
  });
});

describe('tokenEntropy', () => {
  it('is −Σ p log p of softmax(logits / T), no gradient', () => {
    const x = randTensor([2, 3, 5], 7, -3, 3);
    for (const T of [1, 2]) {
      const h = tokenEntropy(x, { temperature: T });
      expect(h.shape).toEqual([2, 3]);
      expect(h.requiresGrad).toBe(false);
      const lp = logSoftmaxRows({ values: Float64Array.from(x.toFloat32Array()), shape: x.shape }, T);
      const ref = lp.map((row) => -row.reduce((s, l) => s + Math.exp(l) * l, 0));
      const got = h.toFloat32Array();
      for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(ref[i], 5);
    }
  });

  it('is log V for uniform logits and 0 for a one-hot with −inf elsewhere', () => {
    expect(tokenEntropy(tensor(new Float32Array(8), [1, 8])).item()).toBeCloseTo(Math.log(8), 6);
    const oneHot = tensor(Float32Array.of(0, -Infinity, -Infinity), [1, 3]);
    expect(tokenEntropy(oneHot).item()).toBe(0);
  });
});
