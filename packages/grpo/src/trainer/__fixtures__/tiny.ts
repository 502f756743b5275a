/**
 * Test fixtures of the trainer (not part of the package: nothing in src/ outside tests imports them, and the build
 * entry is src/index.ts): a byte-level tokenizer, a DeepSeek-V3 model at the tiny test size (every feature on) with
 * the tokenizer's vocabulary, an addition accuracy reward that needs no worker, and the unfused completion log-probs
 * (full logits → tokenLogprobs) the fused training path is tested against.
 */
import {
  createByteLevelTokenizer,
  createModel,
  type Model,
  narrow,
  type Tensor,
  tinyDeepseekV3Config,
  tokenLogprobs,
} from '@aha/core';
import { defineReward, type Reward } from '@aha/rewards';
import { scoreAddition } from '../../tasks/addition.js';
import type { PackedBatch } from '../sequences.js';

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
      // The tiny config of @aha/core's model tests (1 dense + 2 MoE layers, grouped routing, MTP), at 263 ids,
      // plain RoPE and room for 256 positions.
      ...tinyDeepseekV3Config,
      vocab_size: 263,
      max_position_embeddings: 256,
      rope_scaling: null,
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

/** Completion logits [B, C, V] of a packed batch (with grad when recording is on): the unfused reference path. */
export function completionLogits(model: Model, batch: PackedBatch): Tensor {
  const logits = model.forward(batch.input, { attentionMask: batch.attentionMask }); // [B, P + C − 1, V]
  return narrow(logits, 1, batch.promptLength - 1, batch.completionLength); // [B, C, V]
}

/** log π(completion token) at temperature T from full logits: [B, C]. Padding positions hold token 0's log-prob. */
export function completionLogprobs(logits: Tensor, batch: PackedBatch, temperature: number): Tensor {
  return tokenLogprobs(logits, batch.targets, { temperature: temperature > 0 ? temperature : 1 });
}
