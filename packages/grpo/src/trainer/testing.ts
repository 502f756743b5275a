/**
 * Tiny fixtures for the trainer's tests and examples: a byte-level tokenizer, a DeepSeek-V3 model at the tiny test
 * size (every feature on) with the tokenizer's vocabulary, and an addition accuracy reward that needs no worker.
 * Not exported from the package index (test support only).
 */
import { createByteLevelTokenizer, createModel, type Model } from '@aha/core';
import { defineReward, type Reward } from '@aha/rewards';
import { scoreAddition } from '../tasks/addition.js';

export function tinyTokenizer() {
  return createByteLevelTokenizer();
}

/** The tiny DeepSeek-V3 config with the byte-level vocabulary (263 ids: bytes + 7 added tokens). */
export function tinyModel(seed = 1, overrides: Record<string, unknown> = {}): Model {
  const tok = tinyTokenizer();
  const bos = tok.tokenToId('<|bos|>') as number;
  const eos = tok.tokenToId('<|eos|>') as number;
  const pad = tok.tokenToId('<|pad|>') as number;
  return createModel(
    {
      // The tiny config of @aha/core's model tests (1 dense + 2 MoE layers, grouped routing, MTP), at 263 ids.
      vocab_size: 263,
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
      max_position_embeddings: 256,
      num_nextn_predict_layers: 1,
      initializer_range: 0.1,
      bos_token_id: bos,
      eos_token_id: eos,
      pad_token_id: pad,
      ...overrides,
    },
    { seed },
  );
}

/** 1 when the completion's `<answer>` holds the row's `solution` (addition task), else 0. Named 'accuracy'. */
export const additionAccuracy: Reward = defineReward({
  name: 'accuracy',
  async score(samples) {
    return samples.map((s) => scoreAddition(String(s.completion), { solution: String(s.solution) }));
  },
});
