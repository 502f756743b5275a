/**
 * RL metrics: the reflection-word counter behind R1's "aha moment" plot (R1 paper, Fig. on reflective words: wait,
 * mistake, however, but, retry, error, verify, wrong, evaluate, check — their frequency grows 5–7× over R1-Zero
 * training, "wait" late), the `StepMetrics` record a GRPO step reports, and an append-only JSONL metrics writer.
 *
 * Counting rule: whole words only, case-insensitive (`\bwait\b` matches "Wait," but not "waiting" or "await"),
 * exactly the ten listed forms — inflections are not folded in, so numbers stay comparable with the paper's list.
 * Left out: language-specific word lists (the paper's list is English).
 */
import { type FileHandle, mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  AhaError,
  emptyReflectionCounts,
  matchReflectionWords,
  REFLECTION_WORDS,
  type ReflectionWord,
  ValueError,
} from '@aha/core';
import type { DataPosition } from './data/iterator.js';

// The word list and the counting rule are @aha/core's (shared with @aha/safety); re-exported for convenience.
export { REFLECTION_WORDS, type ReflectionWord };

/** Reflection-word counts of one completion or a batch. */
export interface ReflectionCounts {
  /** Occurrences per word. */
  counts: Record<ReflectionWord, number>;
  /** Sum over the words. */
  total: number;
  /** Tokens the counts are over (from the caller's tokenizer, else whitespace-separated words). */
  tokens: number;
  /** total / tokens × 1000 (0 when there are no tokens). */
  per1kTokens: number;
}

/**
 * Count reflection words in one completion. `tokenCount` is the completion's length in model tokens (pass it —
 * per-1k-token rates are meant per model token); without it whitespace-separated words are counted instead.
 */
export function countReflectionWords(text: string, tokenCount?: number): ReflectionCounts {
  if (tokenCount !== undefined && (!Number.isInteger(tokenCount) || tokenCount < 0)) {
    throw new ValueError(`countReflectionWords: tokenCount must be an integer >= 0, got ${tokenCount}`);
  }
  const { counts, total } = matchReflectionWords(text);
  const tokens = tokenCount ?? text.match(/\S+/g)?.length ?? 0;
  return { counts, total, tokens, per1kTokens: tokens ? (total / tokens) * 1000 : 0 };
}

/** Batch reflection statistics: summed counts, the per-completion mean, and the rate per 1k tokens over the batch. */
export interface BatchReflectionCounts extends ReflectionCounts {
  completions: number;
  /** total / completions. */
  perCompletion: number;
}

/** Sum reflection counts over a batch of completions (`tokenCounts[i]` for `texts[i]`, optional). */
export function reflectionStats(texts: readonly string[], tokenCounts?: readonly number[]): BatchReflectionCounts {
  if (tokenCounts && tokenCounts.length !== texts.length) {
    throw new ValueError(
      `reflectionStats: tokenCounts has ${tokenCounts.length} entries for ${texts.length} completions`,
    );
  }
  const counts = emptyReflectionCounts();
  let total = 0;
  let tokens = 0;
  texts.forEach((t, i) => {
    const c = countReflectionWords(t, tokenCounts?.[i]);
    for (const w of REFLECTION_WORDS) counts[w] += c.counts[w];
    total += c.total;
    tokens += c.tokens;
  });
  return {
    counts,
    total,
    tokens,
    per1kTokens: tokens ? (total / tokens) * 1000 : 0,
    completions: texts.length,
    perCompletion: texts.length ? total / texts.length : 0,
  };
}

/** Accuracy of the completions that reflect (one reflection word or more) against those that do not. */
export interface ReflectionSplit {
  /** Share of completions with at least one reflection word. */
  share: number;
  /** Completions that reflect: how many, and the share of them judged correct (null when there are none). */
  reflecting: { count: number; accuracy: number | null };
  /** Completions without a reflection word. */
  other: { count: number; accuracy: number | null };
}

/**
 * Split a batch by whether a completion reflects, with the accuracy of each side (`correct[i]`: 1 / 0, or null when
 * the accuracy reward did not judge `texts[i]`, which then counts on its side but not in its accuracy). The question
 * it answers: does reflecting pay (R1-Zero's "aha moment" is reflection that grows because it does)?
 */
export function reflectionSplit(texts: readonly string[], correct: readonly (number | null)[]): ReflectionSplit {
  if (correct.length !== texts.length) {
    throw new ValueError(`reflectionSplit: correct has ${correct.length} entries for ${texts.length} completions`);
  }
  const side = () => ({ count: 0, judged: 0, right: 0 });
  const r = side();
  const o = side();
  texts.forEach((t, i) => {
    const s = matchReflectionWords(t).total > 0 ? r : o;
    s.count++;
    const c = correct[i];
    if (c === null || c === undefined) return;
    s.judged++;
    s.right += c;
  });
  const out = (s: ReturnType<typeof side>) => ({ count: s.count, accuracy: s.judged ? s.right / s.judged : null });
  return { share: texts.length ? r.count / texts.length : 0, reflecting: out(r), other: out(o) };
}

/**
 * What one GRPO step reports. Means are over the step's completions unless said otherwise; fields the trainer
 * cannot know in a configuration (e.g. `kl` when β = 0) are left out rather than set to 0.
 */
