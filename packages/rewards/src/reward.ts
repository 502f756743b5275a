/**
 * The reward contract: `defineReward` returns its argument, typed (the vercel/ai `tool()` pattern), so a reward is a
 * plain object `{ name, columns?, score }` that any runner can call. A sample is `{ prompt, completion, ...columns }`;
 * `score` gets a batch and answers one number per sample, or `null` for "this reward does not apply" (skipped in the
 * weighted sum, TRL's `None`). Follows TRL's reward-function convention (GRPOTrainer `reward_funcs`), batch in, list out.
 *
 * Leaves out: reward models (they live in @aha/reward-models and plug in through this same contract).
 */
import { AhaError, ValueError } from '@aha/errors';
import type { z } from 'zod';

/** Chat message form of a prompt/completion (TRL's "conversational" format). */
export interface ChatMessage {
  role: string;
  content: string;
}

/** One rollout to score: the prompt, the model's completion and any dataset columns (e.g. `solution`, `tests`). */
export interface Sample {
  prompt: string | ChatMessage[];
  completion: string | ChatMessage[];
  [column: string]: unknown;
}

/** How one sample's scoring ended. `value` is null unless `status` is `ok` (and may be null then: "does not apply"). */
export type SampleStatus = 'ok' | 'error' | 'timeout';

/** Per-sample record kept by the runner: never a silent 0, a failure is visible here with its message. */
export interface SampleOutcome {
  status: SampleStatus;
  value: number | null;
  message?: string;
}

/** Minimal structured logger; the default one drops everything. */
export interface RewardLogger {
  debug(message: string, data?: Record<string, unknown>): void;
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
}

/** Limits the runner applies, also handed to rewards so they can pass them on (e.g. to a sandbox). */
export interface RewardLimits {
  /** Wall-clock milliseconds per sample. */
  timeoutMs: number;
}

/** What `score` receives besides the samples. */
export interface RewardContext {
  /** Aborted when the caller cancels or the time limit of this call passes; cooperative code should stop. */
  signal: AbortSignal;
  logger: RewardLogger;
  limits: RewardLimits;
  /**
   * Marks sample `index` (in this call's batch) as failed: its value becomes null and the runner reports the status
   * and message in its details. Use it where one sample fails but the rest of the batch is fine (e.g. a verifier
   * timeout), instead of returning a silent 0.
   */
  fail(index: number, message: string, status?: Exclude<SampleStatus, 'ok'>): void;
}

/** Runs `score` for a reward in a worker thread: `module` exports a per-sample function `(sample, limits) => value`. */
export interface WorkerSpec {
  /** File URL or absolute path of an ES module Node can load as is (plain JS, or TS under a loader workers inherit). */
  module: string | URL;
  /** Name of the export to call; `default` when left out. */
  export?: string;
  /** Worker threads per call (samples are spread over them); 1 when left out. */
  threads?: number;
  /** V8 heap cap per worker thread in MiB (`resourceLimits.maxOldGenerationSizeMb`); a thread over it dies and its
   * sample is reported as an error. Node's default when left out. */
  maxHeapMb?: number;
}

/** A reward: the public contract of @aha/rewards. */
export interface Reward<S extends Sample = Sample> {
  /** Stable name, used as the metric key (`rewards/<name>`). */
  name: string;
  /** zod schema of the dataset columns the reward reads, checked once per batch before scoring. */
  columns?: z.ZodType;
  /** Scores a batch: one number per sample, or null where the reward does not apply. */
  score(samples: S[], ctx: RewardContext): Promise<(number | null)[]>;
  /** Present when `score` runs in worker threads; the runner then enforces time limits by terminating the worker. */
  worker?: WorkerSpec;
  /** Samples per `score` call; the whole batch when left out. */
  batchSize?: number;
}

/** Definition accepted by `defineReward`: either a `score` function, or a `worker` module that scores one sample. */
export type RewardDefinition<S extends Sample = Sample> =
  | (Omit<Reward<S>, 'worker'> & { worker?: undefined })
  | (Omit<Reward<S>, 'score' | 'worker'> & { worker: WorkerSpec; score?: undefined });

let workerScore: ((reward: Reward, samples: Sample[], ctx: RewardContext) => Promise<(number | null)[]>) | undefined;

