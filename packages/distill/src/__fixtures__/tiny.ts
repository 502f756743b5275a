/** Tiny DeepSeek-V3 configs and datasets for the distill tests: byte-level vocabulary (263), a few ms per step. */
import type { DeepseekV3ConfigInput } from '@aha/core';

const BASE: DeepseekV3ConfigInput = {
  vocab_size: 263,
  hidden_size: 32,
  intermediate_size: 64,
  moe_intermediate_size: 16,
  num_attention_heads: 2,
  num_key_value_heads: 2,
  n_shared_experts: 1,
  n_routed_experts: 4,
  num_experts_per_tok: 2,
  n_group: 1,
  topk_group: 1,
  q_lora_rank: null,
  kv_lora_rank: 16,
  qk_nope_head_dim: 8,
  qk_rope_head_dim: 4,
  v_head_dim: 8,
  max_position_embeddings: 128,
  rope_scaling: null,
  num_nextn_predict_layers: 0,
  bos_token_id: 256,
  eos_token_id: 257,
  pad_token_id: 258,
  initializer_range: 0.1,
};

/** A 2-layer teacher: 1 dense layer then 1 MoE layer. */
export const TINY_TEACHER: DeepseekV3ConfigInput = { ...BASE, num_hidden_layers: 2, first_k_dense_replace: 1 };

/** A 1-layer dense student (first_k_dense_replace = num_hidden_layers: no MoE). */
export const TINY_STUDENT: DeepseekV3ConfigInput = {
  ...BASE,
  hidden_size: 24,
  intermediate_size: 48,
  num_hidden_layers: 1,
  first_k_dense_replace: 1,
};

/** `{ prompt, completion }` rows of one-digit additions. */
export function additionRows(n: number, offset = 0): { prompt: string; completion: string; solution: string }[] {
  return Array.from({ length: n }, (_, k) => {
    const i = k + offset;
    const a = i % 5;
    const b = (i * 3 + 1) % 5;
    return { prompt: `${a}+${b}=`, completion: `${a + b}`, solution: `${a + b}` };
  });
}
