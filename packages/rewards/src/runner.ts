/**
 * The runner: scores a batch with several rewards concurrently and never crashes or silently zeroes on a bad reward.
 * Each sample ends as `{ status: 'ok' | 'error' | 'timeout', value, message }` in `details`.
 *
 * Time limits: `timeoutMs` is per sample. A plain (main-thread) reward is called per chunk (`batchSize`, default the
 * whole batch) with a limit of `timeoutMs × chunk size`; when the call throws or times out, the chunk is retried one
 * sample at a time (concurrently, each with `timeoutMs`) so that one bad sample does not sink its neighbours. An
 * answer of the wrong length is an error of the whole chunk, not retried: a reward that miscounts would otherwise pass
 * one sample at a time and hide the bug. Each failed sample is reported to `logger.warn` as soon as it is known (with
 * `{ reward, sample, status, message }`), not after the batch. A main-thread
 * timeout aborts `ctx.signal` and stops waiting, but it cannot stop synchronous code that never yields — such code
 * blocks the event loop. Rewards that run untrusted or unbounded synchronous work declare `worker: {...}` and are cut by
 * terminating their thread (see worker.ts).
 *
 * Leaves out: retries of timed-out samples, and a global concurrency cap across rewards (they all start at once).
 */
import type { Reward, RewardLogger, Sample, SampleOutcome, SampleStatus } from './reward.js';
import { silentLogger, validateColumns } from './reward.js';
import { checkValue, runWorkerOutcomes } from './worker.js';

/** Options of `scoreRewards`. */
export interface ScoreOptions {
  /** Wall-clock limit per sample, in milliseconds (default 10 000). */
  timeoutMs?: number;
  /** Cancels the whole call; `scoreRewards` then rejects with the signal's reason. */
  signal?: AbortSignal;
  logger?: RewardLogger;
}

/** One reward's result over a batch. For a combined reward, `components` holds each part's own result and weight. */
export interface RewardResult {
  name: string;
  /** `details[i].value` for each sample: a number, or null (does not apply, or failed: see `details`). */
  values: (number | null)[];
  details: SampleOutcome[];
  components?: (RewardResult & { weight: number })[];
}

/** A reward that runs its own parts through the runner (see `combineRewards`). */
export interface DetailedReward extends Reward {
  /** The rewards it runs (their columns are validated up front by `scoreRewards`). */
  parts: readonly Reward[];
  scoreDetailed(samples: Sample[], options: ScoreOptions & { validated?: boolean }): Promise<RewardResult>;
}

const isDetailed = (reward: Reward): reward is DetailedReward =>
  typeof (reward as Partial<DetailedReward>).scoreDetailed === 'function';

/**
 * Scores `samples` with every reward, concurrently. Rejects only on caller abort or on a dataset that fails a reward's
 * `columns` schema (a configuration error, reported before any scoring); failures inside rewards end up in `details`.
 */
export async function scoreRewards(
  rewards: Reward | readonly Reward[],
  samples: Sample[],
  options: ScoreOptions = {},
): Promise<RewardResult[]> {
  const list = Array.isArray(rewards) ? rewards : [rewards as Reward];
  for (const reward of list) validateAll(reward, samples);
  return Promise.all(list.map((reward) => runReward(reward, samples, { ...options, validated: true })));
}

/** Validates the columns of a reward and of the parts of a combined reward. */
function validateAll(reward: Reward, samples: readonly Sample[]): void {
  validateColumns(reward, samples);
  if (isDetailed(reward)) for (const part of reward.parts) validateAll(part, samples);
}

/**
 * Scores `samples` with one reward (see `scoreRewards`). `validated: true` skips the column check (done by the caller).
 */
