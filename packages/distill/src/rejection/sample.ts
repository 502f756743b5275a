/**
 * Rejection sampling (DeepSeek-R1 §2.3.3): generate n completions per prompt from a checkpoint (an aha model or any
 * generate function, e.g. a vLLM client), score them with rule rewards (`combineRewards` through `scoreRewards`, so
 * each reward keeps its time limits and error isolation), keep the correct and readable ones, and write them as JSONL
 * rows `{ prompt, completion, reward, details, ...columns }` that `SftTrainer` reads as they are.
 *
 * Per prompt: samples whose reward failed or does not apply are dropped; then `minReward`, the readability filters
 * (filters.ts), exact dedupe, and the best `maxPerPrompt` by reward (ties: generation order). Every dropped sample is
 * counted under its reason in `stats.rejected`, so a run says why its yield is low.
 * A sample `filter` (a generic hook: the pipeline passes one backed by @aha/safety's RiskControl, which this package
 * may not import) sees the samples that passed everything else, before the per-prompt cap (so a blocked best sample
 * gives way to the next): with `filterMode: 'drop'` a blocked sample is rejected as `filtered`, with 'flag' it is
 * kept with its reason in a `flagged` column; both are counted in `stats.filter`.
 * Leaves out: generative reward models (R1 judged some data with DeepSeek-V3), the ~200k non-reasoning samples.
 */
import type { Model, Tokenizer } from '@aha/core';
import { ValueError } from '@aha/core';
import { type ChatMessage, combineRewards, type Sample, scoreRewards, type WeightedReward } from '@aha/rewards';
import { z } from 'zod';
import { writeJsonl } from '../data/jsonl.js';
import { dedupeKey, ReadabilityOptionsSchema, type RejectReason, readabilityReject } from './filters.js';

/** A prompt row: the prompt (text or chat messages) and any dataset columns the rewards read (e.g. `solution`). */
export interface PromptRow {
  prompt: string | ChatMessage[];
  [column: string]: unknown;
}

/** Generates `n` completion texts for each prompt (the prompt order kept); `seed` makes it reproducible. */
export type GenerateFn = (prompts: PromptRow[], options: { n: number; seed: number }) => Promise<string[][]>;

/** What a sample filter sees: the prompt and the completion text. */
export interface FilterSample {
  prompt: string | ChatMessage[];
  completion: string;
}

/**
 * Decides which samples are blocked (e.g. risk control): for each sample, null when it passes, else the reason it
 * is blocked. Called once per batch of prompts with the samples that passed the other checks.
 */
export type SampleFilter = (
  samples: readonly FilterSample[],
  options: { signal?: AbortSignal },
) => Promise<readonly (string | null)[]>;

/** What a filter did over a run. */
export interface FilterStats {
  mode: 'drop' | 'flag' | 'off';
  /** Samples the filter was asked about. */
  checked: number;
  /** Samples it blocked (dropped or flagged). */
  blocked: number;
  dropped: number;
  flagged: number;
}

/** A kept sample: the prompt row's columns, the completion, its total reward and each reward part's value. */
export interface KeptSample {
  prompt: string | ChatMessage[];
  /** Text for a text prompt, `[{ role: 'assistant', content }]` for a chat prompt (TRL's conversational form). */
  completion: string | ChatMessage[];
  reward: number;
  details: Record<string, number | null>;
  /** Why the sample filter blocked it (only with `filterMode: 'flag'`). */
  flagged?: string;
  [column: string]: unknown;
}

export const KeepOptionsSchema = ReadabilityOptionsSchema.extend({
  minReward: z.number().default(1).describe('Least total reward Σ wᵢ·rᵢ to keep a sample (e.g. 1 = correct).'),
  maxPerPrompt: z
    .number()
    .int()
    .positive()
    .nullable()
    .default(1)
    .describe('Keep at most this many samples per prompt, highest reward first; null: all that pass.'),
  dedupe: z.boolean().default(true).describe('Drop repeated completions of the same prompt (whitespace folded).'),
});
export type KeepOptions = z.input<typeof KeepOptionsSchema>;

