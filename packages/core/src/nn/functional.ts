/**
 * nn/functional: the ops the nn layers and the DeepSeek-V3 model call, gathered in one place (like
 * `torch.nn.functional`) so the model code imports one module. Each op here has the signature of
 * `docs/internals/ops.md`; where the native op has landed this file re-exports it, and until then a plain-TS
 * implementation (contiguous float32 loops, gradient via `record`) stands in with the same contract.
 * Leaves out: dtypes other than float32, in-place variants.
 */
import { record } from '../autograd/node.js';
import { fmtShape, IndexError, ShapeError, ValueError } from '../errors.js';
import { contiguous } from '../ops/copy.js';
import { normDim } from '../ops/view.js';
import { contiguousStrides, numelOf, Tensor } from '../tensor.js';

export { add, div, mul, sub } from '../ops/binary.js';
export { cat, split } from '../ops/cat.js';
export { contiguous } from '../ops/copy.js';
export { mean, sum } from '../ops/reduce.js';
export { softmax } from '../ops/softmax.js';
export { exp, sigmoid, silu, square } from '../ops/unary.js';
export { expand, narrow, permute, reshape, slice, squeeze, transpose, unsqueeze } from '../ops/view.js';

// Until the second half of the op set (linear algebra, indexing, norms, rope, losses) is merged, plain-TS stand-ins
// with the same signatures and gradients follow.

type Buf = Float32Array;
const vals = (t: Tensor): Buf => contiguous(t).values();

