/**
 * Tiny DeepSeek-V3 configs for tests and examples: every feature switched on (q LoRA, YaRN, interleaved RoPE, dense +
 * MoE layers with group-limited routing, shared experts, MTP) at a size that runs in milliseconds.
 */
import type { DeepseekV3ConfigInput } from './config.js';

/** 3 layers (1 dense + 2 MoE), 8 routed experts in 4 groups, 1 MTP module. */
export const TINY_CONFIG: DeepseekV3ConfigInput = {
  vocab_size: 48,
  hidden_size: 32,
  intermediate_size: 64,
  moe_intermediate_size: 16,
  num_hidden_layers: 3,
  num_attention_heads: 4,
  num_key_value_heads: 4,
  n_shared_experts: 1,
  n_routed_experts: 8,
  num_experts_per_tok: 2,
  n_group: 4,
  topk_group: 2,
  routed_scaling_factor: 2.5,
  first_k_dense_replace: 1,
  q_lora_rank: 16,
  kv_lora_rank: 16,
  qk_nope_head_dim: 8,
  qk_rope_head_dim: 4,
  v_head_dim: 8,
  max_position_embeddings: 64,
  rope_scaling: {
    type: 'yarn',
    factor: 4,
    original_max_position_embeddings: 16,
    beta_fast: 32,
    beta_slow: 1,
    mscale: 1,
    mscale_all_dim: 1,
  },
  num_nextn_predict_layers: 1,
  bos_token_id: 0,
  eos_token_id: 1,
  pad_token_id: null,
  initializer_range: 0.1,
};
