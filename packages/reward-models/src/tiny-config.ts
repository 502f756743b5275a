/**
 * A tiny DeepSeek-V3 reward-model backbone over the byte-level tokenizer's 263 ids (`createByteLevelTokenizer`):
 * one dense + one MoE layer, MLA with a 16-dim latent, ≈28k parameters. Small enough to train in seconds on a CPU,
 * for tests, examples and the miniature recipes; real reward models start from an SFT checkpoint instead
 * (`RewardModel.fromBackbone(await loadModel(dir))`).
 */
import type { DeepseekV3ConfigInput } from '@aha/core';

/** The tiny byte-level reward-model backbone (see the file header). */
export const tinyRewardModelConfig: DeepseekV3ConfigInput = Object.freeze({
  vocab_size: 263,
  hidden_size: 32,
  intermediate_size: 64,
  moe_intermediate_size: 16,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  num_key_value_heads: 2,
  n_shared_experts: 1,
  n_routed_experts: 4,
  num_experts_per_tok: 2,
  n_group: 1,
  topk_group: 1,
  first_k_dense_replace: 1,
  q_lora_rank: null,
  kv_lora_rank: 16,
  qk_nope_head_dim: 8,
  qk_rope_head_dim: 8,
  v_head_dim: 8,
  max_position_embeddings: 128,
  num_nextn_predict_layers: 0,
  bos_token_id: 256,
  eos_token_id: 257,
  pad_token_id: 258,
  initializer_range: 0.05,
  tie_word_embeddings: false,
});