/** @internal Set by worker.ts so that reward.ts does not import worker threads for plain rewards. */
export function registerWorkerScore(fn: typeof workerScore): void {
  workerScore = fn;
}

/**
 * Defines a reward. Returns its argument (typed) when it has a `score`; a `worker` reward gets a `score` that runs
 * the worker module (per-sample time limit enforced by terminating the thread).
 *
 * @example
 * const short = defineReward({
 *   name: 'short',
 *   async score(samples) { return samples.map((s) => (String(s.completion).length < 200 ? 1 : 0)); },
 * });
 */
export function defineReward<S extends Sample = Sample>(definition: RewardDefinition<S>): Reward<S> {
  if (typeof definition !== 'object' || definition === null)
    throw new ValueError(`defineReward: definition must be an object, got ${typeof definition}`);
  if (typeof definition.name !== 'string' || definition.name.length === 0)
    throw new ValueError(`defineReward: name must be a non-empty string, got ${JSON.stringify(definition.name)}`);
  if (definition.batchSize !== undefined && !(Number.isInteger(definition.batchSize) && definition.batchSize > 0))
    throw new ValueError(
      `defineReward '${definition.name}': batchSize must be a positive integer, got ${definition.batchSize}`,
    );
  if (definition.worker) {
    if ((definition as Partial<Reward>).score)
      throw new ValueError(`defineReward '${definition.name}': give either score or worker, not both`);
    const reward = definition as unknown as Reward<S>;
    reward.score = async (samples, ctx) => {
      if (!workerScore) throw new AhaError('state', `reward '${definition.name}': worker support is not loaded`);
      return workerScore(reward as unknown as Reward, samples, ctx);
    };
    return reward;
  }
  const plain = definition as Partial<Reward<S>>;
  if (typeof plain.score !== 'function')
    throw new ValueError(`defineReward '${plain.name}': score must be a function, got ${typeof plain.score}`);
  return definition as Reward<S>;
}

/** A logger that drops everything. */
export const silentLogger: RewardLogger = { debug() {}, info() {}, warn() {} };

/** A context for calling `score` directly (outside `scoreRewards`); `failures` collects what `fail` was told. */
export function createRewardContext(
  options: { timeoutMs?: number; signal?: AbortSignal; logger?: RewardLogger } = {},
): RewardContext & { failures: Map<number, { status: Exclude<SampleStatus, 'ok'>; message: string }> } {
  const failures = new Map<number, { status: Exclude<SampleStatus, 'ok'>; message: string }>();
  return {
    signal: options.signal ?? new AbortController().signal,
    logger: options.logger ?? silentLogger,
    limits: { timeoutMs: options.timeoutMs ?? 10_000 },
    failures,
    fail(index, message, status = 'error') {
      failures.set(index, { status, message });
    },
  };
}

/**
 * Checks the dataset columns a reward reads against its `columns` schema (once per batch). Throws a `ValueError`
 * naming the reward, the column, the sample and what was expected.
 */
export function validateColumns(reward: Pick<Reward, 'name' | 'columns'>, samples: readonly Sample[]): void {
  if (!reward.columns) return;
  for (let i = 0; i < samples.length; i++) {
    const result = reward.columns.safeParse(samples[i]);
    if (result.success) continue;
    const issue = result.error.issues[0];
    const column = issue.path.length > 0 ? issue.path.map(String).join('.') : '(sample)';
    const got = issue.path.length > 0 ? lookup(samples[i], issue.path) : samples[i];
    const what = got === undefined ? 'is missing' : `has ${describeValue(got)}`;
    throw new ValueError(`reward '${reward.name}': column '${column}' ${what} in sample ${i} (${issue.message})`);
  }
}

function lookup(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const key of path)
    v = v === null || typeof v !== 'object' ? undefined : (v as Record<PropertyKey, unknown>)[key];
  return v;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `a ${typeof v} (${String(v).slice(0, 40)})`;
}

/** The text of a prompt or completion, whichever form it has (string, or the last message's content). */
export function textOf(value: Sample['prompt'] | undefined): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.length > 0 ? String(value[value.length - 1].content ?? '') : '';
  return '';
}
