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

function* decoderBlock(c: DeepseekV3Config, p: string, layer: number): Generator<HfParam> {
  const d = c.hidden_size;
  const h = c.num_attention_heads;
  const param = (name: string, shape: number[], init: HfInit = 'normal'): HfParam => ({
    name: `${p}.${name}`,
    shape,
    init,
  });
  // MLA (DeepSeek-V2 §2.1): q through a rank-d_c' bottleneck (or plain), kv through a rank-d_c latent + one RoPE key.
  if (c.q_lora_rank === null) {
    yield param('self_attn.q_proj.weight', [h * qkHeadDim(c), d]);
  } else {
    yield param('self_attn.q_a_proj.weight', [c.q_lora_rank, d]);
    if (c.attention_bias) yield param('self_attn.q_a_proj.bias', [c.q_lora_rank], 'zeros');
    yield param('self_attn.q_a_layernorm.weight', [c.q_lora_rank], 'ones');
    yield param('self_attn.q_b_proj.weight', [h * qkHeadDim(c), c.q_lora_rank]);
  }
  yield param('self_attn.kv_a_proj_with_mqa.weight', [c.kv_lora_rank + c.qk_rope_head_dim, d]);
  if (c.attention_bias)
    yield param('self_attn.kv_a_proj_with_mqa.bias', [c.kv_lora_rank + c.qk_rope_head_dim], 'zeros');
  yield param('self_attn.kv_a_layernorm.weight', [c.kv_lora_rank], 'ones');
  yield param('self_attn.kv_b_proj.weight', [h * (c.qk_nope_head_dim + c.v_head_dim), c.kv_lora_rank]);
  yield param('self_attn.o_proj.weight', [d, h * c.v_head_dim]);
  if (c.attention_bias) yield param('self_attn.o_proj.bias', [d], 'zeros');
  const mlp = (prefix: string, width: number): HfParam[] => [
    param(`${prefix}.gate_proj.weight`, [width, d]),
    param(`${prefix}.up_proj.weight`, [width, d]),
    param(`${prefix}.down_proj.weight`, [d, width]),
  ];
  if (isMoeLayer(c, layer)) {
    for (let j = 0; j < c.n_routed_experts; j++) yield* mlp(`mlp.experts.${j}`, c.moe_intermediate_size);
    yield param('mlp.gate.weight', [c.n_routed_experts, d]);
    yield param('mlp.gate.e_score_correction_bias', [c.n_routed_experts], 'zeros');
    if (c.n_shared_experts > 0) yield* mlp('mlp.shared_experts', c.moe_intermediate_size * c.n_shared_experts);
  } else {
    yield* mlp('mlp', c.intermediate_size);
  }
  yield param('input_layernorm.weight', [d], 'ones');
  yield param('post_attention_layernorm.weight', [d], 'ones');
}

/**
 * Every tensor of a DeepseekV3ForCausalLM checkpoint for `config`, one at a time, in a stable order (model, MTP, norm,
 * head). Lazy, so a config can be checked against a checkpoint without listing millions of expert tensors.
 */
export function* deepseekV3HfParamsOf(config: DeepseekV3Config): Generator<HfParam> {
  const c = config;
  const d = c.hidden_size;
  yield { name: 'model.embed_tokens.weight', shape: [c.vocab_size, d], init: 'normal' };
  for (let i = 0; i < c.num_hidden_layers; i++) yield* decoderBlock(c, `model.layers.${i}`, i);
  for (let k = 0; k < c.num_nextn_predict_layers; k++) {
    const i = c.num_hidden_layers + k;
    const p = `model.layers.${i}`;
    yield { name: `${p}.embed_tokens.weight`, shape: [c.vocab_size, d], init: 'normal' };
    yield { name: `${p}.enorm.weight`, shape: [d], init: 'ones' };
    yield { name: `${p}.hnorm.weight`, shape: [d], init: 'ones' };
    yield { name: `${p}.eh_proj.weight`, shape: [d, 2 * d], init: 'normal' };
    yield* decoderBlock(c, p, i);
    yield { name: `${p}.shared_head.norm.weight`, shape: [d], init: 'ones' };
    yield { name: `${p}.shared_head.head.weight`, shape: [c.vocab_size, d], init: 'normal' };
  }
  yield { name: 'model.norm.weight', shape: [d], init: 'ones' };
  if (!c.tie_word_embeddings) yield { name: 'lm_head.weight', shape: [c.vocab_size, d], init: 'normal' };
}

/** Every tensor of a DeepseekV3ForCausalLM checkpoint for `config`, in a stable order (model, MTP, norm, head). */
export function deepseekV3HfParams(config: DeepseekV3Config): HfParam[] {
  return [...deepseekV3HfParamsOf(config)];
}

/**
 * Sizes of a config without listing its tensors: the number of values (MTP layers included) and of tensors. Closed
 * form, so it is cheap for any config (a config.json asking for millions of experts is measured, not built).
 */
export function deepseekV3Size(config: DeepseekV3Config): { values: number; tensors: number } {
  const c = config;
  const d = c.hidden_size;
  const h = c.num_attention_heads;
  const bias = c.attention_bias ? 1 : 0;
  const attnValues =
    (c.q_lora_rank === null
      ? h * qkHeadDim(c) * d
      : c.q_lora_rank * d + bias * c.q_lora_rank + c.q_lora_rank + h * qkHeadDim(c) * c.q_lora_rank) +
    (c.kv_lora_rank + c.qk_rope_head_dim) * (d + bias) +
    c.kv_lora_rank +
    h * (c.qk_nope_head_dim + c.v_head_dim) * c.kv_lora_rank +
    d * h * c.v_head_dim +
    bias * d;
  const attnTensors = (c.q_lora_rank === null ? 1 : 3 + bias) + 3 + bias + 1 + bias;
  const moeValues =
    c.n_routed_experts * 3 * c.moe_intermediate_size * d +
    c.n_routed_experts * (d + 1) +
    3 * c.moe_intermediate_size * c.n_shared_experts * d;
  const moeTensors = c.n_routed_experts * 3 + 2 + (c.n_shared_experts > 0 ? 3 : 0);
  // Layers [0, L + D) that are MoE: i ≥ first_k_dense_replace and i % moe_layer_freq == 0 (isMoeLayer).
  const layers = c.num_hidden_layers + c.num_nextn_predict_layers;
  const multiplesBelow = (n: number) => (n <= 0 ? 0 : Math.floor((n - 1) / c.moe_layer_freq) + 1); // in [0, n)
  const moeLayers = Math.max(0, multiplesBelow(layers) - multiplesBelow(Math.min(c.first_k_dense_replace, layers)));
  const denseLayers = layers - moeLayers;
  const blockValues = attnValues + 2 * d;
  const blockTensors = attnTensors + 2;
  const mtp = c.num_nextn_predict_layers;
  const values =
    c.vocab_size * d +
    layers * blockValues +
    moeLayers * moeValues +
    denseLayers * 3 * c.intermediate_size * d +
    mtp * (2 * c.vocab_size * d + 2 * d + 2 * d * d + d) +
    d +
    (c.tie_word_embeddings ? 0 : c.vocab_size * d);
  const tensors =
    1 +
    layers * blockTensors +
    moeLayers * moeTensors +
    denseLayers * 3 +
    mtp * 6 +
    1 +
    (c.tie_word_embeddings ? 0 : 1);
  return { values, tensors };
}

/** Total number of values in the checkpoint (MTP layers included). */
export const deepseekV3ParamCount = (config: DeepseekV3Config): number => deepseekV3Size(config).values;
