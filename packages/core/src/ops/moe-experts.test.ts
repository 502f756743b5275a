import { afterAll, describe, expect, it } from 'vitest';
import { DTypeError, IndexError, ShapeError, ValueError } from '../errors.js';
import { getNumThreads, kernel, setNumThreads } from '../native.js';
import type { Tensor } from '../tensor.js';
import { checkOp, maxRelError, type RefInput, randTensor, rng } from '../testing/gradcheck.js';
import { moeExperts } from './moe-experts.js';

interface Case {
  N: number;
  K: number;
  D: number;
  I: number;
  E: number;
  ids: Int32Array;
}

// Distinct experts per token (as top-k routing gives), drawn from `allowed`.
function routing(N: number, K: number, allowed: number[], seed: number): Int32Array {
  const r = rng(seed);
  const ids = new Int32Array(N * K);
  for (let n = 0; n < N; n++) {
    const pool = [...allowed];
    for (let k = 0; k < K; k++) ids[n * K + k] = pool.splice(Math.floor(r() * pool.length), 1)[0];
  }
  return ids;
}

// [x, w, gate × E, up × E, down × E]; weights of experts that get no token are detached (their gradient is null,
// which checkOp cannot compare to the zero finite difference; a separate test asserts the null).
function inputs(c: Case, seed: number): Tensor[] {
  const used = new Set(c.ids);
  const weight = (shape: number[], e: number, s: number) => {
    const t = randTensor(shape, s, -0.7, 0.7);
    return used.has(e) ? t : t.detach();
  };
  return [
    randTensor([c.N, c.D], seed),
    randTensor([c.N, c.K], seed + 1, 0.2, 1.5),
    ...Array.from({ length: c.E }, (_, e) => weight([c.I, c.D], e, seed + 10 + e)),
    ...Array.from({ length: c.E }, (_, e) => weight([c.I, c.D], e, seed + 100 + e)),
    ...Array.from({ length: c.E }, (_, e) => weight([c.D, c.I], e, seed + 200 + e)),
  ];
}

const apply =
  (c: Case) =>
  (x: Tensor, w: Tensor, ...ws: Tensor[]) =>
    moeExperts(x, c.ids, w, { gate: ws.slice(0, c.E), up: ws.slice(c.E, 2 * c.E), down: ws.slice(2 * c.E) });

// Plain float64 loop: y[n] = Σ_k w[n,k] · down_e(silu(gate_e x[n]) · up_e x[n]).
function reference(c: Case) {
  const { N, K, D, I, E, ids } = c;
  return (x: RefInput, w: RefInput, ...ws: RefInput[]): Float64Array => {
    const y = new Float64Array(N * D);
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < K; k++) {
        const e = ids[n * K + k];
        const [g, u, d] = [ws[e].values, ws[E + e].values, ws[2 * E + e].values];
        const a = new Float64Array(I);
        for (let i = 0; i < I; i++) {
          let hg = 0;
          let hu = 0;
          for (let j = 0; j < D; j++) {
            hg += g[i * D + j] * x.values[n * D + j];
            hu += u[i * D + j] * x.values[n * D + j];
          }
          a[i] = (hg / (1 + Math.exp(-hg))) * hu;
        }
        for (let j = 0; j < D; j++) {
          let s = 0;
          for (let i = 0; i < I; i++) s += d[j * I + i] * a[i];
          y[n * D + j] += w.values[n * K + k] * s;
        }
      }
    }
    return y;
  };
}

const ref = (t: Tensor): RefInput => ({ values: Float64Array.from(t.values()), shape: [...t.shape] });

const check = (c: Case, seed: number) =>
  checkOp({ inputs: inputs(c, seed), forward: apply(c), reference: reference(c), forwardTol: 1e-4, gradTol: 2e-3 });

