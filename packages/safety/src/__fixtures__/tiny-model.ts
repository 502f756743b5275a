/** A tiny DeepSeek-V3 config over the byte-level vocabulary, for tests that run a real (untrained) model. */
import type { DeepseekV3ConfigInput, Tokenizer } from '@aha/core';

export function tinyConfig(tokenizer: Pick<Tokenizer, 'vocabSize' | 'bosTokenId' | 'eosTokenId'>): DeepseekV3ConfigInput {
  return {
    vocab_size: tokenizer.vocabSize,
    hidden_size: 16,
    intermediate_size: 32,
    moe_intermediate_size: 8,
    num_hidden_layers: 2,
    first_k_dense_replace: 1,
    num_attention_heads: 2,
    num_key_value_heads: 2,
    n_shared_experts: 1,
    n_routed_experts: 2,
    num_experts_per_tok: 1,
    n_group: 1,
    topk_group: 1,
    q_lora_rank: 8,
    kv_lora_rank: 8,
    qk_nope_head_dim: 4,
    qk_rope_head_dim: 4,
    v_head_dim: 4,
    max_position_embeddings: 2048,
    num_nextn_predict_layers: 0,
    bos_token_id: tokenizer.bosTokenId as number,
    eos_token_id: tokenizer.eosTokenId as number,
  };
}
