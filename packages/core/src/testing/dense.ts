/**
 * A tiny Qwen2 config sized for the byte-level tokenizer (its 263 ids, its special tokens), for tests that run the
 * trainers on a dense model: 2 layers, hidden 32, 4 query heads over 2 K/V heads (GQA), tied embeddings.
 */
import type { Qwen2ConfigInput } from '../models/dense/config.js';
import type { Tokenizer } from '../tokenizers/tokenizer.js';

export function byteLevelQwen2Config(
  tokenizer: Tokenizer,
  maxPositions = 128,
): Qwen2ConfigInput & { model_type: 'qwen2' } {
  const id = (token: string) => tokenizer.tokenToId(token) as number;
  return {
    model_type: 'qwen2',
    vocab_size: 263,
    hidden_size: 32,
    intermediate_size: 48,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: maxPositions,
    tie_word_embeddings: true,
    initializer_range: 0.1,
    bos_token_id: id('<|bos|>'),
    eos_token_id: id('<|eos|>'),
    pad_token_id: id('<|pad|>'),
  };
}
