import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DTypeError, ShapeError, ValueError } from '../errors.js';
import { getNumThreads, setNumThreads } from '../native.js';
import { Tensor } from '../tensor.js';
import { checkOp, maxRelError, type RefInput, randTensor } from '../testing/gradcheck.js';
import { runWithPortableKernels } from '../testing/portable.js';
import { scaledDotProductAttention } from './attention.js';
import { attentionCases, runCase } from './attention-check.js';
import { add, mul } from './binary.js';
import { matmul } from './matmul.js';
import { softmax } from './softmax.js';
import { expand, narrow, transpose } from './view.js';

interface Opts {
  scale?: number;
  causal?: boolean;
  keyMask?: Uint8Array | null;
}

// softmax(q·kᵀ·scale + mask)·v in float64; a row with no visible key is 0 (the op's contract).
function refAttention(o: Opts) {
  return (q: RefInput, k: RefInput, v: RefInput): Float64Array => {
    const [B, H, T, D] = q.shape;
    const [, Hk, S] = k.shape;
    const Dv = v.shape[3];
    const scale = o.scale ?? 1 / Math.sqrt(D);
    const out = new Float64Array(B * H * T * Dv);
    const w = new Float64Array(S);
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++) {
        const kh = Hk === 1 ? 0 : h;
        for (let t = 0; t < T; t++) {
          let m = -Infinity;
          for (let s = 0; s < S; s++) {
            const visible = (!o.causal || s <= t + S - T) && (o.keyMask?.[b * S + s] ?? 1) !== 0;
            let dot = 0;
            for (let d = 0; d < D; d++)
              dot += q.values[((b * H + h) * T + t) * D + d] * k.values[((b * Hk + kh) * S + s) * D + d];
            w[s] = visible ? dot * scale : -Infinity;
            m = Math.max(m, w[s]);
          }
          if (m === -Infinity) continue;
          let z = 0;
          for (let s = 0; s < S; s++) z += w[s] = Math.exp(w[s] - m);
          for (let s = 0; s < S; s++)
            for (let d = 0; d < Dv; d++)
              out[((b * H + h) * T + t) * Dv + d] += (w[s] / z) * v.values[((b * Hk + kh) * S + s) * Dv + d];
        }
      }
    return out;
  };
}

function check(shape: { B: number; H: number; Hk: number; T: number; S: number; D: number; Dv: number }, o: Opts) {
  const { B, H, Hk, T, S, D, Dv } = shape;
  checkOp({
    inputs: [randTensor([B, H, T, D], 1), randTensor([B, Hk, S, D], 2), randTensor([B, Hk, S, Dv], 3)],
    forward: (q, k, v) => scaledDotProductAttention(q, k, v, o),
    reference: refAttention(o),
    forwardTol: 5e-5, // float32 sums over S keys against float64
  });
}

