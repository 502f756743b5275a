/**
 * One seam for rollouts: a `RolloutEngine` turns prepared prompts into G sampled completions each, whichever backend
 * does the sampling — the local policy's `model.generate` (@aha/core) or an OpenAI-compatible server (vLLM, SGLang;
 * remote.ts). The trainer holds one engine and never asks which kind it is, except through `samplerLogprobs`
 * (whether the engine reports its own per-token log-probs, which truncated importance sampling needs).
 * Another engine (a server pool, a cached replay) implements the same two members and is passed to `GrpoTrainer`.
 * Leaves out: asynchronous (overlapped) generation. Weight sync to a remote server is weight-sync.ts, which the
 * trainer runs before each rollout; its adapter name reaches the engine as `SamplingSettings.model`.
 */
import type { Model, Tokenizer } from '@aha/core';
import type { DatasetRow } from '../data/types.js';
import type { RemoteRolloutClient } from './remote.js';

/** A prompt ready for sampling: its dataset row, token ids and rendered text. */
export interface PreparedPrompt {
  rowIndex: number;
  row: DatasetRow;
  ids: number[];
  text: string;
}

/** Sampling settings every engine honours. */
export interface SamplingSettings {
  /** G: completions per prompt. */
  groupSize: number;
  temperature: number;
  topP: number;
  topK: number;
  maxNewTokens: number;
  stop: string[];
  seed: number;
  /** Served model name to sample from (the adapter a weight sync loaded); remote engines only. */
  model?: string;
  signal?: AbortSignal;
}

/** One sampled completion. */
export interface SampledCompletion {
  promptIds: number[];
  completionIds: number[];
  /** Decoded completion (special tokens removed); what the rewards score. */
  completion: string;
  finishReason: string;
  /** Per-token log-probs from the sampling engine, aligned with completionIds, or null when it gave none. */
  samplerLogprobs: number[] | null;
}

/** Samples completions for the trainer; local and remote backends implement it alike. */
export interface RolloutEngine {
  /** 'local', 'remote' or an engine of your own (shown in errors and logs). */
  readonly kind: string;
  /** True when `generate` fills `samplerLogprobs` (then truncated importance sampling can correct the mismatch). */
  readonly samplerLogprobs: boolean;
  /** G completions per prompt, prompt-major: completion k belongs to prompt ⌊k / G⌋. */
  generate(prompts: readonly PreparedPrompt[], settings: SamplingSettings): Promise<SampledCompletion[]>;
}

/** Samples with the local policy (`model.generate`), which the trainer updates in place: always on-policy. */
export function localRolloutEngine(model: Model, tokenizer: Tokenizer): RolloutEngine {
  return {
    kind: 'local',
    samplerLogprobs: false,
    async generate(prompts, s) {
      const eos = model.config.eos_token_id;
      const stops: (number | number[])[] = eos === null ? [] : Array.isArray(eos) ? [...eos] : [eos];
      for (const text of s.stop) stops.push(tokenizer.encode(text, { addSpecialTokens: false }));
      const gens = await model.generate(
        prompts.map((p) => p.ids),
        {
          numReturnSequences: s.groupSize,
          temperature: s.temperature,
          topP: s.topP,
          topK: s.topK,
          maxNewTokens: s.maxNewTokens,
          stop: stops,
          seed: s.seed,
        },
      );
      return gens.map((g, k) => ({
        promptIds: prompts[Math.floor(k / s.groupSize)].ids,
        completionIds: g.tokens,
        completion: tokenizer.decode(g.tokens, { skipSpecialTokens: true }),
        finishReason: g.finishReason,
        samplerLogprobs: null,
      }));
    },
  };
}

/**
 * Samples on a remote server. Completion ids are the server's when it returned them, else the text is
 * re-tokenised (then the sampler's log-probs line up only when the token counts agree; otherwise they are dropped
 * for that sample and TIS leaves it unweighted). Top-k is not part of the Completions API and is not sent.
 */
export function remoteRolloutEngine(client: RemoteRolloutClient, tokenizer: Tokenizer): RolloutEngine {
  return {
    kind: 'remote',
    samplerLogprobs: true,
    async generate(prompts, s) {
      const replies = await client.complete(
        prompts.map((p) => p.text),
        {
          model: s.model,
          n: s.groupSize,
          temperature: s.temperature,
          topP: s.topP,
          maxTokens: s.maxNewTokens,
          stop: s.stop,
          seed: s.seed,
          signal: s.signal,
        },
      );
      return replies.flatMap((group, p) =>
        group.map((c) => {
          const ids = c.tokens ?? tokenizer.encode(c.text, { addSpecialTokens: false });
          const aligned = c.logprobs.length === ids.length && c.logprobs.every(Number.isFinite);
          return {
            promptIds: prompts[p].ids,
            completionIds: ids,
            completion: c.text, // rewards score what the server wrote
            finishReason: c.finishReason,
            samplerLogprobs: aligned ? c.logprobs : null,
          };
        }),
      );
    },
  };
}
