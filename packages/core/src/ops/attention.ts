/**
 * scaledDotProductAttention(q, k, v, options): softmax(q·kᵀ·scale + mask)·v fused in one native op
 * (`native/src/ops/attention.cc`, FlashAttention-2 forward/backward on CPU tiles), so the [B, H, T, S] scores and
 * probabilities are never stored: the forward keeps one logsumexp per query row and the backward recomputes the
 * probabilities tile by tile. Same contract as torch.nn.functional.scaled_dot_product_attention with `is_causal`
 * aligned to the bottom-right (queries are the last T of S positions, as in decoding with a KV cache) and a boolean
 * key-padding mask, plus one difference: a query row that may see no key at all (left padding) gives output 0 and
 * zero gradients instead of NaN.
 * Key/value heads: `Hk` = H (one per query head) or 1 (one head shared by all query heads — MLA's absorbed latent).
 * Leaves out: dropout, arbitrary additive masks / attention bias, grouped heads with 1 < Hk < H, float16.
 */
import { z } from 'zod';
import { record } from '../autograd/node.js';
import { DTypeError, fmtShape, ShapeError, ValueError } from '../errors.js';
import { allocFloat32 } from '../memory/pool.js';
import { kernel } from '../native.js';
import { Tensor } from '../tensor.js';
import { contiguous } from './copy.js';

type Buf = Float32Array;
type Dims = [B: number, H: number, Hk: number, T: number, S: number, Dq: number, Dv: number];
type Common = [...Dims, scale: number, causal: boolean, keyMask: Uint8Array | null, kvStrides: number[]];
// The optional second score term: q2, k2 (null when absent), D2, k2's (batch, head, position) strides.
type Second = [q2: Buf | null, k2: Buf | null, D2: number, k2Strides: number[]];
type Grads = [gOut: Buf, gq: Buf, gk: Buf, gv: Buf];
const attentionForward =
  kernel<(q: Buf, k: Buf, v: Buf, ...rest: [...Common, out: Buf, lse: Buf, ...Second]) => void>('attentionForward');
const attentionBackward =
  kernel<
    (
      q: Buf,
      k: Buf,
      v: Buf,
      ...rest: [...Common, out: Buf, lse: Buf, ...Grads, ...Second, gq2: Buf | null, gk2: Buf | null]
    ) => void
  >('attentionBackward');

const attentionOptions = z.object({
  scale: z
    .number()
    .finite()
    .optional()
    .describe('Factor applied to q·kᵀ before the softmax; default 1/√Dqk (the DeepSeek-V3 model passes its YaRN one).'),
  causal: z
    .boolean()
    .default(false)
    .describe(
      'Causal mask aligned to the end: query t (of T) sees keys s ≤ t + (S − T), so prefill (S = T) and decoding ' +
        'after S − T cached positions use the same flag.',
    ),
  keyMask: z
    .custom<Uint8Array>((x) => x instanceof Uint8Array, 'must be a Uint8Array')
    .nullable()
    .default(null)
    .describe(
      'Key padding mask [B, S] flattened row-major: 1 = the key may be attended, 0 = padding (HF attention_mask ' +
        'over all S positions). null = every key is real.',
    ),
});
export type AttentionOptions = z.input<typeof attentionOptions>;

/**
 * k or v [B, Hk, S, D] read in place through its (batch, head, position) strides when its last dim is unit-stride:
 * contiguous, a head split of a projection, or a last-dim narrow such as MLA's values c_KV inside the keys
 * [c_KV | k_pe]. Anything else is copied first.
 */
function rows(t: Tensor): { t: Tensor; buf: Float32Array; strides: number[] } {
  if ((t.strides[3] === 1 || t.shape[3] <= 1) && t.numel > 0) {
    return { t, buf: t.storage.subarray(t.offset), strides: t.strides.slice(0, 3) };
  }
  const c = contiguous(t);
  const [, Hk, S, D] = t.shape;
  return { t: c, buf: c.values(), strides: [Hk * S * D, S * D, D] };
}

/**
 * Scaled dot-product attention over heads: q `[B, H, T, Dqk]`, k `[B, Hk, S, Dqk]`, v `[B, Hk, S, Dv]` with Hk = H
 * or 1 (a shared key/value head broadcast to every query head) → `[B, H, T, Dv]`. Differentiable w.r.t. q, k, v.
 * q and k may each be a pair `[q1, q2]`, `[k1, k2]` split along the last dim: the scores are (q1·k1ᵀ + q2·k2ᵀ)·scale,
 * as for the concatenations, without building them (MLA scores [c_KV | k_pe] this way, straight from its cache).
 * A query row whose keys are all masked (by `causal` and `keyMask`) gives 0 and passes no gradient.
 * @throws DTypeError for non-Tensor inputs or a keyMask that is not a Uint8Array; ShapeError when the shapes do not
 *   fit together or keyMask is not B·S long; ValueError for a causal mask with S < T or a non-finite scale.
 */
