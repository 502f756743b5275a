import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { backward } from '../autograd/engine.js';
import { DTypeError, IndexError, ShapeError, ValueError } from '../errors.js';
import { createModel } from '../models/deepseek-v3/model.js';
import { TINY_CONFIG } from '../models/deepseek-v3/testing.js';
import { getNumThreads, setNumThreads } from '../native.js';
import { type Tensor, tensor } from '../tensor.js';
import { checkOp, maxRelError, type RefInput, randTensor, rng } from '../testing/gradcheck.js';
import { runWithPortableKernels } from '../testing/portable.js';
import { add, mul } from './binary.js';
import { crossEntropy, tokenEntropy, tokenLogprobs } from './cross-entropy.js';
import { embedding } from './embedding.js';
import { linear } from './linear.js';
import { linearCrossEntropy, linearLogProbs } from './linear-cross-entropy.js';
import { runFixedCase } from './linear-cross-entropy-case.js';
import { transpose } from './view.js';

// Float64 log-softmax rows of (hidden [N, D] · weightᵀ [D, V]) / T, plus each row's entropy.
function refRows(h: RefInput, w: RefInput, T = 1): { logp: Float64Array[]; entropy: number[] } {
  const [V, D] = w.shape;
  const N = h.values.length / D;
  const logp: Float64Array[] = [];
  const entropy: number[] = [];
  for (let r = 0; r < N; r++) {
    const z = new Float64Array(V);
    for (let v = 0; v < V; v++) {
      let s = 0;
      for (let d = 0; d < D; d++) s += h.values[r * D + d] * w.values[v * D + d];
      z[v] = s / T;
    }
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((s, x) => s + Math.exp(x - m), 0));
    const lp = z.map((x) => x - lse);
    logp.push(lp);
    entropy.push(-lp.reduce((s, x) => s + Math.exp(x) * x, 0));
  }
  return { logp, entropy };
}

function refLoss(targets: Int32Array, reduction: 'mean' | 'sum' | 'none', T = 1, ignore = -100) {
  return (h: RefInput, w: RefInput): Float64Array => {
    const { logp } = refRows(h, w, T);
    const per = Float64Array.from(targets, (t, r) => (t === ignore ? 0 : -logp[r][t]));
    if (reduction === 'none') return per;
    const n = targets.filter((t) => t !== ignore).length;
    const s = per.reduce((a, b) => a + b, 0);
    return Float64Array.of(reduction === 'sum' ? s : n ? s / n : 0);
  };
}

// Largest difference relative to the largest reference magnitude: float32 sums of many terms (gradients) carry
// absolute, not relative, rounding noise, so entries near 0 are judged against the scale of the whole tensor.
function scaledError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= diff)) diff = d; // NaN propagates as a failure
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / Math.max(scale, 1e-30);
}

const ids = (n: number, V: number, seed: number, ignoreEvery = 0) => {
  const r = rng(seed);
  return Int32Array.from({ length: n }, (_, i) => (ignoreEvery && i % ignoreEvery === 1 ? -100 : Math.floor(r() * V)));
};

// [lead shape, D, V, chunkSize]: N = 1, D not a multiple of 8, V not a multiple of the chunk, one chunk per column.
const shapes: [number[], number, number, number | undefined][] = [
  [[1], 5, 7, undefined],
  [[2, 3], 13, 37, 16],
  [[7], 9, 20, 1],
  [[3, 4], 16, 50, 24],
  [[2], 11, 61, 29], // chunks of 16 + 8 + 5: the 16-lane body, the 8-lane step and the scalar tail at avx512
];