describe('moeExperts', () => {
  it('matches the plain per-token loop with gradients to x, the gate weights and every expert weight', () => {
    check({ N: 7, K: 2, D: 5, I: 3, E: 4, ids: routing(7, 2, [0, 1, 2, 3], 1) }, 1);
    check({ N: 9, K: 3, D: 13, I: 6, E: 5, ids: routing(9, 3, [0, 1, 2, 3, 4], 2) }, 2);
  });

  it('handles one token, K = 1, all tokens on one expert and experts with no token', () => {
    check({ N: 1, K: 1, D: 9, I: 11, E: 3, ids: Int32Array.of(2) }, 3); // N = 1, K = 1
    check({ N: 6, K: 1, D: 7, I: 4, E: 3, ids: new Int32Array(6).fill(1) }, 4); // all on expert 1
    check({ N: 8, K: 2, D: 10, I: 9, E: 4, ids: routing(8, 2, [0, 2, 3], 5) }, 5); // expert 1 idle
  });

  it('leaves the gradient of an expert without tokens null, like the per-expert loop that skips it', () => {
    const c: Case = { N: 5, K: 2, D: 4, I: 3, E: 4, ids: routing(5, 2, [0, 1, 3], 6) };
    const xs = [
      randTensor([5, 4], 1),
      randTensor([5, 2], 2),
      ...Array.from({ length: 8 }, (_, i) => randTensor([3, 4], 10 + i)), // gate, up: [I, D]
      ...Array.from({ length: 4 }, (_, i) => randTensor([4, 3], 30 + i)), // down: [D, I]
    ];
    apply(c)(xs[0], xs[1], ...xs.slice(2)).backward(randTensor([5, 4], 3).detach());
    for (let e = 0; e < 4; e++) {
      for (const p of [0, 1, 2]) expect(xs[2 + p * 4 + e].grad === null, `expert ${e} list ${p}`).toBe(e === 2);
    }
  });

  it('returns [0, D] for zero tokens and records no graph when no input needs a gradient', () => {
    const c: Case = { N: 0, K: 2, D: 3, I: 2, E: 2, ids: new Int32Array(0) };
    const [x, w, ...ws] = inputs(c, 1);
    expect(apply(c)(x, w, ...ws).shape).toEqual([0, 3]);
    const d: Case = { N: 3, K: 1, D: 3, I: 2, E: 2, ids: Int32Array.of(0, 1, 1) };
    const [dx, dw, ...dws] = inputs(d, 2).map((t) => t.detach());
    const y = apply(d)(dx, dw, ...dws);
    expect(y.requiresGrad).toBe(false);
    expect(maxRelError(y.values(), reference(d)(ref(dx), ref(dw), ...dws.map(ref)))).toBeLessThan(1e-4);
  });

  const big = (): [Case, Tensor[]] => {
    // About 470 rows per expert: two 256-row tiles each, so the grouped GEMM really splits experts across tasks.
    const c: Case = { N: 700, K: 2, D: 37, I: 29, E: 3, ids: routing(700, 2, [0, 1, 2], 7) };
    return [c, inputs(c, 40)];
  };
  const runBig = (path?: number): Float32Array[] => {
    const [c, xs] = big();
    if (path === undefined) {
      const y = apply(c)(xs[0], xs[1], ...xs.slice(2));
      y.backward(randTensor(y.shape, 9).detach());
      return [y.toFloat32Array(), ...xs.map((t) => t.grad!.toFloat32Array())];
    }
    // The raw kernels, to pick the portable path in-process (AHA_DISABLE_SIMD=1 is read once per process).
    const { N, K, D, I, E, ids } = c;
    const v = xs.map((t) => t.values());
    const [g, u, d] = [v.slice(2, 2 + E), v.slice(2 + E, 2 + 2 * E), v.slice(2 + 2 * E)];
    const y = new Float32Array(N * D);
    const hg = new Float32Array(N * K * I);
    const hu = new Float32Array(N * K * I);
    kernel<(...a: unknown[]) => void>('moeExpertsForward')(v[0], ids, v[1], N, K, D, I, E, g, u, d, y, hg, hu, path);
    const dy = randTensor([N, D], 9).values();
    const grads = xs.map((t) => new Float32Array(t.numel));
    const [gg, gu, gd] = [grads.slice(2, 2 + E), grads.slice(2 + E, 2 + 2 * E), grads.slice(2 + 2 * E)];
    kernel<(...a: unknown[]) => void>('moeExpertsBackward')(
      ...[dy, v[0], ids, v[1], N, K, D, I, E, g, u, d, hg, hu, grads[0], grads[1], gg, gu, gd, path],
    );
    return [y, ...grads];
  };

  it('gives the same results on the AVX2 and the portable path', () => {
    const simd = runBig(0);
    const portable = runBig(1);
    const fused = runBig();
    for (let i = 0; i < simd.length; i++) {
      // Relative to the largest magnitude: the two paths round differently (FMA, polynomial exp).
      const scale = portable[i].reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expect(maxRelError(simd[i], portable[i], scale), `output ${i}`).toBeLessThan(1e-5);
      expect(Buffer.from(fused[i].buffer).equals(Buffer.from(simd[i].buffer)), `op = kernel, output ${i}`).toBe(true);
    }
  });

  describe('threads', () => {
    const before = getNumThreads();
    afterAll(() => setNumThreads(before));
    it('gives bit-identical outputs and gradients on 1 and 3 threads', () => {
      setNumThreads(1);
      const one = runBig();
      setNumThreads(3);
      const three = runBig();
      for (let i = 0; i < one.length; i++) {
        expect(Buffer.from(three[i].buffer).equals(Buffer.from(one[i].buffer)), `output ${i}`).toBe(true);
      }
    });
  });

  it('throws typed errors naming the argument', () => {
    const c: Case = { N: 3, K: 2, D: 4, I: 5, E: 3, ids: Int32Array.of(0, 1, 2, 0, 1, 2) };
    const [x, w, ...ws] = inputs(c, 1);
    const experts = { gate: ws.slice(0, 3), up: ws.slice(3, 6), down: ws.slice(6) };
    expect(() => moeExperts(x, Int32Array.of(0, 1, 2, 3, 1, 2), w, experts)).toThrow(
      'moeExperts: expertIds[3] = 3 is outside [0, 3) (token 1)',
    );
    expect(() => moeExperts(x, Int32Array.of(0, 1, -1, 0, 1, 2), w, experts)).toThrow(IndexError);
    expect(() => moeExperts(x, Int32Array.of(0, 1, 2), w, experts)).toThrow(
      'moeExperts: expertIds has 3 ids, needs N·K = 6 for gateWeights [3, 2]',
    );
    expect(() => moeExperts(x, c.ids, randTensor([2, 3], 1), experts)).toThrow(ShapeError);
    expect(() => moeExperts(randTensor([3, 4, 1], 1), c.ids, w, experts)).toThrow(ShapeError);
    expect(() => moeExperts(x, c.ids, w, { ...experts, down: ws.slice(6, 8) })).toThrow(
      'moeExperts: experts.gate, .up and .down must hold the same number (>= 1) of tensors, got 3, 3 and 2',
    );
    expect(() => moeExperts(x, c.ids, w, { gate: [], up: [], down: [] })).toThrow(ValueError);
    expect(() => moeExperts(x, c.ids, w, { ...experts, up: [ws[3], randTensor([5, 3], 1), ws[5]] })).toThrow(
      'moeExperts: experts.up[1] is [5, 3], needs [5, 4] (D = 4, I = 5)',
    );
    expect(() => moeExperts(x, c.ids, w, { ...experts, down: [ws[6], ws[7], randTensor([5, 4], 1)] })).toThrow(
      ShapeError,
    );
    expect(() => moeExperts(x, [0, 1, 2, 0, 1, 2] as unknown as Int32Array, w, experts)).toThrow(DTypeError);
  });

  it('checks expert ids again at the native boundary', () => {
    const f = kernel<(...a: unknown[]) => void>('moeExpertsForward');
    const one = new Float32Array(4);
    expect(() =>
      f(one, Int32Array.of(5), Float32Array.of(1), 1, 1, 2, 2, 1, [one], [one], [one], one, null, null, 0),
    ).toThrow('moeExpertsForward: expert id 5 at slot 0 is outside [0, 1)');
    expect(() =>
      f(one, Int32Array.of(0), Float32Array.of(1), 1, 1, 2, 2, 1, [one], [], [one], one, null, null, 0),
    ).toThrow('has 0 entries, needs 1');
  });
});
