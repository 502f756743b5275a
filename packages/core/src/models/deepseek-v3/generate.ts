/**
 * Batched sampling for the DeepSeek-V3 model: prompts are left-padded into one batch, each row may be repeated
 * (`numReturnSequences`), and each step samples one token per unfinished row (greedy at temperature 0, else
 * temperature → top-k → top-p) from a seeded RNG, so a fixed seed gives the same completions.
 * Two decode paths, one switch (`useCache`): the latent KV cache with absorbed MLA (DeepSeek's inference
 * `attn_impl = "absorb"`; prefill once, then one position per step), or the naive path that recomputes the full
 * forward over the whole sequence every step (the reference the cache is tested against).
 * Leaves out: beam search, repetition penalties, speculative decoding with the MTP module.
 */
import { z } from 'zod';
import { noGrad } from '../../autograd/node.js';
import { ValueError } from '../../errors.js';
import { InitRng } from '../../nn/module.js';
import type { Tensor } from '../../tensor.js';
import type { Tokenizer } from '../../tokenizers/tokenizer.js';
import type { DeepseekV3Config } from './config.js';
import type { LatentKvCache } from './kv-cache.js';
import type { AttentionImpl } from './mla.js';

const tokenId = z.number().int().nonnegative();

/** Options of `model.generate` (zod schema; the descriptions are the docs). */
export const GenerateOptionsSchema = z.object({
  maxNewTokens: z.number().int().positive().default(64).describe('Most tokens to generate per completion.'),
  temperature: z
    .number()
    .nonnegative()
    .default(1)
    .describe('Sampling temperature τ (logits / τ); 0 = greedy (argmax, ties to the lower id).'),
  topP: z
    .number()
    .gt(0)
    .max(1)
    .default(1)
    .describe('Nucleus sampling: keep the most likely tokens until their probability reaches p (1 = off).'),
  topK: z.number().int().nonnegative().default(0).describe('Keep only the k most likely tokens (0 = off).'),
  stop: z
    .array(z.union([tokenId, z.array(tokenId).min(1)]))
    .optional()
    .describe(
      "Stop tokens or token sequences; a completion ends after one appears (it is kept in `tokens`). Default: the config's eos_token_id.",
    ),
  seed: z.number().int().default(0).describe('Seed of the sampling RNG: the same seed gives the same completions.'),
  numReturnSequences: z
    .number()
    .int()
    .positive()
    .default(1)
    .describe('Completions per prompt (consecutive in the result).'),
  useCache: z
    .boolean()
    .default(true)
    .describe('true: latent KV cache + absorbed MLA; false: naive full recompute each step (reference).'),
  tokenizer: z
    .custom<Pick<Tokenizer, 'decode'>>((v) => typeof (v as { decode?: unknown })?.decode === 'function')
    .optional()
    .describe(
      'When given, each Generation gets `text` = tokenizer.decode(tokens) without special tokens (BOS/EOS/PAD).',
    ),
});

/** Options of `model.generate`. */
export type GenerateOptions = z.input<typeof GenerateOptionsSchema>;

/** One completion. */
export interface Generation {
  /** Completion tokens only (the stop token/sequence included when it ended the completion). */
  tokens: number[];
  /** log p(token) under the temperature-scaled distribution (τ = 1 when greedy), before top-k/top-p filtering. */
  logprobs: number[];
  /** 'stop' when a stop token/sequence ended it, 'length' when maxNewTokens did. */
  finishReason: 'stop' | 'length';
  /** Decoded completion, when a tokenizer was given. */
  text?: string;
}

/**
 * What generation needs from the model (kept structural so this file does not import model.ts). `Cache` is the
 * model's KV cache: DeepSeek-V3's latent cache, or the dense families' grouped-query K/V cache.
 */
export interface GenerationModel<Cache = LatentKvCache> {
  readonly config: Pick<DeepseekV3Config, 'eos_token_id' | 'pad_token_id'>;
  forward(tokens: number[][], options: { attentionMask?: number[][]; impl?: AttentionImpl }): Tensor;
  newCache(batch: number, capacity: number): Cache;
  decode(
    tokens: number[][],
    attentionMask: number[][],
    cache: Cache,
    past?: { keyMask: number[][]; positions: number[] },
  ): Tensor;
}

/** Samples one token from a row of logits; returns the token and its log-probability (see `Generation`). */
export function sampleToken(
  logits: Float32Array,
  opts: { temperature: number; topK: number; topP: number },
  rng: InitRng,
): { token: number; logprob: number } {
  const V = logits.length;
  const tau = opts.temperature === 0 ? 1 : opts.temperature;
  let max = -Infinity;
  let argmax = 0;
  for (let v = 0; v < V; v++) {
    if (logits[v] > max) {
      max = logits[v];
      argmax = v;
    }
  }
  let z = 0;
  for (let v = 0; v < V; v++) z += Math.exp((logits[v] - max) / tau);
  const logZ = Math.log(z);
  const logprob = (v: number) => (logits[v] - max) / tau - logZ;
  if (opts.temperature === 0) return { token: argmax, logprob: logprob(argmax) };

  let order = Array.from({ length: V }, (_, v) => v).sort((a, b) => logits[b] - logits[a] || a - b);
  if (opts.topK > 0) order = order.slice(0, opts.topK);
  if (opts.topP < 1) {
    let cum = 0;
    let keep = 0;
    while (keep < order.length) {
      cum += Math.exp(logprob(order[keep++]));
      if (cum >= opts.topP) break;
    }
    order = order.slice(0, keep);
  }
  let total = 0;
  for (const v of order) total += Math.exp(logprob(v));
  let u = rng.uniform() * total;
  for (const v of order) {
    u -= Math.exp(logprob(v));
    if (u <= 0) return { token: v, logprob: logprob(v) };
  }
  const last = order[order.length - 1];
  return { token: last, logprob: logprob(last) };
}