export const RejectionConfigSchema = z.object({
  n: z.number().int().positive().default(4).describe('Completions sampled per prompt.'),
  batchSize: z.number().int().positive().default(8).describe('Prompts per generate call.'),
  seed: z.number().int().default(0).describe('Sampling seed; batch k uses seed + k.'),
  maxNewTokens: z.number().int().positive().default(256).describe('Most new tokens per completion (model only).'),
  temperature: z.number().nonnegative().default(0.7).describe('Sampling temperature τ (model only).'),
  topP: z.number().gt(0).max(1).default(0.95).describe('Nucleus sampling p (model only).'),
  topK: z.number().int().nonnegative().default(0).describe('Top-k (model only; 0 = off).'),
  timeoutMs: z.number().int().positive().default(10_000).describe('Reward time limit per sample.'),
  keep: KeepOptionsSchema.default(KeepOptionsSchema.parse({})).describe('What is kept (see KeepOptionsSchema).'),
});

/** Options of `rejectionSample`. */
export interface RejectionSampleOptions extends Omit<z.input<typeof RejectionConfigSchema>, 'keep'> {
  /** Generate with this model (needs `tokenizer`), or pass `generate`. */
  model?: Model;
  tokenizer?: Tokenizer;
  generate?: GenerateFn;
  prompts: readonly PromptRow[];
  /** The reward parts, summed with their weights (as `combineRewards`). */
  rewards: readonly WeightedReward[];
  keep?: KeepOptions;
  /** Blocks samples (see `SampleFilter`); e.g. risk control. */
  filter?: SampleFilter;
  /** What happens to a sample the filter blocks: dropped (default), kept with a `flagged` column, or 'off'. */
  filterMode?: 'drop' | 'flag' | 'off';
  /** Write the kept samples here as JSONL. */
  output?: string;
  signal?: AbortSignal;
  /** Called after each batch of prompts. */
  onProgress?: (done: number, total: number) => void;
}

/** Counts of a run. */
export interface RejectionStats {
  prompts: number;
  generated: number;
  kept: number;
  /** Prompts with at least one kept sample. */
  promptsKept: number;
  rejected: Partial<Record<RejectReason, number>>;
  meanKeptReward: number | null;
  /** What the sample filter did (mode 'off' and zero counts without one). */
  filter: FilterStats;
}

/** A `GenerateFn` over an aha model: prompts encoded (chat template for messages), completions decoded. */
export function modelGenerate(
  model: Model,
  tokenizer: Tokenizer,
  options: { maxNewTokens: number; temperature: number; topP: number; topK: number },
): GenerateFn {
  return async (prompts, { n, seed }) => {
    const ids = prompts.map((p) =>
      typeof p.prompt === 'string'
        ? tokenizer.encode(p.prompt)
        : tokenizer.encodeChat(p.prompt, { addGenerationPrompt: true }),
    );
    const stop = tokenizer.eosTokenId === null ? undefined : [tokenizer.eosTokenId];
    const gens = await model.generate(ids, { ...options, seed, numReturnSequences: n, tokenizer, stop });
    return prompts.map((_, i) => gens.slice(i * n, (i + 1) * n).map((g) => g.text ?? tokenizer.decode(g.tokens)));
  };
}