describe('linearCrossEntropy', () => {
  for (const [lead, D, V, chunkSize] of shapes) {
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      it(`${reduction}: hidden [${lead}, ${D}], weight [${V}, ${D}], chunk ${chunkSize ?? 'auto'}, T = 0.7, ignored tokens`, () => {
        const N = lead.reduce((a, b) => a * b, 1);
        const t = ids(N, V, N + V, 3);
        checkOp({
          inputs: [randTensor([...lead, D], N * 7 + D, -1.5, 1.5), randTensor([V, D], V + D, -1.5, 1.5)],
          forward: (h, w) => linearCrossEntropy(h, w, t, { reduction, temperature: 0.7, chunkSize }),
          reference: refLoss(t, reduction, 0.7),
          forwardTol: 2e-5,
        });
      });
    }
  }

  it('takes B arrays of T ids for hidden [B, T, D], a custom ignoreIndex and a transposed (view) hidden', () => {
    const targets = [
      [1, 4, 9],
      [0, 9, 3],
    ];
    checkOp({
      inputs: [randTensor([2, 3, 6], 31), randTensor([10, 6], 32)],
      forward: (h, w) => linearCrossEntropy(h, w, targets, { ignoreIndex: 9 }),
      reference: refLoss(Int32Array.from(targets.flat()), 'mean', 1, 9),
    });
    const t = Int32Array.of(2, 0, 5);
    checkOp({
      inputs: [randTensor([6, 3], 33), randTensor([8, 6], 34)],
      forward: (h, w) => linearCrossEntropy(transpose(h, 0, 1), w, t),
      reference: (h, w) => {
        const ht = new Float64Array(18);
        for (let i = 0; i < 6; i++) for (let j = 0; j < 3; j++) ht[j * 6 + i] = h.values[i * 3 + j];
        return refLoss(t, 'mean')({ values: ht, shape: [3, 6] }, w);
      },
    });
  });

  it('gives 0 with zero gradients when every token is ignored (as crossEntropy)', () => {
    const h = randTensor([4, 6], 40);
    const w = randTensor([11, 6], 41);
    const t = Int32Array.of(-100, -100, -100, -100);
    const loss = linearCrossEntropy(h, w, t);
    expect(loss.item()).toBe(0);
    expect(crossEntropy(linear(h, w), t).item()).toBe(0);
    loss.backward();
    expect(h.grad!.toFloat32Array().every((v) => v === 0)).toBe(true);
    expect(w.grad!.toFloat32Array().every((v) => v === 0)).toBe(true);
    expect(linearCrossEntropy(h, w, t, { reduction: 'sum' }).item()).toBe(0);
  });

  it('equals crossEntropy(linear(hidden, weight)) in value and gradients, on one chunk and on many', () => {
    const t = ids(96, 300, 50, 5);
    const grads = (fused: boolean, chunkSize?: number) => {
      const h = randTensor([4, 24, 40], 51, -2, 2);
      const w = randTensor([300, 40], 52, -1, 1);
      const loss = fused ? linearCrossEntropy(h, w, t, { chunkSize }) : crossEntropy(linear(h, w), t);
      loss.backward();
      return [loss.toFloat32Array(), h.grad!.toFloat32Array(), w.grad!.toFloat32Array()];
    };
    const unfused = grads(false);
    for (const chunk of [undefined, 64, 299]) {
      const fused = grads(true, chunk);
      unfused.forEach((u, i) => {
        expect(scaledError(fused[i], u), `output ${i}, chunk ${chunk}`).toBeLessThan(1e-5);
      });
    }
  });

  it('gives the same gradients on a second backward of a retained graph (kept logits are recomputed)', () => {
    const h = randTensor([5, 7], 55);
    const w = randTensor([40, 7], 56);
    const t = ids(5, 40, 57);
    for (const chunkSize of [undefined, 16]) {
      const loss = linearCrossEntropy(h, w, t, { chunkSize });
      h.grad = null;
      w.grad = null;
      backward(loss, undefined, { retainGraph: true });
      const first = [h.grad!.toFloat32Array(), w.grad!.toFloat32Array()];
      h.grad = null;
      w.grad = null;
      backward(loss);
      expect(Array.from(h.grad!.toFloat32Array())).toEqual(Array.from(first[0]));
      expect(Array.from(w.grad!.toFloat32Array())).toEqual(Array.from(first[1]));
    }
  });

  it('works with a tied head: the weight gets the embedding and the head gradients, as unfused', () => {
    const tokens = ids(12, 30, 60);
    const targets = ids(12, 30, 61, 4);
    const run = (fused: boolean) => {
      const w = randTensor([30, 8], 62);
      const h = embedding(w, tokens, [2, 6]); // [2, 6, 8]
      const loss = fused ? linearCrossEntropy(h, w, targets) : crossEntropy(linear(h, w), targets);
      loss.backward();
      return w.grad!.toFloat32Array();
    };
    expect(scaledError(run(true), run(false))).toBeLessThan(1e-5);
  });

  it('is stable for large logits and propagates NaN', () => {
    const h = tensor(Float32Array.of(100, 0, -100, 50), [2, 2]);
    const w = tensor(Float32Array.of(10, 0, 0, 10, -10, 0), [3, 2]);
    // Row 0 logits [1000, 0, −1000], row 1 [−1000, 500, 1000].
    const per = linearCrossEntropy(h, w, Int32Array.of(0, 1), { reduction: 'none' }).toFloat32Array();
    expect(per[0]).toBeCloseTo(0, 5);
    expect(per[1]).toBeCloseTo(500, 3);
    const bad = tensor(Float32Array.of(Number.NaN, 0, 1, 2), [2, 2]);
    const out = linearCrossEntropy(bad, w, Int32Array.of(0, 1), { reduction: 'none' }).toFloat32Array();
    expect(Number.isNaN(out[0])).toBe(true);
    expect(Number.isFinite(out[1])).toBe(true);
  });
});