export function scaledDotProductAttention(
  q: Tensor | readonly [Tensor, Tensor],
  k: Tensor | readonly [Tensor, Tensor],
  v: Tensor,
  options?: AttentionOptions,
): Tensor {
  const op = 'scaledDotProductAttention';
  const qs = q instanceof Tensor ? [q] : Array.isArray(q) ? [...q] : [];
  const ks = k instanceof Tensor ? [k] : Array.isArray(k) ? [...k] : [];
  if (qs.length === 0 || qs.length !== ks.length || qs.length > 2) {
    throw new DTypeError(`${op}: q and k must both be Tensors or both pairs of Tensors`);
  }
  if (![...qs, ...ks, v].every((t) => t instanceof Tensor)) throw new DTypeError(`${op}: q, k and v must be Tensors`);
  if (options?.keyMask != null && !(options.keyMask instanceof Uint8Array)) {
    throw new DTypeError(`${op}: keyMask must be a Uint8Array of B·S bytes or null`);
  }
  const parsed = attentionOptions.safeParse(options ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValueError(`${op}: option ${issue.path.join('.')}: ${issue.message}`);
  }
  const { causal, keyMask } = parsed.data;
  const named: [string, Tensor][] = [
    ...qs.map((t, i): [string, Tensor] => [qs.length > 1 ? `q${i + 1}` : 'q', t]),
    ...ks.map((t, i): [string, Tensor] => [ks.length > 1 ? `k${i + 1}` : 'k', t]),
    ['v', v],
  ];
  for (const [name, t] of named) {
    if (t.ndim !== 4) throw new ShapeError(`${op}: ${name} must be 4-d [B, heads, len, dim], got ${fmtShape(t.shape)}`);
  }
  const shapes = named.map(([name, t]) => `${name} ${fmtShape(t.shape)}`).join(', ');
  const [B, H, T] = qs[0].shape;
  const [, Hk, S] = ks[0].shape;
  const [Bv, Hv, Sv, Dv] = v.shape;
  const dims = qs.map((t) => t.shape[3]);
  for (let i = 0; i < qs.length; i++) {
    const [Bq, Hq, Tq, Dq] = qs[i].shape;
    const [Bk, Hki, Sk, Dk] = ks[i].shape;
    if (Bq !== B || Bk !== B || Bv !== B) throw new ShapeError(`${op}: batch sizes differ: ${shapes}`);
    if (Hq !== H || Tq !== T) throw new ShapeError(`${op}: q parts differ in heads or length: ${shapes}`);
    if (Hki !== Hk || Sk !== S) throw new ShapeError(`${op}: k parts differ in heads or length: ${shapes}`);
    if (Dk !== Dq) throw new ShapeError(`${op}: q and k need the same last dim: ${shapes}`);
  }
  if (Hv !== Hk || (Hk !== H && Hk !== 1)) {
    throw new ShapeError(`${op}: k and v need the same head count, H or 1: ${shapes}`);
  }
  if (Sv !== S) throw new ShapeError(`${op}: k and v need the same length S: ${shapes}`);
  if (dims[0] === 0) throw new ShapeError(`${op}: q and k have an empty last dim: ${shapes}`);
  if (causal && S < T) {
    throw new ValueError(`${op}: causal attention needs S >= T (queries are the last T of S positions): ${shapes}`);
  }
  if (keyMask && keyMask.length !== B * S) {
    throw new ShapeError(`${op}: keyMask has ${keyMask.length} entries, [B, S] = [${B}, ${S}] needs ${B * S}`);
  }
  const scale = parsed.data.scale ?? 1 / Math.sqrt(dims.reduce((a, b) => a + b, 0));
  const qc = qs.map((t) => contiguous(t));
  const kr = ks.map((t) => rows(t));
  const vr = rows(v);
  const out = allocFloat32(B * H * T * Dv, { zero: false }); // every row written by the kernel (0 for a row with no key)
  const lse = new Float32Array(B * H * T);
  const common: Common = [B, H, Hk, T, S, dims[0], Dv, scale, causal, keyMask, [...kr[0].strides, ...vr.strides]];
  const second: Second = qc.length > 1 ? [qc[1].values(), kr[1].buf, dims[1], kr[1].strides] : [null, null, 0, []];
  const q1 = qc[0].values();
  if (out.length > 0 || lse.length > 0) attentionForward(q1, kr[0].buf, vr.buf, ...common, out, lse, ...second);
  const inputs = [...qc, ...kr.map((r) => r.t), vr.t];
  return record(new Tensor(out, [B, H, T, Dv]), op, inputs, (g) => {
    const [gq, gq2] = qc.map((t) => allocFloat32(t.numel));
    const [gk, gk2] = kr.map((r) => allocFloat32(r.t.numel));
    const gv = allocFloat32(vr.t.numel);
    if (lse.length > 0) {
      const k1 = kr[0].buf;
      attentionBackward(q1, k1, vr.buf, ...common, out, lse, g, gq, gk, gv, ...second, gq2 ?? null, gk2 ?? null);
    }
    const grads = [gq, ...(gq2 ? [gq2] : []), gk, ...(gk2 ? [gk2] : []), gv];
    return grads.map((x, i) => (inputs[i].requiresGrad ? x : null));
  });
}