/** Broadcasting batched matrix product `[..., M, K] @ [..., K, N]` (both operands at least 2-d here). */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.ndim < 2 || b.ndim < 2)
    throw new ShapeError(`matmul: operands must be at least 2-d, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  const [M, K] = a.shape.slice(-2);
  const [K2, N] = b.shape.slice(-2);
  if (K !== K2) {
    throw new ShapeError(
      `matmul: a ${fmtShape(a.shape)} and b ${fmtShape(b.shape)} do not match in the inner dimension`,
    );
  }
  const n = Math.max(a.ndim, b.ndim) - 2;
  const pad = (s: number[]) => [...new Array(n - (s.length - 2)).fill(1), ...s.slice(0, -2)];
  const ab = pad(a.shape);
  const bb = pad(b.shape);
  const batch = ab.map((s, i) => {
    if (s !== bb[i] && s !== 1 && bb[i] !== 1) {
      throw new ShapeError(`matmul: batch dims of ${fmtShape(a.shape)} and ${fmtShape(b.shape)} cannot broadcast`);
    }
    return Math.max(s, bb[i]);
  });
  const nb = numelOf(batch);
  const aIdx = new Int32Array(nb);
  const bIdx = new Int32Array(nb);
  const aStr = contiguousStrides(ab);
  const bStr = contiguousStrides(bb);
  for (let i = 0; i < nb; i++) {
    let r = i;
    let ai = 0;
    let bi = 0;
    for (let d = n - 1; d >= 0; d--) {
      const c = r % batch[d];
      r = Math.floor(r / batch[d]);
      if (ab[d] !== 1) ai += c * aStr[d];
      if (bb[d] !== 1) bi += c * bStr[d];
    }
    aIdx[i] = ai;
    bIdx[i] = bi;
  }
  const ac = contiguous(a);
  const bc = contiguous(b);
  const av = ac.values();
  const bv = bc.values();
  const out = new Float32Array(nb * M * N);
  for (let p = 0; p < nb; p++) {
    const ao = aIdx[p] * M * K;
    const bo = bIdx[p] * K * N;
    const oo = p * M * N;
    for (let i = 0; i < M; i++) {
      for (let k = 0; k < K; k++) {
        const x = av[ao + i * K + k];
        if (x === 0) continue;
        const bRow = bo + k * N;
        const oRow = oo + i * N;
        for (let j = 0; j < N; j++) out[oRow + j] += x * bv[bRow + j];
      }
    }
  }
  return record(new Tensor(out, [...batch, M, N]), 'matmul', [ac, bc], (g) => {
    const ga = ac.requiresGrad ? new Float32Array(av.length) : null;
    const gb = bc.requiresGrad ? new Float32Array(bv.length) : null;
    for (let p = 0; p < nb; p++) {
      const ao = aIdx[p] * M * K;
      const bo = bIdx[p] * K * N;
      const go = p * M * N;
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          const gv = g[go + i * N + j];
          if (gv === 0) continue;
          for (let k = 0; k < K; k++) {
            if (ga) ga[ao + i * K + k] += gv * bv[bo + k * N + j];
            if (gb) gb[bo + k * N + j] += gv * av[ao + i * K + k];
          }
        }
      }
    }
    return [ga, gb];
  });
}

/** x [..., in] · weightᵀ (+ bias), weight in HF layout [out, in]. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  const inF = x.shape[x.ndim - 1];
  if (weight.ndim !== 2 || weight.shape[1] !== inF) {
    throw new ShapeError(
      `linear: x ${fmtShape(x.shape)} and weight ${fmtShape(weight.shape)} do not match (weight is [out, in])`,
    );
  }
  const outF = weight.shape[0];
  const xc = contiguous(x);
  const wc = contiguous(weight);
  const xv = xc.values();
  const wv = wc.values();
  const rows = xv.length / Math.max(inF, 1);
  const out = new Float32Array(rows * outF);
  const bv = bias ? vals(bias) : null;
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outF; o++) {
      let s = bv ? bv[o] : 0;
      const xo = r * inF;
      const wo = o * inF;
      for (let k = 0; k < inF; k++) s += xv[xo + k] * wv[wo + k];
      out[r * outF + o] = s;
    }
  }
  const inputs = bias ? [xc, wc, bias] : [xc, wc];
  return record(new Tensor(out, [...x.shape.slice(0, -1), outF]), 'linear', inputs, (g) => {
    const gx = xc.requiresGrad ? new Float32Array(xv.length) : null;
    const gw = wc.requiresGrad ? new Float32Array(wv.length) : null;
    const gbias = bias?.requiresGrad ? new Float32Array(outF) : null;
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < outF; o++) {
        const gv = g[r * outF + o];
        if (gv === 0) continue;
        if (gbias) gbias[o] += gv;
        const xo = r * inF;
        const wo = o * inF;
        for (let k = 0; k < inF; k++) {
          if (gx) gx[xo + k] += gv * wv[wo + k];
          if (gw) gw[wo + k] += gv * xv[xo + k];
        }
      }
    }
    return bias ? [gx, gw, gbias] : [gx, gw];
  });
}

/** Rows of weight [V, D] at `ids` → [...idsShape, D]. */
export function embedding(weight: Tensor, ids: Int32Array, idsShape: number[]): Tensor {
  const [V, D] = weight.shape;
  if (numelOf(idsShape) !== ids.length)
    throw new ShapeError(`embedding: ids has ${ids.length} values but idsShape is ${fmtShape(idsShape)}`);
  const wc = contiguous(weight);
  const wv = wc.values();
  const out = new Float32Array(ids.length * D);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!(id >= 0 && id < V)) throw new IndexError(`embedding: token id ${id} is outside the vocabulary [0, ${V})`);
    out.set(wv.subarray(id * D, id * D + D), i * D);
  }
  return record(new Tensor(out, [...idsShape, D]), 'embedding', [wc], (g) => {
    const gw = new Float32Array(wv.length);
    for (let i = 0; i < ids.length; i++) {
      const o = ids[i] * D;
      for (let d = 0; d < D; d++) gw[o + d] += g[i * D + d];
    }
    return [gw];
  });
}

/** x / rms(x) · weight over the last dim. */
export function rmsNorm(x: Tensor, weight: Tensor, eps: number): Tensor {
  const D = x.shape[x.ndim - 1];
  if (weight.numel !== D)
    throw new ShapeError(`rmsNorm: weight ${fmtShape(weight.shape)} does not match x ${fmtShape(x.shape)}`);
  const xc = contiguous(x);
  const wc = contiguous(weight);
  const xv = xc.values();
  const wv = wc.values();
  const rows = xv.length / Math.max(D, 1);
  const inv = new Float32Array(rows);
  const out = new Float32Array(xv.length);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let d = 0; d < D; d++) ss += xv[r * D + d] * xv[r * D + d];
    inv[r] = 1 / Math.sqrt(ss / D + eps);
    for (let d = 0; d < D; d++) out[r * D + d] = xv[r * D + d] * inv[r] * wv[d];
  }
  return record(new Tensor(out, x.shape), 'rmsNorm', [xc, wc], (g) => {
    const gx = new Float32Array(xv.length);
    const gw = new Float32Array(D);
    for (let r = 0; r < rows; r++) {
      let dot = 0;
      for (let d = 0; d < D; d++) {
        const gi = g[r * D + d];
        gw[d] += gi * xv[r * D + d] * inv[r];
        dot += gi * wv[d] * xv[r * D + d];
      }
      const c = (dot * inv[r] * inv[r] * inv[r]) / D;
      for (let d = 0; d < D; d++) gx[r * D + d] = g[r * D + d] * wv[d] * inv[r] - xv[r * D + d] * c;
    }
    return [gx, gw];
  });
}

/** Rotary embedding of x [B, H, T, D] with cos/sin [B or 1, T, D/2]; pairs (2i, 2i+1) or (i, i + D/2). */
export function rope(x: Tensor, cos: Tensor, sin: Tensor, layout: 'interleaved' | 'half'): Tensor {
  const [B, H, T, D] = x.shape;
  const half = D / 2;
  if (x.ndim !== 4 || D % 2 !== 0 || cos.shape[1] !== T || cos.shape[2] !== half) {
    throw new ShapeError(
      `rope: x ${fmtShape(x.shape)} and cos ${fmtShape(cos.shape)} do not fit [B, H, T, D] / [B, T, D/2]`,
    );
  }
  const xc = contiguous(x);
  const xv = xc.values();
  const cv = vals(cos);
  const sv = vals(sin);
  const cb = cos.shape[0] === 1 ? 0 : T * half;
  const apply = (src: Buf, sign: number): Float32Array => {
    const out = new Float32Array(src.length);
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++)
        for (let t = 0; t < T; t++) {
          const o = ((b * H + h) * T + t) * D;
          const co = b * cb + t * half;
          for (let i = 0; i < half; i++) {
            const i1 = layout === 'interleaved' ? o + 2 * i : o + i;
            const i2 = layout === 'interleaved' ? o + 2 * i + 1 : o + i + half;
            const c = cv[co + i];
            const s = sign * sv[co + i];
            out[i1] = src[i1] * c - src[i2] * s;
            out[i2] = src[i2] * c + src[i1] * s;
          }
        }
    return out;
  };
  return record(new Tensor(apply(xv, 1), x.shape), 'rope', [xc], (g) => [apply(g, -1)]);
}

/** PyTorch `gather`: out[i][j] = x[i][index[i][j]] along `dim`; index has the output's shape. */
export function gather(x: Tensor, dim: number, index: Int32Array, indexShape: number[]): Tensor {
  const k = normDim('gather', dim, x.ndim);
  const xc = contiguous(x);
  const xv = xc.values();
  const xStr = contiguousStrides(x.shape);
  const iStr = contiguousStrides(indexShape);
  const src = new Int32Array(index.length);
  for (let i = 0; i < index.length; i++) {
    const id = index[i];
    if (!(id >= 0 && id < x.shape[k]))
      throw new IndexError(`gather: index ${id} is outside dim ${k} of size ${x.shape[k]}`);
    let o = 0;
    for (let d = 0; d < indexShape.length; d++) {
      const c = d === k ? id : Math.floor(i / iStr[d]) % indexShape[d];
      o += c * xStr[d];
    }
    src[i] = o;
  }
  const out = new Float32Array(index.length);
  for (let i = 0; i < src.length; i++) out[i] = xv[src[i]];
  return record(new Tensor(out, indexShape), 'gather', [xc], (g) => {
    const gx = new Float32Array(xv.length);
    for (let i = 0; i < src.length; i++) gx[src[i]] += g[i];
    return [gx];
  });
}

/** PyTorch `scatter_add` (out of place): out = x; out[index[i][j]][j] += src[i][j] along `dim`. */
export function scatterAdd(x: Tensor, dim: number, index: Int32Array, indexShape: number[], src: Tensor): Tensor {
  const k = normDim('scatterAdd', dim, x.ndim);
  const xc = contiguous(x);
  const sc = contiguous(src);
  const sv = sc.values();
  const xStr = contiguousStrides(x.shape);
  const iStr = contiguousStrides(indexShape);
  const sStr = contiguousStrides(src.shape);
  const dst = new Int32Array(index.length);
  const from = new Int32Array(index.length);
  for (let i = 0; i < index.length; i++) {
    const id = index[i];
    if (!(id >= 0 && id < x.shape[k]))
      throw new IndexError(`scatterAdd: index ${id} is outside dim ${k} of size ${x.shape[k]}`);
    let o = 0;
    let s = 0;
    for (let d = 0; d < indexShape.length; d++) {
      const c = Math.floor(i / iStr[d]) % indexShape[d];
      o += (d === k ? id : c) * xStr[d];
      s += c * sStr[d];
    }
    dst[i] = o;
    from[i] = s;
  }
  const out = xc.toFloat32Array();
  for (let i = 0; i < index.length; i++) out[dst[i]] += sv[from[i]];
  return record(new Tensor(out, x.shape), 'scatterAdd', [xc, sc], (g) => {
    const gs = new Float32Array(sv.length);
    for (let i = 0; i < index.length; i++) gs[from[i]] = g[dst[i]];
    return [g, gs];
  });
}

/** Rows of x along `dim` at `index` (dim 0 in this implementation). */
export function indexSelect(x: Tensor, dim: number, index: Int32Array): Tensor {
  if (normDim('indexSelect', dim, x.ndim) !== 0) throw new ValueError('indexSelect: only dim 0 is supported');
  const xc = contiguous(x);
  const xv = xc.values();
  const row = numelOf(x.shape.slice(1));
  const out = new Float32Array(index.length * row);
  for (let i = 0; i < index.length; i++) {
    const id = index[i];
    if (!(id >= 0 && id < x.shape[0]))
      throw new IndexError(`indexSelect: index ${id} is outside dim 0 of size ${x.shape[0]}`);
    out.set(xv.subarray(id * row, id * row + row), i * row);
  }
  return record(new Tensor(out, [index.length, ...x.shape.slice(1)]), 'indexSelect', [xc], (g) => {
    const gx = new Float32Array(xv.length);
    for (let i = 0; i < index.length; i++) for (let d = 0; d < row; d++) gx[index[i] * row + d] += g[i * row + d];
    return [gx];
  });
}

/** Mean cross-entropy of logits [B, T, V] or [N, V] against targets, skipping `ignoreIndex` (default -100). */
export function crossEntropy(
  logits: Tensor,
  targets: number[][] | Int32Array,
  opts: { ignoreIndex?: number } = {},
): Tensor {
  const ignore = opts.ignoreIndex ?? -100;
  const V = logits.shape[logits.ndim - 1];
  const t = targets instanceof Int32Array ? targets : Int32Array.from(targets.flat());
  const xc = contiguous(logits);
  const xv = xc.values();
  const rows = xv.length / V;
  if (t.length !== rows) throw new ShapeError(`crossEntropy: ${t.length} targets for logits ${fmtShape(logits.shape)}`);
  const probs = new Float32Array(xv.length);
  let total = 0;
  let count = 0;
  for (let r = 0; r < rows; r++) {
    if (t[r] === ignore) continue;
    if (!(t[r] >= 0 && t[r] < V)) throw new IndexError(`crossEntropy: target ${t[r]} is outside [0, ${V})`);
    let m = -Infinity;
    for (let v = 0; v < V; v++) m = Math.max(m, xv[r * V + v]);
    let s = 0;
    for (let v = 0; v < V; v++) s += Math.exp(xv[r * V + v] - m);
    for (let v = 0; v < V; v++) probs[r * V + v] = Math.exp(xv[r * V + v] - m) / s;
    total += m + Math.log(s) - xv[r * V + t[r]];
    count++;
  }
  const out = Float32Array.of(count ? total / count : 0);
  return record(new Tensor(out, []), 'crossEntropy', [xc], (g) => {
    const gx = new Float32Array(xv.length);
    if (!count) return [gx];
    const c = g[0] / count;
    for (let r = 0; r < rows; r++) {
      if (t[r] === ignore) continue;
      for (let v = 0; v < V; v++) gx[r * V + v] = c * probs[r * V + v];
      gx[r * V + t[r]] -= c;
    }
    return [gx];
  });
}
