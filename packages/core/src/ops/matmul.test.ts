import { describe, expect, it } from 'vitest';
import { DTypeError, ShapeError } from '../errors.js';
import { getNumThreads, setNumThreads, simdLevel } from '../native.js';
import { type Tensor, tensor } from '../tensor.js';
import { checkOp, type RefInput, randTensor, rng } from '../testing/gradcheck.js';
import { add } from './binary.js';
import { batchedGemm, type GemmPath, matmul } from './matmul.js';
import { expand, slice, transpose } from './view.js';

// float64 torch.matmul on logical row-major values: 1-d operands promoted and their dims dropped, batch broadcast.
function refMatmul(a: RefInput, b: RefInput): Float64Array {
  const as = a.shape.length === 1 ? [1, a.shape[0]] : a.shape;
  const bs = b.shape.length === 1 ? [b.shape[0], 1] : b.shape;
  const [M, K] = as.slice(-2);
  const N = bs[bs.length - 1];
  const ab = as.slice(0, -2);
  const bb = bs.slice(0, -2);
  const n = Math.max(ab.length, bb.length);
  const pa = [...new Array(n - ab.length).fill(1), ...ab];
  const pb = [...new Array(n - bb.length).fill(1), ...bb];
  const batch = pa.map((x, i) => Math.max(x, pb[i]));
  const nb = batch.reduce((p, q) => p * q, 1);
  const out = new Float64Array(nb * M * N);
  for (let t = 0; t < nb; t++) {
    let r = t;
    let ia = 0;
    let ib = 0;
    let sa = 1;
    let sb = 1;
    for (let d = n - 1; d >= 0; d--) {
      const i = r % batch[d];
      r = Math.floor(r / batch[d]);
      ia += (pa[d] === 1 ? 0 : i) * sa;
      ib += (pb[d] === 1 ? 0 : i) * sb;
      sa *= pa[d];
      sb *= pb[d];
    }
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a.values[ia * M * K + i * K + k] * b.values[ib * K * N + k * N + j];
        out[t * M * N + i * N + j] = s;
      }
  }
  return out;
}

// Logical values of the last-two-dims transpose of a row-major input.
function refT(x: RefInput): RefInput {
  const s = x.shape;
  const [R, C] = s.slice(-2);
  const lead = x.values.length / (R * C);
  const values = new Float64Array(x.values.length);
  for (let l = 0; l < lead; l++)
    for (let i = 0; i < R; i++)
      for (let j = 0; j < C; j++) values[l * R * C + j * R + i] = x.values[l * R * C + i * C + j];
  return { values, shape: [...s.slice(0, -2), C, R] };
}