describe('scaledDotProductAttention', () => {
  it('matches softmax(q·kᵀ·scale)·v without a mask, gradients to q, k, v', () => {
    check({ B: 2, H: 3, Hk: 3, T: 4, S: 5, D: 7, Dv: 5 }, {});
    check({ B: 1, H: 2, Hk: 2, T: 3, S: 9, D: 37, Dv: 40 }, { scale: 0.3 }); // 32-wide, 8-wide and scalar tails
    // At the avx512 level: D = 4·16 + 3 (masked dot tail), Dv = 64 + 16 + 3 (64-wide, 16-wide and masked accumulation)
    check({ B: 1, H: 1, Hk: 1, T: 2, S: 21, D: 67, Dv: 83 }, { scale: 0.2 });
  });

  it('is causal with an offset: queries are the last T of S positions', () => {
    check({ B: 2, H: 2, Hk: 2, T: 6, S: 6, D: 8, Dv: 4 }, { causal: true });
    check({ B: 1, H: 2, Hk: 2, T: 3, S: 7, D: 5, Dv: 3 }, { causal: true, scale: 0.7 });
  });

  it('broadcasts one shared key/value head (Hk = 1) over more keys than one tile', () => {
    check({ B: 2, H: 3, Hk: 1, T: 3, S: 70, D: 10, Dv: 9 }, { causal: true });
  });

  it('decodes one query (T = 1) over a padded key set', () => {
    const keyMask = Uint8Array.from([0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1]);
    check({ B: 2, H: 2, Hk: 1, T: 1, S: 7, D: 12, Dv: 6 }, { causal: true, keyMask });
  });

  it('gives 0 and zero gradients (never NaN) for left-padding rows that see no key', () => {
    const keyMask = Uint8Array.from([0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    const o = { causal: true, keyMask };
    check({ B: 2, H: 2, Hk: 2, T: 6, S: 6, D: 6, Dv: 5 }, o);
    const q = randTensor([2, 2, 6, 6], 4);
    const k = randTensor([2, 2, 6, 6], 5);
    const v = randTensor([2, 2, 6, 5], 6);
    const y = scaledDotProductAttention(q, k, v, o);
    y.backward(new Tensor(new Float32Array(y.numel).fill(1), y.shape));
    const out = y.toFloat32Array();
    const gq = q.grad!.toFloat32Array();
    const gk = k.grad!.toFloat32Array();
    expect(out.every(Number.isFinite) && gq.every(Number.isFinite) && gk.every(Number.isFinite)).toBe(true);
    for (const h of [0, 1])
      for (const t of [0, 1]) {
        expect(Array.from(out.subarray((h * 6 + t) * 5, (h * 6 + t + 1) * 5))).toEqual([0, 0, 0, 0, 0]);
        expect(Array.from(gq.subarray((h * 6 + t) * 6, (h * 6 + t + 1) * 6))).toEqual([0, 0, 0, 0, 0, 0]);
      }
    // Padding keys get no gradient either.
    expect(Array.from(gk.subarray(0, 12))).toEqual(new Array(12).fill(0));
  });

  it('propagates NaN from a visible key and ignores a masked one', () => {
    const run = (keyMask: Uint8Array | null) => {
      const q = randTensor([1, 1, 2, 4], 1);
      const k = randTensor([1, 1, 3, 4], 2).detach();
      const v = randTensor([1, 1, 3, 2], 3).detach();
      k.storage[8] = Number.NaN; // key 2: causal (S = T + 1) shows it to query 1 only
      v.storage[4] = Number.NaN;
      const y = scaledDotProductAttention(q, k, v, { causal: true, keyMask });
      y.backward(new Tensor(new Float32Array(4).fill(1), y.shape));
      return { out: y.toFloat32Array(), gq: q.grad!.toFloat32Array() };
    };
    const seen = run(null);
    expect(Array.from(seen.out.subarray(0, 2)).every(Number.isFinite)).toBe(true);
    expect(Array.from(seen.out.subarray(2)).every(Number.isNaN)).toBe(true);
    expect(Array.from(seen.gq.subarray(4)).every(Number.isNaN)).toBe(true);
    const masked = run(Uint8Array.from([1, 1, 0]));
    expect(masked.out.every(Number.isFinite) && masked.gq.every(Number.isFinite)).toBe(true);
  });

  it('reads strided views (q as a transpose of [B, T, H, D])', () => {
    checkOp({
      inputs: [randTensor([2, 4, 3, 8], 7), randTensor([2, 3, 4, 8], 8), randTensor([2, 3, 4, 8], 9)],
      forward: (q, k, v) => scaledDotProductAttention(transpose(q, 1, 2), k, v, { causal: true }),
      reference: (q, k, v) => {
        const t = new Float64Array(q.values.length);
        for (let b = 0; b < 2; b++)
          for (let s = 0; s < 4; s++)
            for (let h = 0; h < 3; h++)
              for (let d = 0; d < 8; d++) t[((b * 3 + h) * 4 + s) * 8 + d] = q.values[((b * 4 + s) * 3 + h) * 8 + d];
        return refAttention({ causal: true })({ values: t, shape: [2, 3, 4, 8] }, k, v);
      },
    });
  });

  it('reads k and v views in place: a broadcast head (stride 0), a last-dim narrow of the keys', () => {
    // kv [B, 1, S, 9]: keys are all 9 columns, values the first 6 (MLA's c_KV inside [c_KV | k_pe]).
    checkOp({
      inputs: [randTensor([2, 3, 4, 9], 14), randTensor([2, 1, 7, 9], 15)],
      forward: (q, kv) =>
        scaledDotProductAttention(q, expand(kv, [2, 3, 7, 9]), expand(narrow(kv, 3, 0, 6), [2, 3, 7, 6]), {
          causal: true,
          scale: 0.5,
        }),
      reference: (q, kv) => {
        const v = new Float64Array(2 * 7 * 6);
        for (let r = 0; r < 14; r++) for (let d = 0; d < 6; d++) v[r * 6 + d] = kv.values[r * 9 + d];
        return refAttention({ causal: true, scale: 0.5 })(q, kv, { values: v, shape: [2, 1, 7, 6] });
      },
      forwardTol: 5e-5,
    });
  });

  it('scores a pair [q1, q2]·[k1, k2]ᵀ as the concatenation, k2 a broadcast view (MLA k_pe)', () => {
    // Concatenate a and b [.., Da], [.., Db] along the last dim (b repeated over heads when it has one).
    const cat2 = (a: RefInput, b: RefInput): RefInput => {
      const [B0, H0, L, Da] = a.shape;
      const Db = b.shape[3];
      const out = new Float64Array(B0 * H0 * L * (Da + Db));
      for (let bh = 0; bh < B0 * H0; bh++)
        for (let l = 0; l < L; l++) {
          const row = bh * L + l;
          const brow = (b.shape[1] === 1 ? Math.floor(bh / H0) : bh) * L + l;
          for (let d = 0; d < Da; d++) out[row * (Da + Db) + d] = a.values[row * Da + d];
          for (let d = 0; d < Db; d++) out[row * (Da + Db) + Da + d] = b.values[brow * Db + d];
        }
      return { values: out, shape: [B0, H0, L, Da + Db] };
    };
    for (const Hk of [3, 1]) {
      const keyMask = Uint8Array.from([1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1]);
      const o = { causal: true, keyMask };
      checkOp({
        inputs: [
          randTensor([2, 3, 4, 7], 20),
          randTensor([2, 3, 4, 5], 21),
          randTensor([2, Hk, 6, 7], 22),
          randTensor([2, 1, 6, 5], 23),
          randTensor([2, Hk, 6, 4], 24),
        ],
        forward: (q1, q2, k1, k2, v) => scaledDotProductAttention([q1, q2], [k1, expand(k2, [2, Hk, 6, 5])], v, o),
        reference: (q1, q2, k1, k2, v) => refAttention(o)(cat2(q1, q2), cat2(k1, k2), v),
        forwardTol: 5e-5,
      });
    }
    const q = randTensor([1, 2, 3, 4], 1);
    const k = randTensor([1, 2, 3, 4], 2);
    expect(() => scaledDotProductAttention([q, q], k, k)).toThrow(DTypeError);
    expect(() => scaledDotProductAttention([q, q], [k, randTensor([1, 2, 4, 4], 3)], k)).toThrow(
      'k parts differ in heads or length',
    );
  });

  it('matches the four-op composition (matmul, scale + mask, softmax, matmul) over several row and key tiles', () => {
    const [B, H, T, S, D, Dv] = [2, 3, 45, 150, 20, 17];
    const keyMask = new Uint8Array(B * S).fill(1).fill(0, 0, 120); // row 0: 120 padding keys → 15 blind queries
    const bias = new Float32Array(B * T * S);
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T; t++)
        for (let s = 0; s < S; s++) if (s > t + S - T || !keyMask[b * S + s]) bias[(b * T + t) * S + s] = -1e9;
    for (const Hk of [H, 1]) {
      const mk = () => [randTensor([B, H, T, D], 10), randTensor([B, Hk, S, D], 11), randTensor([B, Hk, S, Dv], 12)];
      const [q1, k1, v1] = mk();
      const [q2, k2, v2] = mk();
      const fused = scaledDotProductAttention(q1, k1, v1, { causal: true, keyMask, scale: 0.4 });
      const scores = add(
        mul(matmul(q2, transpose(expand(k2, [B, H, S, D]), -2, -1)), 0.4),
        new Tensor(bias, [B, 1, T, S]),
      );
      const plain = matmul(softmax(scores, -1), expand(v2, [B, H, S, Dv])); // [B, H, T, Dv]
      const g = randTensor([B, H, T, Dv], 13).detach();
      fused.backward(g);
      plain.backward(g);
      // Rows that see no key: the composition gives the mean of v (uniform over −1e9s), the op gives 0.
      const blind = (x: Float32Array, width: number) => {
        for (let h = 0; h < H; h++) x.fill(0, h * T * width, (h * T + 15) * width);
        return x;
      };
      expect(maxRelError(fused.toFloat32Array(), blind(plain.toFloat32Array(), Dv))).toBeLessThan(1e-4);
      expect(maxRelError(q1.grad!.toFloat32Array(), blind(q2.grad!.toFloat32Array(), D))).toBeLessThan(1e-3);
      // Blind rows send the composition's gradient to every key; compare keys only on the second batch row.
      const half = (t: Tensor) => t.toFloat32Array().subarray(t.numel / 2);
      expect(maxRelError(half(k1.grad!), half(k2.grad!))).toBeLessThan(1e-3);
      expect(maxRelError(half(v1.grad!), half(v2.grad!))).toBeLessThan(1e-3);
    }
  });

  it('rejects mismatched shapes, a wrong mask length and bad options with typed errors', () => {
    const q = randTensor([2, 4, 3, 8], 1);
    const k = randTensor([2, 4, 5, 8], 2);
    const v = randTensor([2, 4, 5, 6], 3);
    const sdpa = scaledDotProductAttention;
    expect(() => sdpa(q, randTensor([2, 4, 5, 7], 4), v)).toThrow(ShapeError);
    expect(() => sdpa(q, randTensor([2, 4, 5, 7], 4), v)).toThrow('q and k need the same last dim');
    expect(() => sdpa(q, randTensor([2, 2, 5, 8], 4), randTensor([2, 2, 5, 6], 5))).toThrow(ShapeError);
    expect(() => sdpa(q, k, randTensor([2, 4, 4, 6], 5))).toThrow('k and v need the same length S');
    expect(() => sdpa(q, randTensor([1, 4, 5, 8], 4), v)).toThrow('batch sizes differ');
    expect(() => sdpa(randTensor([4, 3, 8], 4), k, v)).toThrow('q must be 4-d');
    expect(() => sdpa(q, k, v, { keyMask: new Uint8Array(9) })).toThrow(
      'keyMask has 9 entries, [B, S] = [2, 5] needs 10',
    );
    expect(() => sdpa(q, k, v, { keyMask: new Int32Array(10) as unknown as Uint8Array })).toThrow(DTypeError);
    expect(() => sdpa(k, q, randTensor([2, 4, 3, 6], 5), { causal: true })).toThrow(ValueError);
    expect(() => sdpa(q, k, v, { scale: Number.NaN })).toThrow(ValueError);
    expect(() => sdpa(q, k, null as unknown as Tensor)).toThrow(DTypeError);
  });
});

describe('scaledDotProductAttention kernels', () => {
  const before = getNumThreads();
  afterAll(() => setNumThreads(before));

  it('gives bit-identical outputs and gradients on 1 and 2 threads', () => {
    for (const c of attentionCases) {
      setNumThreads(1);
      const one = runCase(c);
      setNumThreads(2);
      const two = runCase(c);
      for (const [i, x] of one.entries()) {
        expect(Buffer.from(two[i].buffer).equals(Buffer.from(x.buffer)), `${c.name} ${i}`).toBe(true);
      }
    }
  });

  it('the portable path (AHA_DISABLE_SIMD=1, child process) agrees with this process', () => {
    const child = runWithPortableKernels<{ simd: string; results: number[][][] }>(
      { file: fileURLToPath(new URL('./attention-check.ts', import.meta.url)) },
      { AHA_NUM_THREADS: '1' },
    );
    expect(child.simd).toBe('portable');
    for (const [i, c] of attentionCases.entries()) {
      // Outputs to 1e-4; gradients (dP − D cancels) to checkOp's 1e-3.
      for (const [j, x] of runCase(c).entries()) {
        expect(maxRelError(x, child.results[i][j]), `${c.name} ${j}`).toBeLessThan(j === 0 ? 1e-4 : 1e-3);
      }
    }
  }, 90_000);
});