describe('linearLogProbs', () => {
  for (const [lead, D, V, chunkSize] of shapes) {
    it(`hidden [${lead}, ${D}], weight [${V}, ${D}], chunk ${chunkSize ?? 'auto'}, T = 1.3, with entropy`, () => {
      const N = lead.reduce((a, b) => a * b, 1);
      const t = ids(N, V, 2 * N + V);
      let entropy: Tensor | null = null;
      checkOp({
        inputs: [randTensor([...lead, D], N + 3 * D, -1.5, 1.5), randTensor([V, D], 5 * V + D, -1.5, 1.5)],
        forward: (h, w) => {
          const out = linearLogProbs(h, w, t, { temperature: 1.3, withEntropy: true, chunkSize });
          entropy = out.entropy;
          return out.logprobs;
        },
        reference: (h, w) => Float64Array.from(refRows(h, w, 1.3).logp, (row, r) => row[t[r]]),
        forwardTol: 2e-5,
      });
      const [h, w] = [randTensor([...lead, D], N + 3 * D, -1.5, 1.5), randTensor([V, D], 5 * V + D, -1.5, 1.5)];
      const ref = refRows(
        { values: Float64Array.from(h.toFloat32Array()), shape: h.shape },
        { values: Float64Array.from(w.toFloat32Array()), shape: w.shape },
        1.3,
      );
      expect(entropy!.shape).toEqual(lead);
      expect(entropy!.requiresGrad).toBe(false);
      expect(maxRelError(entropy!.toFloat32Array(), ref.entropy)).toBeLessThan(2e-5);
    });
  }

  it('equals tokenLogprobs / tokenEntropy of the full logits, gradients included', () => {
    const t = ids(2 * 40, 257, 70);
    const run = (fused: boolean) => {
      const h = randTensor([2, 40, 24], 71, -3, 3);
      const w = randTensor([257, 24], 72, -1, 1);
      const g = randTensor([2, 40], 73).detach();
      let lp: Tensor;
      let ent: Float32Array;
      if (fused) {
        const out = linearLogProbs(h, w, t, { temperature: 0.6, withEntropy: true, chunkSize: 100 });
        lp = out.logprobs;
        ent = out.entropy!.toFloat32Array();
      } else {
        const logits = linear(h, w);
        lp = tokenLogprobs(logits, t, { temperature: 0.6 });
        ent = tokenEntropy(logits, { temperature: 0.6 }).toFloat32Array();
      }
      lp.backward(g);
      return [lp.toFloat32Array(), ent, h.grad!.toFloat32Array(), w.grad!.toFloat32Array()];
    };
    const [fused, unfused] = [run(true), run(false)];
    // Entropy: tokenEntropy's own error is ~3e-5 nats here (the fused pass sums p · (z − max) relative to the max
    // and is closer to float64), so that one gets a looser bound.
    fused.forEach((f, i) => {
      expect(scaledError(f, unfused[i]), `output ${i}`).toBeLessThan(i === 1 ? 5e-5 : 1e-5);
    });
  });

  it('returns no entropy unless asked, and runs without a graph under a detached input', () => {
    const out = linearLogProbs(
      randTensor([3, 4], 80).detach(),
      randTensor([6, 4], 81).detach(),
      Int32Array.of(0, 5, 2),
    );
    expect(out.entropy).toBeNull();
    expect(out.logprobs.requiresGrad).toBe(false);
    expect(out.logprobs.shape).toEqual([3]);
  });
});

