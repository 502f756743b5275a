/**
 * Rollouts from a remote OpenAI-compatible inference server (vLLM, SGLang): POST /v1/completions with a batch of
 * prompts, `n` = G samples each, and `logprobs` so the trainer gets the sampler's per-token log-probabilities
 * (needed for the importance ratio / truncated importance sampling against the trainer's own numbers).
 *
 * Wire format: the legacy Completions API (`choices[].text`, `choices[].logprobs.{tokens, token_logprobs}`,
 * `finish_reason`). Choices come prompt-major — choice k belongs to prompt ⌊k / n⌋ — which is how vLLM and SGLang
 * number them; we sort by `index` and check the count. Token ids: vLLM returns them as "token_id:<id>" strings when
 * asked with `return_tokens_as_token_ids` (sent by default; turn off with `tokenIds: false` for servers that reject
 * unknown fields); otherwise `tokens` is left undefined and the caller re-tokenises `text`.
 *
 * Robustness: each attempt has its own timeout (AbortSignal.timeout, combined with the caller's signal); 5xx, 408,
 * 429, connection errors and timeouts are retried with exponential backoff and jitter (honouring Retry-After);
 * other 4xx fail at once; a reply that does not match the schema is a 'malformed' RolloutError naming the field.
 *
 * Left out: streaming, the chat endpoint (R1-Zero prompts are plain text). Weight sync to the server is
 * weight-sync.ts; a request names the synced adapter through `model`.
 */
import { AhaError, abortableSleep, bodySnippet, parseRetryAfter, ValueError } from '@aha/core';
import { z } from 'zod';

/** Why a rollout request failed. */
export type RolloutErrorReason = 'timeout' | 'connection' | 'http' | 'malformed' | 'aborted';

const rolloutMarker = Symbol.for('aha.grpo.rolloutError');

/** A failed rollout request: `reason`, the HTTP `status` when there was one, and how many `attempts` were made. */
export class RolloutError extends AhaError {
  readonly [rolloutMarker] = true;
  constructor(
    readonly reason: RolloutErrorReason,
    message: string,
    readonly attempts: number,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super('io', message, options);
    this.name = `RolloutError[${reason}]`;
  }

  /** True when `err` is a RolloutError (of `reason`, when given), across package copies. */
  static isRolloutError(err: unknown, reason?: RolloutErrorReason): err is RolloutError {
    return (
      AhaError.is(err, 'io') &&
      (err as unknown as Record<symbol, unknown>)[rolloutMarker] === true &&
      (reason === undefined || (err as RolloutError).reason === reason)
    );
  }
}

/** How to reach the server. */
export interface RemoteRolloutOptions {
  /** e.g. "http://127.0.0.1:8000" (with or without a trailing /v1). */
  baseUrl: string;
  /** The served model name. */
  model: string;
  /** Sent as `Authorization: Bearer …` when set. */
  apiKey?: string;
  /** Per-attempt timeout in ms (default 600 000). */
  timeoutMs?: number;
  /** Retries after the first attempt (default 3). */
  maxRetries?: number;
  /** First backoff in ms, doubled each retry (default 500), with ±50% jitter. */
  backoffMs?: number;
  /** Upper bound of one backoff wait, Retry-After included (default 30 000). */
  maxBackoffMs?: number;
  /** Ask for token ids (vLLM `return_tokens_as_token_ids`; default true). */
  tokenIds?: boolean;
  /** Extra request fields passed through (e.g. vLLM's `top_k`, `min_p`, `repetition_penalty`). */
  extraBody?: Record<string, unknown>;
  /** fetch implementation (default: global fetch). */
  fetch?: typeof fetch;
}

/** Sampling parameters of one request. */
export interface RemoteSampleOptions {
  /** Served model name for this request instead of the client's `model` (e.g. a LoRA adapter loaded at runtime). */
  model?: string;
  /** Samples per prompt: G. */
  n: number;
  temperature: number;
  topP?: number;
  maxTokens: number;
  stop?: string[];
  seed?: number;
  /** Cancels the whole call (no retry after it fires). */
  signal?: AbortSignal;
}

/** One sampled completion. */
export interface RemoteCompletion {
  text: string;
  /** Completion token ids, when the server returned them. */
  tokens?: number[];
  /** Log-probability of each sampled token under the sampler. */
  logprobs: number[];
  /** 'stop' (EOS or a stop string), 'length' (hit maxTokens), or what the server said. */
  finishReason: 'stop' | 'length' | (string & {});
}

const ChoiceSchema = z.looseObject({
  index: z.number().int().min(0),
  text: z.string(),
  finish_reason: z.string().nullable().optional(),
  logprobs: z.looseObject({
    tokens: z.array(z.string()),
    token_logprobs: z.array(z.number()),
  }),
});
const CompletionResponseSchema = z.looseObject({ choices: z.array(ChoiceSchema) });

