/**
 * matmul: `[..., M, K] @ [..., K, N]` with leading dims broadcast and NumPy's rules for 1-d operands (a 1-d `a` is a
 * row [1, K] whose M dim is dropped from the result, a 1-d `b` a column [K, 1] whose N dim is dropped), as
 * `torch.matmul`. Every product (forward, dA = dC @ Bᵀ, dB = Aᵀ @ dC) runs on the native sgemm (`native/src/gemm.cc`)
 * through one batched kernel; a view whose last two dims are transposed (or broadcast) is read in place through the
 * gemm's trans flags and leading dimension, and only views with no unit stride in the last two dims are copied.
 * Leaves out: integer matmul, out= buffers.
 */
import { record } from '../autograd/node.js';
import { DTypeError, fmtShape, ShapeError } from '../errors.js';
import { allocFloat32 } from '../memory/pool.js';
import { kernel } from '../native.js';
import { contiguousStrides, numelOf, Tensor } from '../tensor.js';
import { broadcastShapes, broadcastStrides } from './broadcast.js';
import { contiguous } from './copy.js';

type Buf = Float32Array;

/** Which sgemm implementation runs: 0 auto (AVX2+FMA when available), 1 portable, 2 plain triple loop (tests). */
export type GemmPath = 0 | 1 | 2;

/**
 * The native batched sgemm: for each batch entry b, `C[cOff[b]..] = alpha · op(A[aOff[b]..]) @ op(B[bOff[b]..]) +
 * beta · C`, all matrices row-major with the given leading dimensions. `serial` = 1 when entries share a C block.
 * Internal (used by matmul, linear and the kernel tests).
 */
export const batchedGemm =
  kernel<
    (
      transA: number,
      transB: number,
      M: number,
      N: number,
      K: number,
      alpha: number,
      A: Buf,
      lda: number,
      aOffsets: number[],
      B: Buf,
      ldb: number,
      bOffsets: number[],
      beta: number,
      C: Buf,
      ldc: number,
      cOffsets: number[],
      path: GemmPath,
      serial: number,
    ) => void
  >('batchedGemm');

/** How the gemm reads a strided matrix [rows, cols]: row-major (trans 0) or as the transpose of a row-major one. */
export interface GemmLayout {
  trans: 0 | 1;
  ld: number;
}

/** The gemm layout of a [rows, cols] view with the given strides, or null when neither dim has a unit stride. */
export function gemmLayout(rows: number, cols: number, rowStride: number, colStride: number): GemmLayout | null {
  if (colStride === 1 || cols === 1) return { trans: 0, ld: rows === 1 ? cols : rowStride };
  if (rowStride === 1 || rows === 1) return { trans: 1, ld: cols === 1 ? rows : colStride };
  return null;
}

interface Operand {
  t: Tensor;
  rows: number;
  cols: number;
  layout: GemmLayout;
}

// The operand as a matrix [rows, cols] over its last dims (a 1-d `a` is a row, a 1-d `b` a column).
function asMatrix(t: Tensor, isLeft: boolean): Operand {
  const nd = t.ndim;
  const vector = nd === 1;
  const rows = vector ? (isLeft ? 1 : t.shape[0]) : t.shape[nd - 2];
  const cols = vector ? (isLeft ? t.shape[0] : 1) : t.shape[nd - 1];
  const rowStride = vector ? (isLeft ? 0 : t.strides[0]) : t.strides[nd - 2];
  const colStride = vector ? (isLeft ? t.strides[0] : 0) : t.strides[nd - 1];
  const layout = gemmLayout(rows, cols, rowStride, colStride);
  if (layout) return { t, rows, cols, layout };
  const c = contiguous(t);
  return { t: c, rows, cols, layout: gemmLayout(rows, cols, vector ? 0 : cols, 1)! };
}

// Element offsets of each batch entry of `t` (its own leading dims broadcast onto `batch`).
function batchOffsets(t: Tensor, batch: number[], strides: readonly number[], base: number): number[] {
  const own = t.ndim <= 2 ? 0 : t.ndim - 2;
  const s = broadcastStrides(t.shape.slice(0, own), strides.slice(0, own), batch);
  const n = numelOf(batch);
  const out = new Array<number>(n);
  const idx = new Array<number>(batch.length).fill(0);
  let off = base;
  for (let i = 0; i < n; i++) {
    out[i] = off;
    for (let d = batch.length - 1; d >= 0; d--) {
      if (++idx[d] < batch[d]) {
        off += s[d];
        break;
      }
      off -= (idx[d] - 1) * s[d];
      idx[d] = 0;
    }
  }
  return out;
}

