/**
 * Multi-head latent attention (DeepSeek-V3 paper §2.1.1, eq. 1–11), as HF `DeepseekV3Attention`
 * (modeling_deepseek_v3.py):
 *   q  = q_b_proj(q_a_layernorm(q_a_proj(h)))   (or q_proj(h) when q_lora_rank is null)  → per head [nope | rope]
 *   kv = kv_a_proj_with_mqa(h) → [latent c_KV (kv_lora_rank) | k_pe (rope dim, one head shared by all heads)]
 *   k_nope, v = kv_b_proj(kv_a_layernorm(c_KV))
 *   decoupled RoPE on q_pe and k_pe; softmax scale qk_head_dim^−0.5 × YaRN mscale².
 * Two paths, one switch (as DeepSeek's inference/model.py `attn_impl`):
 *   'naive'  — expand the latent to per-head keys/values (training, reference);
 *   'absorb' — keep the latent: fold kv_b's key half into the query (q·W_UK) and its value half into the output
 *              (·W_UVᵀ), attending over the cached latent directly (decode with the latent KV cache).
 * RoPE layout: `rope_interleave` rotates pairs (2i, 2i+1) in place; HF de-interleaves to halves first, a permutation
 * applied to q and k alike, so q·k and the logits are the same.
 * Letters: B batch, T new positions, S cached + new positions, H heads, Dn nope dim, Dr rope dim, Dv value dim,
 * C kv_lora_rank.
 * Both paths run the fused `scaledDotProductAttention` (FlashAttention-2 on CPU tiles): the [B, H, T, S] scores are
 * never stored. Masking is causal (queries are the last T of S positions) plus the key padding mask, the same
 * information HF's 4-d additive mask carries; a left-padding query that sees no key gets 0 instead of HF's uniform
 * average over masked keys (only padding positions differ, and nothing reads them). Leaves out: attention dropout.
 */
import { expand, matmul, reshape, rope, split, transpose, unsqueeze } from '../../nn/functional.js';
import { type InitRng, Linear, Module, RMSNorm } from '../../nn/module.js';
import { scaledDotProductAttention } from '../../ops/attention.js';
import type { Tensor } from '../../tensor.js';
import type { DeepseekV3Config } from './config.js';
import type { LatentLayerCache } from './kv-cache.js';
import { softmaxScale } from './rope.js';

/** Which attention implementation runs: per-head K/V ('naive') or the latent with absorbed kv_b ('absorb'). */
export type AttentionImpl = 'naive' | 'absorb';

/** Per-forward inputs shared by every layer. */
export interface AttentionInputs {
  /** [B, T, Dr/2] rotary tables at each row's positions (YaRN attention factor folded in). */
  cos: Tensor;
  sin: Tensor;
  /**
   * [B·S] key padding mask over every key position (cached + new, row-major [B, S]): 1 = real token, 0 = padding;
   * null = all real. Attention is also causal: query t of T sees keys s ≤ t + (S − T).
   */
  keyMask: Uint8Array | null;
  impl: AttentionImpl;
  /** [B·T] 1 = real token, 0 = padding (kept out of MoE loads and the balance loss); null = all real. */
  tokenMask: Uint8Array | null;
}

export class DeepseekV3Attention extends Module {
  readonly q_proj?: Linear;
  readonly q_a_proj?: Linear;
  readonly q_a_layernorm?: RMSNorm;
  readonly q_b_proj?: Linear;
  readonly kv_a_proj_with_mqa: Linear;
  readonly kv_a_layernorm: RMSNorm;
  readonly kv_b_proj: Linear;
  readonly o_proj: Linear;
  private readonly scale: number;

  constructor(
    readonly config: DeepseekV3Config,
    rng: InitRng,
  ) {
    super();
    const c = config;
    const std = c.initializer_range;
    const H = c.num_attention_heads;
    const qkDim = c.qk_nope_head_dim + c.qk_rope_head_dim;
    const bias = c.attention_bias;
    if (c.q_lora_rank === null) {
      this.q_proj = this.child('q_proj', new Linear(c.hidden_size, H * qkDim, { rng, std }));
    } else {
      this.q_a_proj = this.child('q_a_proj', new Linear(c.hidden_size, c.q_lora_rank, { rng, std, bias }));
      this.q_a_layernorm = this.child('q_a_layernorm', new RMSNorm(c.q_lora_rank, c.rms_norm_eps));
      this.q_b_proj = this.child('q_b_proj', new Linear(c.q_lora_rank, H * qkDim, { rng, std }));
    }
    this.kv_a_proj_with_mqa = this.child(
      'kv_a_proj_with_mqa',
      new Linear(c.hidden_size, c.kv_lora_rank + c.qk_rope_head_dim, { rng, std, bias }),
    );
    this.kv_a_layernorm = this.child('kv_a_layernorm', new RMSNorm(c.kv_lora_rank, c.rms_norm_eps));
    this.kv_b_proj = this.child(
      'kv_b_proj',
      new Linear(c.kv_lora_rank, H * (c.qk_nope_head_dim + c.v_head_dim), { rng, std }),
    );
    this.o_proj = this.child('o_proj', new Linear(H * c.v_head_dim, c.hidden_size, { rng, std, bias }));
    this.scale = softmaxScale(c);
  }