const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/** A client for `/v1/completions` rollouts. */
export class RemoteRolloutClient {
  readonly url: string;
  readonly #o: Required<Omit<RemoteRolloutOptions, 'apiKey' | 'extraBody'>> &
    Pick<RemoteRolloutOptions, 'apiKey' | 'extraBody'>;

  constructor(opts: RemoteRolloutOptions) {
    let base: URL;
    try {
      base = new URL(opts.baseUrl);
    } catch {
      throw new ValueError(`RemoteRolloutClient: baseUrl '${opts.baseUrl}' is not a URL`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new ValueError(`RemoteRolloutClient: baseUrl must be http(s), got '${opts.baseUrl}'`);
    }
    if (!opts.model) throw new ValueError('RemoteRolloutClient: model must be a non-empty string');
    const path = base.pathname.replace(/\/+$/, '');
    this.url = `${base.origin}${path.endsWith('/v1') ? path : `${path}/v1`}/completions`;
    this.#o = {
      baseUrl: opts.baseUrl,
      model: opts.model,
      apiKey: opts.apiKey,
      timeoutMs: positive('timeoutMs', opts.timeoutMs ?? 600_000),
      maxRetries: nonNegativeInt('maxRetries', opts.maxRetries ?? 3),
      backoffMs: nonNegative('backoffMs', opts.backoffMs ?? 500),
      maxBackoffMs: nonNegative('maxBackoffMs', opts.maxBackoffMs ?? 30_000),
      tokenIds: opts.tokenIds ?? true,
      extraBody: opts.extraBody,
      fetch: opts.fetch ?? globalThis.fetch,
    };
  }

