/**
 * Tiny configs of each dense family for tests and examples (milliseconds per forward): GQA everywhere, Llama with
 * Llama 3.1 rope scaling, Qwen2 with one K/V head and a tied head, Qwen3 with an explicit head_dim ≠ hidden / heads.
 */
import type { LlamaConfigInput, Qwen2ConfigInput, Qwen3ConfigInput } from './config.js';

const COMMON = {
  vocab_size: 40,
  hidden_size: 32,
  intermediate_size: 48,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 64,
  bos_token_id: 2,
  eos_token_id: 1,
  pad_token_id: 0,
  initializer_range: 0.2,
};

export const TINY_LLAMA_CONFIG: LlamaConfigInput & { model_type: 'llama' } = {
  ...COMMON,
  model_type: 'llama',
  rope_scaling: {
    type: 'llama3',
    factor: 8,
    low_freq_factor: 1,
    high_freq_factor: 4,
    original_max_position_embeddings: 16,
  },
};

export const TINY_QWEN2_CONFIG: Qwen2ConfigInput & { model_type: 'qwen2' } = {
  ...COMMON,
  model_type: 'qwen2',
  num_key_value_heads: 1,
  tie_word_embeddings: true,
};

export const TINY_QWEN3_CONFIG: Qwen3ConfigInput & { model_type: 'qwen3' } = {
  ...COMMON,
  model_type: 'qwen3',
  head_dim: 12,
  attention_bias: true,
};