describe('matmul', () => {
  it('multiplies matrices, including M = 1, N = 1 and K not a multiple of 8', () => {
    for (const [M, K, N, seed] of [
      [3, 5, 4, 1],
      [1, 9, 7, 2],
      [6, 11, 1, 3],
      [13, 3, 17, 4],
    ]) {
      checkOp({
        inputs: [randTensor([M, K], seed), randTensor([K, N], seed + 10)],
        forward: matmul,
        reference: refMatmul,
      });
    }
  });

  it('broadcasts leading dims and follows NumPy for 1-d operands', () => {
    checkOp({ inputs: [randTensor([2, 3, 4, 5], 5), randTensor([3, 5, 2], 6)], forward: matmul, reference: refMatmul });
    checkOp({
      inputs: [randTensor([2, 1, 3, 4], 7), randTensor([1, 2, 4, 3], 8)],
      forward: matmul,
      reference: refMatmul,
    });
    checkOp({ inputs: [randTensor([4], 9), randTensor([2, 4, 3], 10)], forward: matmul, reference: refMatmul });
    checkOp({ inputs: [randTensor([2, 3, 4], 11), randTensor([4], 12)], forward: matmul, reference: refMatmul });
    checkOp({ inputs: [randTensor([6], 13), randTensor([6], 14)], forward: matmul, reference: refMatmul });
    expect(matmul(randTensor([4], 1), randTensor([4, 3], 2)).shape).toEqual([3]);
    expect(matmul(randTensor([5, 4], 1), randTensor([4], 2)).shape).toEqual([5]);
    expect(matmul(randTensor([4], 1), randTensor([4], 2)).shape).toEqual([]);
  });

  it('reads transposed, sliced and broadcast views in place', () => {
    // a stored [2, K, M] and viewed as [2, M, K]; b stored [N, K] and viewed as [K, N]: both go through trans flags.
    checkOp({
      inputs: [randTensor([2, 7, 5], 15), randTensor([3, 7], 16)],
      forward: (a, b) => matmul(transpose(a, 1, 2), transpose(b, 0, 1)),
      reference: (a, b) => refMatmul(refT(a), refT(b)),
    });
    // A row slice keeps a unit column stride but a larger leading dimension.
    checkOp({
      inputs: [randTensor([5, 9], 17), randTensor([4, 3], 18)],
      forward: (a, b) => matmul(slice(a, 1, 2, 6), b),
      reference: (a, b) => {
        const v = new Float64Array(20);
        for (let i = 0; i < 5; i++) for (let k = 0; k < 4; k++) v[i * 4 + k] = a.values[i * 9 + 2 + k];
        return refMatmul({ values: v, shape: [5, 4] }, b);
      },
    });
    // An expanded (stride 0) batch dim is read without materialising the copies.
    checkOp({
      inputs: [randTensor([1, 3, 4], 19), randTensor([3, 4, 2], 20)],
      forward: (a, b) => matmul(expand(a, [3, 3, 4]), b),
      reference: refMatmul,
    });
    // Neither last dim has a unit stride (every other column): copied, still right.
    checkOp({
      inputs: [randTensor([3, 8], 21), randTensor([4, 2], 22)],
      forward: (a, b) => matmul(slice(a, 1, 0, 8, 2), b),
      reference: (a, b) => {
        const v = new Float64Array(12);
        for (let i = 0; i < 3; i++) for (let k = 0; k < 4; k++) v[i * 4 + k] = a.values[i * 8 + 2 * k];
        return refMatmul({ values: v, shape: [3, 4] }, b);
      },
    });
  });

  it('runs the README example (N = 1: the gemv path) with the documented gradient', () => {
    const w = tensor(new Float32Array([1, 2, 3, 4]), [2, 2]).requiresGrad_();
    const x = tensor(new Float32Array([1, 1]), [2, 1]);
    const y = add(matmul(w, x), 1);
    expect(Array.from(y.toFloat32Array())).toEqual([4, 8]);
    y.backward(tensor(new Float32Array([1, 1]), [2, 1]));
    expect(w.grad?.toArray()).toEqual([
      [1, 1],
      [1, 1],
    ]);
  });

  it('gives bit-identical results on 1 and 2 threads (each C entry sums K in a fixed order)', () => {
    const a = randTensor([150, 300], 31).detach();
    const b = transpose(randTensor([170, 300], 32), 0, 1).detach();
    const before = getNumThreads();
    try {
      setNumThreads(1);
      const one = matmul(a, b).toFloat32Array();
      setNumThreads(2);
      const two = matmul(a, b).toFloat32Array();
      expect(Buffer.from(two.buffer).equals(Buffer.from(one.buffer))).toBe(true);
    } finally {
      setNumThreads(before);
    }
  });

  it('does not copy transposed operands (the graph holds the views themselves)', () => {
    const y = matmul(transpose(randTensor([2, 7, 5], 1), 1, 2), transpose(randTensor([3, 7], 2), 0, 1));
    expect(y.gradNode?.inputs.map((t) => t.gradNode?.name)).toEqual(['transpose', 'transpose']);
    const strided = matmul(slice(randTensor([3, 8], 3), 1, 0, 8, 2), randTensor([4, 2], 4));
    expect(strided.gradNode?.inputs[0].gradNode?.name).toBe('contiguous'); // no unit stride: copied
  });

  it('handles empty dims (K = 0 gives zeros)', () => {
    const z = matmul(tensor(new Float32Array(0), [3, 0]), tensor(new Float32Array(0), [0, 2]));
    expect(z.shape).toEqual([3, 2]);
    expect(Array.from(z.toFloat32Array())).toEqual([0, 0, 0, 0, 0, 0]);
    expect(matmul(tensor(new Float32Array(0), [0, 4]), randTensor([4, 2], 1)).shape).toEqual([0, 2]);
  });

  it('propagates NaN to exactly the rows it touches', () => {
    const a = tensor(Float32Array.of(1, Number.NaN, 1, 2), [2, 2]);
    const y = matmul(a, tensor(Float32Array.of(1, 0, 0, 1), [2, 2])).toFloat32Array();
    expect(Number.isNaN(y[0]) && Number.isNaN(y[1])).toBe(true);
    expect([y[2], y[3]]).toEqual([1, 2]);
  });

  it('rejects bad inputs with errors that name the shapes', () => {
    expect(() => matmul(randTensor([2, 3], 1), randTensor([4, 5], 2))).toThrow(
      'matmul: a [2, 3] and b [4, 5] do not match in the inner dimension (3 vs 4)',
    );
    expect(() => matmul(randTensor([2, 2, 3], 1), randTensor([3, 3, 5], 2))).toThrow(ShapeError);
    expect(() => matmul(randTensor([], 1), randTensor([3], 2))).toThrow(ShapeError);
    expect(() => matmul(new Float32Array(4) as unknown as Tensor, randTensor([3], 2))).toThrow(DTypeError);
  });
});