/** Last-position logits of each row: [B, T, V] → B rows. */
function lastRows(logits: Tensor): Float32Array[] {
  const [B, T, V] = logits.shape;
  const v = logits.values();
  return Array.from({ length: B }, (_, b) => v.slice(((b + 1) * T - 1) * V, (b + 1) * T * V));
}

/**
 * NaN / ±Inf logits (non-finite weights, an overflow in the forward) would sample garbage and give `null` log-probs
 * (NaN in JSON): a ValueError naming the step, the sequence and the first bad token id instead.
 */
function checkFiniteLogits(row: Float32Array, step: number, b: number, perPrompt: number): void {
  for (let v = 0; v < row.length; v++) {
    if (row[v] - row[v] !== 0) {
      throw new ValueError(
        `generate: non-finite logit ${row[v]} for token id ${v} at step ${step} of sequence ${b} ` +
          `(prompt ${Math.floor(b / perPrompt)}); the model's weights or activations are not finite`,
      );
    }
  }
}

const endsWith = (seq: number[], suffix: number[]) =>
  suffix.length <= seq.length && suffix.every((t, i) => seq[seq.length - suffix.length + i] === t);

/** Batched generation (see file comment). Runs under `noGrad`. */
export async function generate<Cache>(
  model: GenerationModel<Cache>,
  prompts: number[][],
  options: GenerateOptions = {},
): Promise<Generation[]> {
  const o = GenerateOptionsSchema.parse(options);
  if (prompts.length === 0) return [];
  prompts.forEach((p, i) => {
    if (!Array.isArray(p) || p.length === 0) throw new ValueError(`generate: prompt ${i} is empty`);
  });
  const eos = model.config.eos_token_id;
  const stops: number[][] = (o.stop ?? (eos === null ? [] : Array.isArray(eos) ? eos : [eos])).map((s) =>
    Array.isArray(s) ? s : [s],
  );
  const rows = prompts.flatMap((p) => Array.from({ length: o.numReturnSequences }, () => p));
  const B = rows.length;
  const L = Math.max(...rows.map((p) => p.length));
  const pad = model.config.pad_token_id ?? 0;
  const tokens = rows.map((p) => [...new Array(L - p.length).fill(pad), ...p]); // [B][L] left-padded
  const mask = rows.map((p) => [...new Array(L - p.length).fill(0), ...new Array(p.length).fill(1)]);
  const rng = new InitRng(o.seed);
  const out: Generation[] = rows.map(() => ({ tokens: [], logprobs: [], finishReason: 'length' }));
  const done = new Array<boolean>(B).fill(false);

  noGrad(() => {
    const cache = o.useCache ? model.newCache(B, L + o.maxNewTokens) : null;
    let logits = cache
      ? model.decode(tokens, mask, cache)
      : model.forward(tokens, { attentionMask: mask, impl: 'naive' });
    const positions = rows.map((p) => p.length);
    for (let step = 0; step < o.maxNewTokens; step++) {
      const last = lastRows(logits);
      const next: number[] = new Array(B).fill(pad);
      const nextMask: number[] = new Array(B).fill(0);
      for (let b = 0; b < B; b++) {
        if (done[b]) continue;
        checkFiniteLogits(last[b], step, b, o.numReturnSequences);
        const { token, logprob } = sampleToken(last[b], o, rng);
        out[b].tokens.push(token);
        out[b].logprobs.push(logprob);
        next[b] = token;
        nextMask[b] = 1;
        if (stops.some((s) => endsWith(out[b].tokens, s))) {
          done[b] = true;
          out[b].finishReason = 'stop';
        }
      }
      if (done.every(Boolean) || step === o.maxNewTokens - 1) break;
      if (cache) {
        const past = { keyMask: mask.map((r) => [...r]), positions: [...positions] };
        logits = model.decode(
          next.map((t) => [t]),
          nextMask.map((m) => [m]),
          cache,
          past,
        );
      } else {
        logits = model.forward(
          tokens.map((r, b) => [...r, next[b]]),
          { attentionMask: mask.map((r, b) => [...r, nextMask[b]]), impl: 'naive' },
        );
      }
      for (let b = 0; b < B; b++) {
        tokens[b].push(next[b]);
        mask[b].push(nextMask[b]);
        positions[b] += nextMask[b];
      }
    }
  });
  if (o.tokenizer) for (const g of out) g.text = o.tokenizer.decode(g.tokens, { skipSpecialTokens: true });
  return out;
}