  /** h [B, T, D] → [B, T, D]. With `cache`, appends this step's latent and attends over all cached positions. */
  forward(h: Tensor, inputs: AttentionInputs, cache?: LatentLayerCache): Tensor {
    const c = this.config;
    const [B, T] = h.shape;
    const H = c.num_attention_heads;
    const Dn = c.qk_nope_head_dim;
    const Dr = c.qk_rope_head_dim;
    const Dv = c.v_head_dim;
    const C = c.kv_lora_rank;
    const layout = c.rope_interleave ? 'interleaved' : 'half';

    const qFlat = this.q_proj
      ? this.q_proj.forward(h)
      : this.q_b_proj!.forward(this.q_a_layernorm!.forward(this.q_a_proj!.forward(h))); // [B, T, H·(Dn+Dr)]
    const q = transpose(reshape(qFlat, [B, T, H, Dn + Dr]), 1, 2); // [B, H, T, Dn+Dr]
    const [qNope, qPeRaw] = split(q, [Dn, Dr], -1); // [B, H, T, Dn], [B, H, T, Dr]
    const qPe = rope(qPeRaw, inputs.cos, inputs.sin, layout); // [B, H, T, Dr]

    const [latentRaw, kPeRaw] = split(this.kv_a_proj_with_mqa.forward(h), [C, Dr], -1); // [B, T, C], [B, T, Dr]
    const latent = this.kv_a_layernorm.forward(latentRaw); // [B, T, C]
    const kPe = rope(reshape(kPeRaw, [B, 1, T, Dr]), inputs.cos, inputs.sin, layout); // [B, 1, T, Dr]

    let out: Tensor; // [B, H, T, Dv]
    if (inputs.impl === 'naive' && !cache) {
      const kv = transpose(reshape(this.kv_b_proj.forward(latent), [B, T, H, Dn + Dv]), 1, 2); // [B, H, T, Dn+Dv]
      const [kNope, v] = split(kv, [Dn, Dv], -1); // [B, H, T, Dn], [B, H, T, Dv]
      // Scores q_nope·k_nopeᵀ + q_pe·k_peᵀ, i.e. the concatenated [nope | rope] key, without building it.
      const key = [kNope, expand(kPe, [B, H, T, Dr])] as const; // [B, H, T, Dn], [B, H, T, Dr] (k_pe shared)
      const opts = { scale: this.scale, causal: true, keyMask: inputs.keyMask };
      out = scaledDotProductAttention([qNope, qPe], key, v, opts); // [B, H, T, Dv]
    } else {
      // Absorbed: W_UK, W_UV are the key / value halves of kv_b_proj, per head.
      const w = reshape(this.kv_b_proj.weight, [H, Dn + Dv, C]); // [H, Dn+Dv, C]
      const [wUK, wUV] = split(w, [Dn, Dv], 1); // [H, Dn, C], [H, Dv, C]
      let lat = latent; // [B, S, C]
      let pe = reshape(kPe, [B, T, Dr]); // [B, S, Dr]
      if (cache) ({ latent: lat, kPe: pe } = cache.append(latent, pe));
      // One key/value "head" shared by all heads: q' = [q_nope·W_UK | q_pe] against [c_KV | k_pe], values c_KV,
      // read in place from the cache (the pair form scores the two parts without concatenating them).
      const latK = unsqueeze(lat, 1); // [B, 1, S, C]
      const query = [matmul(qNope, wUK), qPe] as const; // [B, H, T, C], [B, H, T, Dr]
      const opts = { scale: this.scale, causal: true, keyMask: inputs.keyMask };
      const outLat = scaledDotProductAttention(query, [latK, unsqueeze(pe, 1)], latK, opts); // [B, H, T, C]
      out = matmul(outLat, transpose(wUV, -2, -1)); // [B, H, T, Dv]
    }
    const merged = reshape(transpose(out, 1, 2), [B, T, H * Dv]); // [B, T, H·Dv]
    return this.o_proj.forward(merged); // [B, T, D]
  }
}
