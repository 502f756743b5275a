/**
 * A judge run on a local aha model: the review prompt (judge.ts) rendered with the tokenizer's chat template
 * (`encodeChat`, with the generation prompt), `model.generate` greedy by default, the reply decoded and its label
 * parsed robustly (`parseJudgeReply`: JSON, "LABEL:" line, or the earliest label word; `<think>` blocks skipped).
 *
 * This is DeepSeek's "model-based review" with the reviewer on the same stack as the trained model. A small model
 * needs fine-tuning on review data before its labels mean anything; the plumbing here does not depend on that.
 * Leaves out: batching several dialogues into one generate call, constrained decoding to the label set.
 */
import type { ChatMessage, GenerateOptions, Generation, Tokenizer } from '@aha/core';
import { SafetyError } from '../errors.js';
import {
  type Judge,
  type JudgeOptions,
  parseJudgeReplyOrThrow,
  REVIEW_SYSTEM_PROMPT,
  reviewMessages,
  type Verdict,
} from './judge.js';

/** What the judge needs from a model (structural, so a `DeepseekV3Model` or a stand-in fits). */
export interface GenerativeModel {
  generate(prompts: number[][], options: GenerateOptions): Promise<Generation[]>;
}

/** Options of {@link createModelJudge}. */
export interface ModelJudgeOptions {
  model: GenerativeModel;
  /** Must have a chat template (`applyChatTemplate`). */
  tokenizer: Pick<Tokenizer, 'encodeChat' | 'decode'>;
  /** Review instructions (default: REVIEW_SYSTEM_PROMPT). */
  systemPrompt?: string;
  /** Passed to `model.generate` (default: greedy, 64 new tokens). */
  generate?: Omit<GenerateOptions, 'numReturnSequences' | 'tokenizer'>;
  /** Name in errors and reports (default 'model-judge'). */
  name?: string;
}

/** A {@link Judge} backed by a local model. */
export function createModelJudge(options: ModelJudgeOptions): Judge {
  const { model, tokenizer } = options;
  if (typeof model?.generate !== 'function') {
    throw new SafetyError('invalid', 'createModelJudge: model must have a generate(prompts, options) method');
  }
  if (typeof tokenizer?.encodeChat !== 'function' || typeof tokenizer.decode !== 'function') {
    throw new SafetyError('invalid', 'createModelJudge: tokenizer must have encodeChat and decode');
  }
  const name = options.name ?? 'model-judge';
  const gen: GenerateOptions = { temperature: 0, maxNewTokens: 64, ...options.generate, numReturnSequences: 1 };
  return {
    name,
    async judge(dialogue: readonly ChatMessage[], opts: JudgeOptions = {}): Promise<Verdict> {
      if (opts.signal?.aborted) throw new SafetyError('aborted', `${name}: aborted`, {}, { cause: opts.signal.reason });
      const ids = tokenizer.encodeChat(reviewMessages(dialogue, options.systemPrompt ?? REVIEW_SYSTEM_PROMPT), {
        addGenerationPrompt: true,
      });
      const [out] = await model.generate([ids], gen);
      if (!out) throw new SafetyError('malformed', `${name}: model.generate returned no generation`);
      const reply = out.text ?? tokenizer.decode(out.tokens, { skipSpecialTokens: true });
      return parseJudgeReplyOrThrow(reply, name);
    },
  };
}