/** Samples, scores and filters (see the file comment). */
export async function rejectionSample(
  options: RejectionSampleOptions,
): Promise<{ samples: KeptSample[]; stats: RejectionStats }> {
  const parsed = RejectionConfigSchema.safeParse(options);
  if (!parsed.success) throw new ValueError(`rejectionSample: invalid options: ${z.prettifyError(parsed.error)}`);
  const cfg = parsed.data;
  const generate =
    options.generate ??
    (options.model && options.tokenizer
      ? modelGenerate(options.model, options.tokenizer, {
          maxNewTokens: cfg.maxNewTokens,
          temperature: cfg.temperature,
          topP: cfg.topP,
          topK: cfg.topK,
        })
      : undefined);
  if (!generate) throw new ValueError('rejectionSample: pass `generate`, or `model` together with `tokenizer`');
  options.prompts.forEach((p, i) => {
    if (typeof p?.prompt !== 'string' && !Array.isArray(p?.prompt))
      throw new ValueError(`rejectionSample: prompts[${i}].prompt must be text or chat messages`);
  });
  const filterMode = options.filterMode ?? 'drop';
  if (!['drop', 'flag', 'off'].includes(filterMode))
    throw new ValueError(
      `rejectionSample: filterMode must be 'drop', 'flag' or 'off', got ${JSON.stringify(filterMode)}`,
    );
  if (options.filter !== undefined && typeof options.filter !== 'function')
    throw new ValueError(`rejectionSample: filter must be a function, got ${typeof options.filter}`);
  const filter = filterMode === 'off' ? undefined : options.filter;
  const filterStats: FilterStats = {
    mode: filter ? filterMode : 'off',
    checked: 0,
    blocked: 0,
    dropped: 0,
    flagged: 0,
  };
  const total = combineRewards(options.rewards, { name: 'reward' });
  const keep = cfg.keep;
  const rejected: Partial<Record<RejectReason, number>> = {};
  const reject = (reason: RejectReason, count = 1) => {
    rejected[reason] = (rejected[reason] ?? 0) + count;
  };
  const samples: KeptSample[] = [];
  let generated = 0;
  let promptsKept = 0;

  for (let start = 0, k = 0; start < options.prompts.length; start += cfg.batchSize, k++) {
    options.signal?.throwIfAborted();
    const batch = options.prompts.slice(start, start + cfg.batchSize);
    const texts = await generate(batch, { n: cfg.n, seed: cfg.seed + k });
    if (texts.length !== batch.length || texts.some((t) => t.length !== cfg.n))
      throw new ValueError(
        `rejectionSample: generate returned ${texts.map((t) => t.length).join('/')} completions for ${batch.length} prompts, expected ${cfg.n} each`,
      );
    const flat: Sample[] = batch.flatMap((row, i) =>
      texts[i].map((text) => ({
        ...row,
        completion: typeof row.prompt === 'string' ? text : [{ role: 'assistant', content: text }],
      })),
    );
    generated += flat.length;
    const [result] = await scoreRewards(total, flat, { timeoutMs: cfg.timeoutMs, signal: options.signal });
    const perPrompt: { c: KeptSample; text: string }[][] = batch.map((_, i) => {
      const candidates: { c: KeptSample; text: string }[] = [];
      const seen = new Set<string>();
      for (let j = 0; j < cfg.n; j++) {
        const s = i * cfg.n + j;
        const text = texts[i][j];
        const outcome = result.details[s];
        if (outcome.status !== 'ok') reject('reward_failed');
        else if (outcome.value === null) reject('no_reward');
        else if (outcome.value < keep.minReward) reject('below_min_reward');
        else {
          const why = readabilityReject(text, keep);
          if (why) reject(why);
          else if (keep.dedupe && seen.has(dedupeKey(text))) reject('duplicate');
          else {
            seen.add(dedupeKey(text));
            const details = Object.fromEntries((result.components ?? []).map((c) => [c.name, c.values[s]]));
            candidates.push({ c: { ...(flat[s] as KeptSample), reward: outcome.value, details }, text });
          }
        }
      }
      return candidates;
    });
    if (filter) {
      const asked = perPrompt.flat();
      const verdicts = await filter(
        asked.map(({ c, text }) => ({ prompt: c.prompt, completion: text })),
        { signal: options.signal },
      );
      if (!Array.isArray(verdicts) || verdicts.length !== asked.length)
        throw new ValueError(
          `rejectionSample: filter returned ${Array.isArray(verdicts) ? `${verdicts.length} verdicts` : typeof verdicts} for ${asked.length} samples`,
        );
      filterStats.checked += asked.length;
      const blocked = new Map(asked.map((a, k) => [a.c, verdicts[k]]));
      for (let i = 0; i < perPrompt.length; i++) {
        perPrompt[i] = perPrompt[i].filter(({ c }) => {
          const why = blocked.get(c);
          if (why === null || why === undefined) return true;
          filterStats.blocked++;
          if (filterMode === 'flag') {
            filterStats.flagged++;
            c.flagged = String(why);
            return true;
          }
          filterStats.dropped++;
          reject('filtered');
          return false;
        });
      }
    }
    perPrompt.forEach((list) => {
      const candidates = list.map((x) => x.c);
      const ranked = candidates.map((c, j) => ({ c, j })).sort((a, b) => b.c.reward - a.c.reward || a.j - b.j);
      const cap = keep.maxPerPrompt ?? ranked.length;
      if (ranked.length > cap) reject('over_max_per_prompt', ranked.length - cap);
      const kept = ranked.slice(0, cap).map((r) => r.c);
      if (kept.length > 0) promptsKept++;
      samples.push(...kept);
    });
    options.onProgress?.(Math.min(start + cfg.batchSize, options.prompts.length), options.prompts.length);
  }
  if (options.output) await writeJsonl(options.output, samples);
  const stats: RejectionStats = {
    prompts: options.prompts.length,
    generated,
    kept: samples.length,
    promptsKept,
    rejected,
    meanKeptReward: samples.length ? samples.reduce((s, x) => s + x.reward, 0) / samples.length : null,
    filter: filterStats,
  };
  return { samples, stats };
}