describe('model.loss through the fused head', () => {
  for (const tied of [false, true]) {
    it(`equals crossEntropy of forwardWithMtp's logits, loss and gradients (tie_word_embeddings: ${tied})`, () => {
      const tokens = [
        [0, 5, 9, 12, 7, 3, 44],
        [0, 0, 0, 8, 21, 30, 2],
      ];
      const attentionMask = [
        [1, 1, 1, 1, 1, 1, 1],
        [0, 0, 1, 1, 1, 1, 1],
      ];
      const model = createModel({ ...TINY_CONFIG, tie_word_embeddings: tied }, { seed: 4 });
      const fused = model.loss(tokens, { attentionMask, mtpWeight: 0.5 });
      fused.loss.backward();
      const fusedGrads = model.parameters().map((p) => p.grad?.toFloat32Array() ?? null);
      for (const p of model.parameters()) p.grad = null;
      // The same objective spelled out on the full logits.
      const { logits, mtpLogits } = model.forwardWithMtp(tokens, { attentionMask });
      const lm = crossEntropy(logits, Int32Array.of(5, 9, 12, 7, 3, 44, -100, -100, -100, 8, 21, 30, 2, -100));
      const mtp = crossEntropy(mtpLogits[0], Int32Array.of(9, 12, 7, 3, 44, -100, -100, -100, 21, 30, 2, -100));
      const loss = add(lm, mul(mtp, 0.5));
      loss.backward();
      expect(fused.lmLoss.item()).toBeCloseTo(lm.item(), 6);
      expect(fused.mtpLoss!.item()).toBeCloseTo(mtp.item(), 6);
      let compared = 0;
      model.parameters().forEach((p, i) => {
        expect(fusedGrads[i] === null, p.name).toBe(p.grad === null);
        if (!p.grad) return;
        expect(scaledError(fusedGrads[i]!, p.grad.toFloat32Array()), p.name).toBeLessThan(1e-5);
        compared++;
      });
      expect(compared).toBeGreaterThan(20);
    });
  }
});

describe('linear cross-entropy kernels', () => {
  const before = getNumThreads();
  afterAll(() => setNumThreads(before));

  it('give bit-identical results on 1 and 2 threads (rows and chunks split across threads)', () => {
    setNumThreads(1);
    const one = runFixedCase();
    setNumThreads(2);
    const two = runFixedCase();
    expect(two.length).toBe(one.length);
    one.forEach((o, i) => {
      expect(Buffer.from(Float32Array.from(two[i]).buffer).equals(Buffer.from(Float32Array.from(o).buffer))).toBe(true);
    });
  });

  it('agree between the AVX2 path and the portable path (AHA_DISABLE_SIMD=1, child process)', () => {
    const portable = runWithPortableKernels<{ simd: string; outputs: number[][] }>(
      { file: fileURLToPath(new URL('./linear-cross-entropy-case.ts', import.meta.url)) },
      { AHA_NUM_THREADS: '1' },
    );
    expect(portable.simd).toBe('portable');
    const here = runFixedCase();
    here.forEach((h, i) => {
      expect(scaledError(portable.outputs[i], h), `output ${i}`).toBeLessThan(1e-5);
    });
  }, 90_000);
});

describe('linear cross-entropy: bad input', () => {
  const h = randTensor([2, 3, 4], 90);
  const w = randTensor([5, 4], 91);
  it('throws typed errors naming the op and the values', () => {
    expect(() => linearCrossEntropy(h, w, Int32Array.of(0, 1, 2, 3, 4, 5))).toThrow(IndexError);
    expect(() => linearCrossEntropy(h, w, Int32Array.of(0, 1, 2, 3, 4, 5))).toThrow(/target 5 at row 5/);
    expect(() => linearCrossEntropy(h, w, Int32Array.of(0, 1, -1, 3, 4, 0))).toThrow(IndexError);
    expect(() => linearLogProbs(h, w, Int32Array.of(0, 1, 2, 3, 4, -100))).toThrow(IndexError);
    expect(() => linearCrossEntropy(h, w, Int32Array.of(0, 1))).toThrow(ShapeError);
    expect(() => linearCrossEntropy(h, w, [[0, 1, 2]])).toThrow(ShapeError);
    expect(() => linearCrossEntropy(h, randTensor([5, 3], 92), Int32Array.of(0, 1, 2, 3, 4, 0))).toThrow(
      /hidden \[2, 3, 4\] does not end in the weight's hidden size 3/,
    );
    expect(() => linearCrossEntropy(h, randTensor([5, 4, 1], 93), Int32Array.of(0, 1, 2, 3, 4, 0))).toThrow(ShapeError);
    expect(() => linearCrossEntropy(h, randTensor([0, 4], 93), Int32Array.of(0, 1, 2, 3, 4, 0))).toThrow(ShapeError);
    expect(() => linearCrossEntropy(h, w, Int32Array.of(0, 1, 2, 3, 4, 0), { temperature: 0 })).toThrow(ValueError);
    expect(() => linearCrossEntropy(h, w, Int32Array.of(0, 1, 2, 3, 4, 0), { reduction: 'avg' as 'mean' })).toThrow(
      ValueError,
    );
    expect(() => linearLogProbs(h, w, Int32Array.of(0, 1, 2, 3, 4, 0), { chunkSize: 0 })).toThrow(ValueError);
    expect(() => linearLogProbs(h, w, [0, 1, 2, 3, 4, 0] as unknown as Int32Array)).toThrow(DTypeError);
    expect(() => linearCrossEntropy(h, [] as unknown as Tensor, Int32Array.of(0))).toThrow(DTypeError);
  });
});