describe('sgemm kernel', () => {
  // Plain JS triple loop in float64 over (trans, ld)-described operands.
  function jsGemm(
    tA: number,
    tB: number,
    M: number,
    N: number,
    K: number,
    alpha: number,
    A: Float32Array,
    lda: number,
    B: Float32Array,
    ldb: number,
    beta: number,
    C: Float32Array,
    ldc: number,
  ): Float64Array {
    const out = new Float64Array(C.length);
    for (let i = 0; i < C.length; i++) out[i] = C[i];
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += A[tA ? k * lda + i : i * lda + k] * B[tB ? j * ldb + k : k * ldb + j];
        out[i * ldc + j] = alpha * s + (beta === 0 ? 0 : beta * C[i * ldc + j]);
      }
    return out;
  }

  it('optimised, portable and reference paths agree with a plain loop on odd shapes', () => {
    const r = rng(42);
    const rand = (n: number) => Float32Array.from({ length: n }, () => 2 * r() - 1);
    // Shapes around the micro-tile (6x16), the K block (256), the M block (96), plus skinny ones.
    const shapes = [
      [1, 1, 1],
      [1, 33, 7],
      [7, 1, 5],
      [5, 9, 1],
      [6, 16, 8],
      [7, 17, 9],
      [13, 5, 3],
      [2, 31, 257],
      [97, 18, 19],
      [12, 40, 300],
      [100, 3, 2],
      [3, 100, 2],
      [64, 48, 64],
      [5, 2100, 3],
      [1, 600, 70],
      [70, 1, 600],
      [203, 37, 261], // several MC row blocks and two K blocks: the transposed-A packing walks whole k runs
    ];
    for (const [M, N, K] of shapes) {
      for (let variant = 0; variant < 4; variant++) {
        const tA = variant & 1;
        const tB = (variant >> 1) & 1;
        const pad = 1 + (variant % 3);
        const lda = (tA ? M : K) + pad;
        const ldb = (tB ? K : N) + pad;
        const ldc = N + 2;
        const A = rand(lda * (tA ? K : M));
        const B = rand(ldb * (tB ? N : K));
        const C0 = rand(ldc * M);
        const alpha = 0.75;
        const beta = variant === 2 ? 0 : 0.5;
        const expected = jsGemm(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C0, ldc);
        for (const path of [0, 1, 2] as GemmPath[]) {
          const C = C0.slice();
          batchedGemm(tA, tB, M, N, K, alpha, A, lda, [0], B, ldb, [0], beta, C, ldc, [0], path, 0);
          let worst = 0;
          for (let i = 0; i < M; i++)
            for (let j = 0; j < N; j++) worst = Math.max(worst, Math.abs(C[i * ldc + j] - expected[i * ldc + j]));
          // Padding columns of C (j >= N) must stay untouched.
          for (let i = 0; i < M; i++) expect(C[i * ldc + N]).toBe(C0[i * ldc + N]);
          expect(worst, `M=${M} N=${N} K=${K} tA=${tA} tB=${tB} path=${path}`).toBeLessThan(1e-6 * K + 1e-6);
        }
      }
    }
    expect(['portable', 'avx2', 'avx512']).toContain(simdLevel());
  });

  it('beta = 0 overwrites C without reading it, and K = 0 scales C by beta', () => {
    const A = Float32Array.of(1, 2, 3, 4);
    for (const path of [0, 1, 2] as GemmPath[]) {
      const C = new Float32Array(4).fill(Number.NaN);
      batchedGemm(0, 0, 2, 2, 2, 1, A, 2, [0], A, 2, [0], 0, C, 2, [0], path, 0);
      expect(Array.from(C)).toEqual([7, 10, 15, 22]);
      // The M = 1 and N = 1 (gemv) paths too.
      const row = new Float32Array(2).fill(Number.NaN);
      batchedGemm(0, 0, 1, 2, 2, 1, A, 2, [0], A, 2, [0], 0, row, 2, [0], path, 0);
      expect(Array.from(row)).toEqual([7, 10]);
      const col = new Float32Array(2).fill(Number.NaN);
      batchedGemm(0, 0, 2, 1, 2, 1, A, 2, [0], A, 2, [0], 0, col, 1, [0], path, 0);
      expect(Array.from(col)).toEqual([7, 15]); // B column = [1, 3] (ldb 2)
      const D = Float32Array.of(1, 2, 3, 4);
      batchedGemm(0, 0, 2, 2, 0, 1, A, 2, [0], A, 2, [0], 0.5, D, 2, [0], path, 0);
      expect(Array.from(D)).toEqual([0.5, 1, 1.5, 2]);
    }
  });

  it('throws instead of reading past a buffer', () => {
    const A = new Float32Array(4);
    expect(() => batchedGemm(0, 0, 2, 2, 2, 1, A, 2, [1], A, 2, [0], 0, new Float32Array(4), 2, [0], 0, 0)).toThrow(
      /argument 6 has 4 elements, needs 5/,
    );
    expect(() => batchedGemm(0, 0, 2, 2, 2, 1, A, 2, [0], A, 2, [0], 0, new Float32Array(3), 2, [0], 0, 0)).toThrow(
      /argument 13/,
    );
  });
});
