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
import { kernel } from '../native.js';
import { Tensor } from '../tensor.js';
import { contiguous } from './copy.js';

type Buf = Float32Array;
type Dims = [B: number, H: number, Hk: number, T: number, S: number, Dq: number, Dv: number];
type Common = [...Dims, scale: number, causal: boolean, keyMask: Uint8Array | null, kvStrides: number[]];
const attentionForward =
  kernel<(q: Buf, k: Buf, v: Buf, ...rest: [...Common, out: Buf, lse: Buf]) => void>('attentionForward');
const attentionBackward =
  kernel<
    (q: Buf, k: Buf, v: Buf, ...rest: [...Common, out: Buf, lse: Buf, gOut: Buf, gq: Buf, gk: Buf, gv: Buf]) => void
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
 * A query row whose keys are all masked (by `causal` and `keyMask`) gives 0 and passes no gradient.
 * @throws DTypeError for non-Tensor inputs or a keyMask that is not a Uint8Array; ShapeError when the shapes do not
 *   fit together or keyMask is not B·S long; ValueError for a causal mask with S < T or a non-finite scale.
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, options?: AttentionOptions): Tensor {
  const op = 'scaledDotProductAttention';
  if (!(q instanceof Tensor) || !(k instanceof Tensor) || !(v instanceof Tensor)) {
    throw new DTypeError(`${op}: q, k and v must be Tensors`);
  }
  if (options?.keyMask != null && !(options.keyMask instanceof Uint8Array)) {
    throw new DTypeError(`${op}: keyMask must be a Uint8Array of B·S bytes or null`);
  }
  const parsed = attentionOptions.safeParse(options ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValueError(`${op}: option ${issue.path.join('.')}: ${issue.message}`);
  }
  const { causal, keyMask } = parsed.data;
  for (const [name, t] of [
    ['q', q],
    ['k', k],
    ['v', v],
  ] as const) {
    if (t.ndim !== 4) throw new ShapeError(`${op}: ${name} must be 4-d [B, heads, len, dim], got ${fmtShape(t.shape)}`);
  }
  const [B, H, T, Dq] = q.shape;
  const [Bk, Hk, S, Dk] = k.shape;
  const [Bv, Hv, Sv, Dv] = v.shape;
  const shapes = `q ${fmtShape(q.shape)}, k ${fmtShape(k.shape)}, v ${fmtShape(v.shape)}`;
  if (Bk !== B || Bv !== B) throw new ShapeError(`${op}: batch sizes differ: ${shapes}`);
  if (Hv !== Hk || (Hk !== H && Hk !== 1)) {
    throw new ShapeError(`${op}: k and v need the same head count, H or 1: ${shapes}`);
  }
  if (Sv !== S) throw new ShapeError(`${op}: k and v need the same length S: ${shapes}`);
  if (Dk !== Dq) throw new ShapeError(`${op}: q and k need the same last dim: ${shapes}`);
  if (Dq === 0) throw new ShapeError(`${op}: q and k have an empty last dim: ${shapes}`);
  if (causal && S < T) {
    throw new ValueError(`${op}: causal attention needs S >= T (queries are the last T of S positions): ${shapes}`);
  }
  if (keyMask && keyMask.length !== B * S) {
    throw new ShapeError(`${op}: keyMask has ${keyMask.length} entries, [B, S] = [${B}, ${S}] needs ${B * S}`);
  }
  const scale = parsed.data.scale ?? 1 / Math.sqrt(Dq);
  const qc = contiguous(q);
  const kr = rows(k);
  const vr = rows(v);
  const out = new Float32Array(B * H * T * Dv);
  const lse = new Float32Array(B * H * T);
  const common: Common = [B, H, Hk, T, S, Dq, Dv, scale, causal, keyMask, [...kr.strides, ...vr.strides]];
  if (out.length > 0 || lse.length > 0) attentionForward(qc.values(), kr.buf, vr.buf, ...common, out, lse);
  return record(new Tensor(out, [B, H, T, Dv]), op, [qc, kr.t, vr.t], (g) => {
    const gq = new Float32Array(qc.numel);
    const gk = new Float32Array(kr.t.numel);
    const gv = new Float32Array(vr.t.numel);
    if (lse.length > 0) attentionBackward(qc.values(), kr.buf, vr.buf, ...common, out, lse, g, gq, gk, gv);
    return [qc.requiresGrad ? gq : null, kr.t.requiresGrad ? gk : null, vr.t.requiresGrad ? gv : null];
  });
}