export interface StepMetrics {
  /** Optimizer step (1-based). */
  step: number;
  /** Where the data iterator stands after this step (resume from here). */
  data?: DataPosition;
  /** Mean / std of the weighted total reward. */
  reward: { mean: number; std: number };
  /** Mean / std per reward function (by name), over the completions it applied to. */
  rewards: Record<string, { mean: number; std: number }>;
  /** Share of completions judged correct (accuracy reward = 1). */
  accuracy?: number;
  /** Share of completions with the right format. */
  formatRate?: number;
  /** Completion length in tokens. */
  completionLength: { mean: number; max: number; min: number };
  /** Share of completions cut at maxCompletionLength (finishReason 'length'). */
  clippedShare: number;
  /** Mean per-token KL to the reference model (k3 estimator); absent when β = 0. */
  kl?: number;
  /** Share of tokens whose ratio hit the lower / upper clip bound (with negative / positive advantage). */
  clipFraction: { low: number; high: number };
  /** Mean per-token policy entropy, when computed. */
  entropy?: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Learning rate used for this step. */
  lr: number;
  /** Loss value of the step. */
  loss: number;
  /** Throughput, tokens per second of wall time. */
  throughput: { rolloutTokensPerSec: number; trainTokensPerSec: number };
  /** Reflection-word statistics of the step's completions. */
  reflection: BatchReflectionCounts;
  /** Accuracy of reflecting vs non-reflecting completions (when an `accuracy` reward is among the rewards). */
  reflectionSplit?: ReflectionSplit;
  /** Groups whose rewards were all equal (no signal), and their share. */
  zeroVarianceGroups: { count: number; share: number };
  /** Wall-clock seconds of the step (rollout + train). */
  stepSeconds?: number;
  /** Zero-variance groups over everything the step's rollout sampled (dynamic sampling may drop and refill them). */
  rolloutZeroVarianceGroups?: { count: number; sampled: number };
  /** Per reward function: samples whose scoring failed (error) or ran out of time, in the step's rollout. */
  rewardFailures?: Record<string, { error: number; timeout: number; samples?: number; messages?: string[] }>;
  /** Completions left out of the loss because their total reward is null (nothing applied, or a failure). */
  maskedSamples?: number;
  /**
   * The weight sync before the step's rollout: its kind ('lora', 'full', …), the version pushed (adapter name or
   * checkpoint folder) and its wall-clock seconds. Absent without a sync.
   */
  weightSync?: { kind: string; version: string; seconds: number };
  /** A few of the step's completions, for eyeballing. */
  samples?: { prompt: string; completion: string; reward: number | null }[];
}

/** Options for {@link MetricsWriter.open}. */
export interface MetricsWriterOptions {
  /** fsync (fdatasync) after every record (default true): a crash loses at most the record being written. */
  sync?: boolean;
}

/**
 * Append-only JSONL writer: one JSON object per line, written with a single `write` call each so records never
 * interleave, appends serialised through a promise chain, and `fdatasync` after each record by default so the file
 * survives a crash up to the last completed step. Readers should tolerate a torn last line ({@link readMetricsJsonl}
 * does). NaN / ±Infinity become null, as JSON requires.
 */
export class MetricsWriter {
  #chain: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly sync: boolean,
  ) {}

  /** Open (creating directories and the file as needed) for appending. */
  static async open(path: string, opts: MetricsWriterOptions = {}): Promise<MetricsWriter> {
    try {
      await mkdir(dirname(path), { recursive: true });
      const handle = await open(path, 'a');
      return new MetricsWriter(path, handle, opts.sync ?? true);
    } catch (err) {
      throw new AhaError('io', `MetricsWriter: cannot open ${path}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Append one record (a plain object). Resolves once it is written (and synced). */
  append(record: object): Promise<void> {
    if (this.#closed) return Promise.reject(new AhaError('state', `MetricsWriter: ${this.path} is closed`));
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      return Promise.reject(new ValueError('MetricsWriter.append: record must be a plain object'));
    }
    const line = `${JSON.stringify(record)}\n`;
    const next = this.#chain.then(async () => {
      await this.handle.write(line);
      if (this.sync) await this.handle.datasync();
    });
    // keep the chain alive after a failure so later appends still run (and report their own errors)
    this.#chain = next.catch(() => {});
    return next.catch((err) => {
      throw new AhaError('io', `MetricsWriter: cannot write ${this.path}: ${(err as Error).message}`, { cause: err });
    });
  }

  /** Wait for pending appends, sync and close. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#chain;
    await this.handle.sync();
    await this.handle.close();
  }
}

/**
 * Read a metrics JSONL file. A torn final line (a crash mid-write) is dropped; a bad line elsewhere is an error
 * naming its line number.
 */
export async function readMetricsJsonl<T = Record<string, unknown>>(path: string): Promise<T[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new AhaError('io', `readMetricsJsonl: cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  const lines = text.split('\n');
  const complete = text.endsWith('\n');
  const out: T[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    try {
      out.push(JSON.parse(lines[i]) as T);
    } catch (err) {
      if (i === lines.length - 1 && !complete) break; // torn last record
      throw new ValueError(`readMetricsJsonl: ${path}:${i + 1}: invalid JSON (${(err as Error).message})`);
    }
  }
  return out;
}
