/**
 * The one HF-name mapping table of DeepseekV3ForCausalLM: every parameter's checkpoint name and shape for a config.
 *
 * Follows `transformers/models/deepseek_v3/modeling_deepseek_v3.py` (module names; nn.Linear weights are
 * [out_features, in_features]) and DeepSeek-V3's hub checkpoint for what HF does not model:
 * - `mlp.gate.e_score_correction_bias` [N_r] is stored (HF keeps it as a buffer; DeepSeek's checkpoint has it).
 * - MTP modules k = 0..D−1 live at `model.layers.{L + k}` (HF ignores them on load): `embed_tokens`, `enorm`, `hnorm`,
 *   `eh_proj` [d, 2d] (applied to concat(enorm(embedding), hnorm(hidden))), a full decoder block, and
 *   `shared_head.{norm, head}`. DeepSeek stores the embedding and head again in each MTP layer; so do we.
 * - MoE layers follow DeepSeek's rule (i ≥ first_k_dense_replace and i % moe_layer_freq == 0); MTP blocks are MoE
 *   blocks by the same rule, as in DeepSeek-V3 (layer 61).
 * - With `tie_word_embeddings`, `lm_head.weight` is left out (HF drops the tied copy when saving).
 * - With `n_shared_experts = 0` the `shared_experts` MLP is left out.
 * Leaves out: FP8 `weight_scale_inv` tensors of DeepSeek's FP8 release (dequantise before loading).
 */
import { type DeepseekV3Config, isMoeLayer, qkHeadDim } from './config.js';

/** How a fresh model initialises the tensor (HF `_init_weights`: normal(0, initializer_range), norms 1, biases 0). */
export type HfInit = 'normal' | 'ones' | 'zeros';

/** One checkpoint tensor. */
export interface HfParam {
  name: string;
  shape: number[];
  init: HfInit;
}

function decoderBlock(c: DeepseekV3Config, p: string, layer: number, out: HfParam[]): void {
  const d = c.hidden_size;
  const h = c.num_attention_heads;
  const add = (name: string, shape: number[], init: HfInit = 'normal') =>
    out.push({ name: `${p}.${name}`, shape, init });
  // MLA (DeepSeek-V2 §2.1): q through a rank-d_c' bottleneck (or plain), kv through a rank-d_c latent + one RoPE key.
  if (c.q_lora_rank === null) {
    add('self_attn.q_proj.weight', [h * qkHeadDim(c), d]);
  } else {
    add('self_attn.q_a_proj.weight', [c.q_lora_rank, d]);
    if (c.attention_bias) add('self_attn.q_a_proj.bias', [c.q_lora_rank], 'zeros');
    add('self_attn.q_a_layernorm.weight', [c.q_lora_rank], 'ones');
    add('self_attn.q_b_proj.weight', [h * qkHeadDim(c), c.q_lora_rank]);
  }
  add('self_attn.kv_a_proj_with_mqa.weight', [c.kv_lora_rank + c.qk_rope_head_dim, d]);
  if (c.attention_bias) add('self_attn.kv_a_proj_with_mqa.bias', [c.kv_lora_rank + c.qk_rope_head_dim], 'zeros');
  add('self_attn.kv_a_layernorm.weight', [c.kv_lora_rank], 'ones');
  add('self_attn.kv_b_proj.weight', [h * (c.qk_nope_head_dim + c.v_head_dim), c.kv_lora_rank]);
  add('self_attn.o_proj.weight', [d, h * c.v_head_dim]);
  if (c.attention_bias) add('self_attn.o_proj.bias', [d], 'zeros');
  const mlp = (prefix: string, width: number) => {
    add(`${prefix}.gate_proj.weight`, [width, d]);
    add(`${prefix}.up_proj.weight`, [width, d]);
    add(`${prefix}.down_proj.weight`, [d, width]);
  };
  if (isMoeLayer(c, layer)) {
    for (let j = 0; j < c.n_routed_experts; j++) mlp(`mlp.experts.${j}`, c.moe_intermediate_size);
    add('mlp.gate.weight', [c.n_routed_experts, d]);
    add('mlp.gate.e_score_correction_bias', [c.n_routed_experts], 'zeros');
    if (c.n_shared_experts > 0) mlp('mlp.shared_experts', c.moe_intermediate_size * c.n_shared_experts);
  } else {
    mlp('mlp', c.intermediate_size);
  }
  add('input_layernorm.weight', [d], 'ones');
  add('post_attention_layernorm.weight', [d], 'ones');
}

/** Every tensor of a DeepseekV3ForCausalLM checkpoint for `config`, in a stable order (model, MTP, norm, head). */
export function deepseekV3HfParams(config: DeepseekV3Config): HfParam[] {
  const c = config;
  const d = c.hidden_size;
  const out: HfParam[] = [{ name: 'model.embed_tokens.weight', shape: [c.vocab_size, d], init: 'normal' }];
  for (let i = 0; i < c.num_hidden_layers; i++) decoderBlock(c, `model.layers.${i}`, i, out);
  for (let k = 0; k < c.num_nextn_predict_layers; k++) {
    const i = c.num_hidden_layers + k;
    const p = `model.layers.${i}`;
    out.push({ name: `${p}.embed_tokens.weight`, shape: [c.vocab_size, d], init: 'normal' });
    out.push({ name: `${p}.enorm.weight`, shape: [d], init: 'ones' });
    out.push({ name: `${p}.hnorm.weight`, shape: [d], init: 'ones' });
    out.push({ name: `${p}.eh_proj.weight`, shape: [d, 2 * d], init: 'normal' });
    decoderBlock(c, p, i, out);
    out.push({ name: `${p}.shared_head.norm.weight`, shape: [d], init: 'ones' });
    out.push({ name: `${p}.shared_head.head.weight`, shape: [c.vocab_size, d], init: 'normal' });
  }
  out.push({ name: 'model.norm.weight', shape: [d], init: 'ones' });
  if (!c.tie_word_embeddings) out.push({ name: 'lm_head.weight', shape: [c.vocab_size, d], init: 'normal' });
  return out;
}

/** Total number of values in the checkpoint (MTP layers included). */
export const deepseekV3ParamCount = (config: DeepseekV3Config): number =>
  deepseekV3HfParams(config).reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