export async function runReward(
  reward: Reward,
  samples: Sample[],
  options: ScoreOptions & { validated?: boolean } = {},
): Promise<RewardResult> {
  if (!options.validated) validateAll(reward, samples);
  if (isDetailed(reward)) return reward.scoreDetailed(samples, { ...options, validated: true });
  const timeoutMs = options.timeoutMs ?? 10_000;
  const logger = options.logger ?? silentLogger;
  // Reported as it happens: a run with a slow or broken reward says so while it waits, not after the batch.
  const report = (index: number, d: SampleOutcome) => {
    if (d.status !== 'ok')
      logger.warn(`reward '${reward.name}': sample ${index} ${d.status}: ${d.message}`, {
        reward: reward.name,
        sample: index,
        status: d.status,
        message: d.message,
      });
  };
  let details: SampleOutcome[];
  if (reward.worker) {
    details = await runWorkerOutcomes(reward, samples, { timeoutMs, signal: options.signal, onOutcome: report });
  } else {
    const size = reward.batchSize ?? Math.max(1, samples.length);
    const chunks: Promise<SampleOutcome[]>[] = [];
    for (let start = 0; start < samples.length; start += size)
      chunks.push(
        scoreChunk(reward, samples.slice(start, start + size), timeoutMs, options).then((out) => {
          for (const [k, d] of out.entries()) report(start + k, d);
          return out;
        }),
      );
    details = (await Promise.all(chunks)).flat();
  }
  return { name: reward.name, values: details.map((d) => d.value), details };
}

class ChunkFailure extends Error {
  constructor(
    readonly status: Exclude<SampleStatus, 'ok'>,
    message: string,
    /** True when the whole chunk's answer is wrong (its length): retrying one sample at a time would hide it. */
    readonly wholeBatch = false,
  ) {
    super(message);
  }
}

async function scoreChunk(reward: Reward, chunk: Sample[], timeoutMs: number, options: ScoreOptions) {
  try {
    return await callScore(reward, chunk, timeoutMs * chunk.length, options);
  } catch (err) {
    if (!(err instanceof ChunkFailure)) throw err; // caller abort
    if (chunk.length === 1 || err.wholeBatch)
      return chunk.map(() => ({ status: err.status, value: null, message: err.message }));
  }
  // Isolate the failing sample(s): one call per sample, each with its own limit.
  return Promise.all(
    chunk.map(async (sample): Promise<SampleOutcome> => {
      try {
        return (await callScore(reward, [sample], timeoutMs, options))[0];
      } catch (err) {
        if (!(err instanceof ChunkFailure)) throw err;
        return { status: err.status, value: null, message: err.message };
      }
    }),
  );
}

/** One `score` call under a deadline; throws ChunkFailure on error/timeout/bad shape, the abort reason on abort. */
async function callScore(
  reward: Reward,
  chunk: Sample[],
  limitMs: number,
  options: ScoreOptions,
): Promise<SampleOutcome[]> {
  options.signal?.throwIfAborted();
  const controller = new AbortController();
  const failures = new Map<number, { status: Exclude<SampleStatus, 'ok'>; message: string }>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const failure = new ChunkFailure('timeout', `no result within ${limitMs} ms`);
      controller.abort(failure);
      reject(failure);
    }, limitMs);
    onAbort = () => {
      controller.abort(options.signal!.reason);
      reject(options.signal!.reason);
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
  let values: unknown;
  try {
    values = await Promise.race([
      Promise.resolve().then(() =>
        reward.score(chunk, {
          signal: controller.signal,
          logger: options.logger ?? silentLogger,
          limits: { timeoutMs: options.timeoutMs ?? 10_000 },
          fail: (index, message, status = 'error') => failures.set(index, { status, message }),
        }),
      ),
      stop,
    ]);
  } catch (err) {
    if (err instanceof ChunkFailure || options.signal?.aborted) throw err;
    throw new ChunkFailure('error', err instanceof Error ? err.message : String(err));
  } finally {
    clearTimeout(timer);
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
  }
  if (!Array.isArray(values))
    throw new ChunkFailure('error', `score returned ${typeof values}, not an array of one value per sample`);
  if (values.length !== chunk.length)
    throw new ChunkFailure(
      'error',
      `score returned ${values.length} values for a batch of ${chunk.length} samples (one per sample expected): ` +
        'the whole batch fails',
      true,
    );
  return values.map((v, i) => {
    const failure = failures.get(i);
    return failure ? { status: failure.status, value: null, message: failure.message } : checkValue(v);
  });
}