  /**
   * Sample `n` completions for each prompt (text, or token ids). Returns one array of `n` completions per prompt,
   * in prompt order.
   * @throws RolloutError on timeouts, connection failures, HTTP errors and malformed replies (after retries where
   *   retrying makes sense); ValueError on bad arguments.
   */
  async complete(prompts: readonly (string | number[])[], opts: RemoteSampleOptions): Promise<RemoteCompletion[][]> {
    if (prompts.length === 0) return [];
    nonNegativeInt('n', opts.n);
    if (opts.n < 1) throw new ValueError(`RemoteRolloutClient.complete: n must be >= 1, got ${opts.n}`);
    if (!(opts.temperature >= 0))
      throw new ValueError(`RemoteRolloutClient.complete: temperature must be >= 0, got ${opts.temperature}`);
    nonNegativeInt('maxTokens', opts.maxTokens);
    const body: Record<string, unknown> = {
      ...this.#o.extraBody,
      model: opts.model ?? this.#o.model,
      prompt: prompts,
      n: opts.n,
      temperature: opts.temperature,
      max_tokens: opts.maxTokens,
      // 1 = the sampled token's logprob plus one alternative: the smallest value every server honours
      // (some treat 0 as "no logprobs").
      logprobs: 1,
    };
    if (opts.topP !== undefined) body.top_p = opts.topP;
    if (opts.stop?.length) body.stop = opts.stop;
    if (opts.seed !== undefined) body.seed = opts.seed;
    if (this.#o.tokenIds) body.return_tokens_as_token_ids = true;
    const { json, attempts } = await this.#post(JSON.stringify(body), opts.signal);
    return this.#parse(json, prompts.length, opts.n, attempts);
  }

  async #post(body: string, signal: AbortSignal | undefined): Promise<{ json: unknown; attempts: number }> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.#o.apiKey) headers.authorization = `Bearer ${this.#o.apiKey}`;
    let last: RolloutError | undefined;
    for (let attempt = 0; attempt <= this.#o.maxRetries; attempt++) {
      const attempts = attempt + 1;
      let retryAfterMs: number | undefined;
      if (signal?.aborted)
        throw new RolloutError('aborted', `rollout: ${this.url}: aborted`, attempt, undefined, {
          cause: signal.reason,
        });
      const timeout = AbortSignal.timeout(this.#o.timeoutMs);
      const s = signal ? anySignal(signal, timeout) : timeout;
      try {
        const res = await this.#o.fetch(this.url, { method: 'POST', headers, body, signal: s });
        const text = await res.text();
        if (res.ok) {
          try {
            return { json: JSON.parse(text), attempts };
          } catch {
            throw new RolloutError(
              'malformed',
              `rollout: ${this.url}: reply is not JSON: ${bodySnippet(text)}`,
              attempts,
              res.status,
            );
          }
        }
        const err = new RolloutError(
          'http',
          `rollout: ${this.url}: HTTP ${res.status} ${res.statusText}: ${bodySnippet(text)}`,
          attempts,
          res.status,
        );
        if (!RETRY_STATUS.has(res.status)) throw err;
        last = err;
        retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
      } catch (err) {
        if (RolloutError.isRolloutError(err)) {
          if (err !== last) throw err;
        } else if (signal?.aborted) {
          throw new RolloutError('aborted', `rollout: ${this.url}: aborted`, attempts, undefined, { cause: err });
        } else if (timeout.aborted) {
          last = new RolloutError(
            'timeout',
            `rollout: ${this.url}: no reply within ${this.#o.timeoutMs} ms`,
            attempts,
            undefined,
            {
              cause: err,
            },
          );
        } else {
          const cause = (err as { cause?: { code?: string; message?: string } }).cause;
          const why = cause?.code ?? cause?.message ?? (err as Error).message;
          last = new RolloutError(
            'connection',
            `rollout: ${this.url}: connection failed (${why})`,
            attempts,
            undefined,
            {
              cause: err,
            },
          );
        }
      }
      if (attempt < this.#o.maxRetries) {
        const base = this.#o.backoffMs * 2 ** attempt * (0.5 + Math.random() * 0.5);
        await abortableSleep(
          Math.min(this.#o.maxBackoffMs, Math.max(base, retryAfterMs ?? 0)),
          signal,
          () => new RolloutError('aborted', 'rollout: aborted during backoff', 0, undefined, { cause: signal?.reason }),
        );
      }
    }
    const final = last!;
    throw new RolloutError(
      final.reason,
      `${final.message} (gave up after ${final.attempts} attempts)`,
      final.attempts,
      final.status,
      { cause: final },
    );
  }

  #parse(json: unknown, prompts: number, n: number, attempts: number): RemoteCompletion[][] {
    const r = CompletionResponseSchema.safeParse(json);
    if (!r.success) {
      const issues = r.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
      throw new RolloutError(
        'malformed',
        `rollout: ${this.url}: unexpected reply shape — ${issues.join('; ')}`,
        attempts,
      );
    }
    const want = prompts * n;
    const choices = [...r.data.choices].sort((a, b) => a.index - b.index);
    if (choices.length !== want || choices.some((c, k) => c.index !== k)) {
      throw new RolloutError(
        'malformed',
        `rollout: ${this.url}: expected ${want} choices (${prompts} prompts × n=${n}) indexed 0..${want - 1}, got ` +
          `${choices.length} with indices [${choices.map((c) => c.index).join(', ')}]`,
        attempts,
      );
    }
    const out: RemoteCompletion[][] = Array.from({ length: prompts }, () => []);
    for (const c of choices) {
      const { tokens, token_logprobs } = c.logprobs;
      if (tokens.length !== token_logprobs.length) {
        throw new RolloutError(
          'malformed',
          `rollout: ${this.url}: choices[${c.index}].logprobs has ${tokens.length} tokens but ${token_logprobs.length} token_logprobs`,
          attempts,
        );
      }
      const ids = tokens.map((t) => /^token_id:(\d+)$/.exec(t));
      const completion: RemoteCompletion = {
        text: c.text,
        logprobs: token_logprobs,
        finishReason: c.finish_reason ?? 'unknown',
      };
      if (ids.every((m) => m !== null)) completion.tokens = ids.map((m) => Number(m![1]));
      out[Math.floor(c.index / n)].push(completion);
    }
    return out;
  }
}

/** Create a {@link RemoteRolloutClient}. */
export function createRemoteRollout(opts: RemoteRolloutOptions): RemoteRolloutClient {
  return new RemoteRolloutClient(opts);
}

/** AbortSignal.any (Node >= 20.3) with a fallback for earlier Node 20 releases. @internal */
export function anySignal(a: AbortSignal, b: AbortSignal): AbortSignal {
  if (typeof AbortSignal.any === 'function') return AbortSignal.any([a, b]);
  const ctl = new AbortController();
  for (const s of [a, b]) {
    if (s.aborted) ctl.abort(s.reason);
    else s.addEventListener('abort', () => ctl.abort(s.reason), { once: true });
  }
  return ctl.signal;
}

function positive(name: string, v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) throw new ValueError(`RemoteRolloutClient: ${name} must be > 0, got ${v}`);
  return v;
}
function nonNegative(name: string, v: number): number {
  if (!(v >= 0) || !Number.isFinite(v)) throw new ValueError(`RemoteRolloutClient: ${name} must be >= 0, got ${v}`);
  return v;
}
function nonNegativeInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0)
    throw new ValueError(`RemoteRolloutClient: ${name} must be an integer >= 0, got ${v}`);
  return v;
}