/**
 * Matrix product with broadcasting, as `torch.matmul`: `[..., M, K] @ [..., K, N] → [..., M, N]`; a 1-d operand is a
 * vector (its dim is dropped from the result). Transposed views are read without a copy.
 * @throws DTypeError when an operand is not a Tensor; ShapeError on a 0-d operand, mismatched inner dims or leading
 * dims that cannot broadcast.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (!(a instanceof Tensor) || !(b instanceof Tensor)) throw new DTypeError('matmul: a and b must be Tensors');
  if (a.ndim === 0 || b.ndim === 0) {
    throw new ShapeError(
      `matmul: operands must have at least 1 dim, got a ${fmtShape(a.shape)} and b ${fmtShape(b.shape)}`,
    );
  }
  const A = asMatrix(a, true);
  const B = asMatrix(b, false);
  const [M, K, N] = [A.rows, A.cols, B.cols];
  if (B.rows !== K) {
    throw new ShapeError(
      `matmul: a ${fmtShape(a.shape)} and b ${fmtShape(b.shape)} do not match in the inner dimension (${K} vs ${B.rows})`,
    );
  }
  const aBatch = a.shape.slice(0, Math.max(0, a.ndim - 2));
  const bBatch = b.shape.slice(0, Math.max(0, b.ndim - 2));
  const batch = broadcastShapes('matmul', aBatch, bBatch);
  const outShape = [...batch, ...(a.ndim === 1 ? [] : [M]), ...(b.ndim === 1 ? [] : [N])];
  const nb = numelOf(batch);
  const out = allocFloat32(nb * M * N, { zero: false }); // beta = 0 writes every value
  const aOff = batchOffsets(A.t, batch, A.t.strides, A.t.offset);
  const bOff = batchOffsets(B.t, batch, B.t.strides, B.t.offset);
  const cOff = Array.from({ length: nb }, (_, i) => i * M * N);
  if (out.length > 0) {
    batchedGemm(
      A.layout.trans,
      B.layout.trans,
      M,
      N,
      K,
      1,
      A.t.storage,
      A.layout.ld,
      aOff,
      B.t.storage,
      B.layout.ld,
      bOff,
      0,
      out,
      N,
      cOff,
      0,
      0,
    );
  }
  return record(new Tensor(out, outShape), 'matmul', [A.t, B.t], (g) => {
    let ga: Float32Array | null = null;
    let gb: Float32Array | null = null;
    if (A.t.requiresGrad) {
      // dA [M, K] = dC [M, N] @ op(B)ᵀ; op(B)ᵀ is B's storage read with the opposite trans flag.
      const offs = batchOffsets(A.t, batch, contiguousStrides(A.t.shape), 0);
      const shared = numelOf(aBatch) < nb;
      ga = allocFloat32(A.t.numel, { zero: shared || g.length === 0 }); // shared entries accumulate (beta = 1)
      if (ga.length > 0 && g.length > 0) {
        batchedGemm(
          0,
          1 - B.layout.trans,
          M,
          K,
          N,
          1,
          g,
          N,
          cOff,
          B.t.storage,
          B.layout.ld,
          bOff,
          shared ? 1 : 0,
          ga,
          K,
          offs,
          0,
          shared ? 1 : 0,
        );
      }
    }
    if (B.t.requiresGrad) {
      // dB [K, N] = op(A)ᵀ @ dC [M, N].
      const offs = batchOffsets(B.t, batch, contiguousStrides(B.t.shape), 0);
      const shared = numelOf(bBatch) < nb;
      gb = allocFloat32(B.t.numel, { zero: shared || g.length === 0 });
      if (gb.length > 0 && g.length > 0) {
        batchedGemm(
          1 - A.layout.trans,
          0,
          K,
          N,
          M,
          1,
          A.t.storage,
          A.layout.ld,
          aOff,
          g,
          N,
          cOff,
          shared ? 1 : 0,
          gb,
          N,
          offs,
          0,
          shared ? 1 : 0,
        );
      }
    }
    return [ga, gb];
  });
}
