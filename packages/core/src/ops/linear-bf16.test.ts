// linearBf16 (bf16 weight, f32 activations and sums): against an f32/double reference on the widened weight at odd
// shapes (K not a multiple of any vector width, N = 1, M > 1) at every SIMD level this CPU runs, bit-identical on
// 1-3 threads; the TS wrapper's validation errors. Leaves out timing (shared cores) and gradients (there are none).
import { describe, expect, it } from 'vitest';
import { DTypeError, ShapeError, ValueError } from '../errors.js';
import { bf16ToF32, f32ToBf16 } from '../io/half.js';
import { Tensor } from '../tensor.js';
import { runWithSimdLevel, simdLevelsToTest } from '../testing/portable.js';
import { linear } from './linear.js';
import { linearBf16, toBf16Weight } from './linear-bf16.js';

// [M, N, K]
const SHAPES = [
  [1, 1, 1],
  [1, 37, 301],
  [1, 300, 77],
  [1, 1000, 513],
  [3, 129, 257],
  [2, 5, 16],
  [1, 17, 64],
  [1, 4096, 256],
];

let seed = 7;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return (seed / 2147483648) * 2 - 1;
};

describe('linearBf16 kernel at each SIMD level', () => {
  for (const [level, supported] of simdLevelsToTest()) {
    const name = `matches the widened-weight reference with AHA_SIMD=${level}${supported ? '' : ' (skipped: this CPU lacks it)'}`;
    it.runIf(supported)(name, () => {
      const script = `
        const n = require('@aha/native');
        let seed = 1;
        const r = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
        const f = new Float32Array(1), u = new Uint32Array(f.buffer);
        let worst = 0, threadDiffs = 0;
        for (const [M, N, K] of ${JSON.stringify(SHAPES)}) {
          const x = Float32Array.from({ length: M * K }, r);
          const w = Uint16Array.from({ length: N * K }, () => { f[0] = r(); return u[0] >>> 16; });
          const wide = Float32Array.from(w, (h) => { u[0] = h << 16; return f[0]; });
          let first = null;
          for (const threads of [1, 2, 3]) {
            n.setNumThreads(threads);
            for (const portable of [0, 1]) {
              const y = new Float32Array(M * N);
              n.linearBf16(x, M, K, w, N, y, portable);
              for (let m = 0; m < M; m++)
                for (let j = 0; j < N; j++) {
                  let s = 0, mag = 0;
                  for (let k = 0; k < K; k++) { s += x[m * K + k] * wide[j * K + k]; mag += Math.abs(x[m * K + k] * wide[j * K + k]); }
                  worst = Math.max(worst, Math.abs(y[m * N + j] - s) / (mag + 1e-30));
                }
              if (!portable) {
                if (first === null) first = y;
                else for (let i = 0; i < y.length; i++) if (y[i] !== first[i]) threadDiffs++;
              }
            }
          }
        }
        console.log(JSON.stringify({ simd: n.simdLevel(), worst, threadDiffs }));`;
      const out = runWithSimdLevel<{ simd: string; worst: number; threadDiffs: number }>(level, { code: script });
      expect(out.simd).toBe(level);
      expect(out.worst).toBeLessThan(1e-5); // f32 sums vs double: a few ulps of the sum of magnitudes
      expect(out.threadDiffs).toBe(0);
    });
  }
});

describe('linearBf16', () => {
  it('equals linear() on the widened weight, up to the K-sum order, for batched x', () => {
    const [outF, inF] = [19, 67];
    const w = new Tensor(Float32Array.from({ length: outF * inF }, rand), [outF, inF]);
    const x = new Tensor(Float32Array.from({ length: 2 * 3 * inF }, rand), [2, 3, inF]);
    const bw = toBf16Weight(w);
    expect(bw.data).toEqual(f32ToBf16(w.values()));
    const y = linearBf16(x, bw);
    const ref = linear(x, new Tensor(bf16ToF32(bw.data), [outF, inF]));
    expect(y.shape).toEqual([2, 3, outF]);
    const a = y.values();
    const b = ref.values();
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-5);
    const p = linearBf16(x, bw, { portable: true }).values();
    for (let i = 0; i < a.length; i++) expect(Math.abs(p[i] - b[i])).toBeLessThan(1e-5);
  });

  const x = new Tensor(new Float32Array(8), [2, 4]);
  const good = { data: new Uint16Array(12), shape: [3, 4] as [number, number] };
  it.each([
    [
      'x not a Tensor',
      () => linearBf16(new Float32Array(8) as unknown as Tensor, good),
      DTypeError,
      /x must be a Tensor/,
    ],
    [
      'f32 weight data',
      () => linearBf16(x, { data: new Float32Array(12) as unknown as Uint16Array, shape: [3, 4] }),
      DTypeError,
      /Uint16Array.*Float32Array/,
    ],
    [
      '3-d weight shape',
      () => linearBf16(x, { data: good.data, shape: [3, 2, 2] as unknown as [number, number] }),
      ShapeError,
      /\[out, in\]/,
    ],
    [
      'data/shape mismatch',
      () => linearBf16(x, { data: new Uint16Array(11), shape: [3, 4] }),
      ShapeError,
      /holds 11 words.*needs 12/,
    ],
    [
      'in-features mismatch',
      () => linearBf16(new Tensor(new Float32Array(10), [2, 5]), good),
      ShapeError,
      /\[2, 5\].*in-features 4/,
    ],
    [
      'x requires grad',
      () => linearBf16(new Tensor(new Float32Array(8), [2, 4]).requiresGrad_(), good),
      ValueError,
      /no backward/,
    ],
    ['unknown option', () => linearBf16(x, good, { simd: 'avx2' } as never), ValueError, /unknown option "simd"/],
  ])('rejects %s', (_name, call, type, message) => {
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });
});
