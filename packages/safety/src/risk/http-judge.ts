/**
 * A judge served by an OpenAI-compatible chat-completions endpoint (vLLM, SGLang, llama.cpp server, hosted APIs):
 * POST {baseUrl}/v1/chat/completions with the review messages (judge.ts), temperature 0, and the reply's
 * `choices[0].message.content` parsed for the label.
 *
 * Robustness: each attempt has its own timeout (AbortSignal.timeout combined with the caller's signal); 408, 429,
 * 5xx, connection errors and timeouts are retried with exponential backoff and jitter (Retry-After honoured, capped);
 * other 4xx fail at once; replies are validated with zod and a bad shape is a 'malformed' SafetyError naming the
 * field; a reply with no readable label is 'unparseable' (not retried: the same prompt at temperature 0 gives the
 * same answer). The same policy as @aha/grpo's remote rollout client, written here because safety may only import
 * core — a shared HTTP helper in core is the later fix.
 *
 * Leaves out: streaming, tool calls, `response_format` JSON mode (servers differ; the parser reads JSON anyway).
 */
import { abortableSleep, bodySnippet, type ChatMessage, parseRetryAfter } from '@aha/core';
import { z } from 'zod';
import { SafetyError } from '../errors.js';
import {
  type Judge,
  type JudgeOptions,
  parseJudgeReplyOrThrow,
  REVIEW_SYSTEM_PROMPT,
  reviewMessages,
  type Verdict,
} from './judge.js';

/** Options of {@link createHttpJudge}. */
export const HttpJudgeOptionsSchema = z.object({
  baseUrl: z.url().describe('Server root, e.g. "http://127.0.0.1:8000" (with or without a trailing /v1).'),
  model: z.string().min(1).describe('The served model name.'),
  apiKey: z.string().optional().describe('Sent as "Authorization: Bearer …" when set.'),
  systemPrompt: z.string().default(REVIEW_SYSTEM_PROMPT).describe('Review instructions sent as the system message.'),
  maxTokens: z.number().int().positive().default(128).describe('max_tokens of the reply.'),
  temperature: z.number().min(0).default(0).describe('Sampling temperature of the judge (0 = deterministic).'),
  timeoutMs: z.number().positive().default(60_000).describe('Per-attempt timeout in ms.'),
  maxRetries: z.number().int().min(0).default(3).describe('Retries after the first attempt (retryable failures only).'),
  backoffMs: z.number().min(0).default(500).describe('First backoff in ms, doubled per retry, with ±50% jitter.'),
  maxBackoffMs: z.number().min(0).default(30_000).describe('Cap of one backoff wait (Retry-After included).'),
  extraBody: z.record(z.string(), z.unknown()).optional().describe('Extra request fields passed through.'),
  name: z.string().default('http-judge').describe('Name in errors and reports.'),
});
export type HttpJudgeOptions = z.input<typeof HttpJudgeOptionsSchema> & {
  /** fetch implementation (default: global fetch). */
  fetch?: typeof fetch;
};

const ChatReplySchema = z.looseObject({
  choices: z
    .array(
      z.looseObject({
        message: z.looseObject({
          content: z.string().nullable(),
          reasoning_content: z.string().nullable().optional(),
        }),
      }),
    )
    .min(1),
});

const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/** A {@link Judge} backed by an OpenAI-compatible chat-completions server. */
export function createHttpJudge(options: HttpJudgeOptions): Judge {
  const parsed = HttpJudgeOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new SafetyError('invalid', `createHttpJudge: ${issues.join('; ')}`);
  }
  const o = parsed.data;
  const base = new URL(o.baseUrl);
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new SafetyError('invalid', `createHttpJudge: baseUrl must be http(s), got '${o.baseUrl}'`);
  }
  const path = base.pathname.replace(/\/+$/, '');
  const url = `${base.origin}${path.endsWith('/v1') ? path : `${path}/v1`}/chat/completions`;
  const doFetch = options.fetch ?? globalThis.fetch;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (o.apiKey) headers.authorization = `Bearer ${o.apiKey}`;

  async function post(body: string, signal: AbortSignal | undefined): Promise<unknown> {
    let last: SafetyError | undefined;
    for (let attempt = 0; attempt <= o.maxRetries; attempt++) {
      const attempts = attempt + 1;
      if (signal?.aborted)
        throw new SafetyError('aborted', `${o.name}: ${url}: aborted`, { attempts: attempt }, { cause: signal.reason });
      let retryAfterMs: number | undefined;
      const timeout = AbortSignal.timeout(o.timeoutMs);
      const s = signal ? AbortSignal.any([signal, timeout]) : timeout;
      try {
        const res = await doFetch(url, { method: 'POST', headers, body, signal: s });
        const text = await res.text();
        if (res.ok) {
          try {
            return JSON.parse(text);
          } catch {
            throw new SafetyError('malformed', `${o.name}: ${url}: reply is not JSON: ${bodySnippet(text)}`, {
              attempts,
              status: res.status,
            });
          }
        }
        const err = new SafetyError(
          'http',
          `${o.name}: ${url}: HTTP ${res.status} ${res.statusText}: ${bodySnippet(text)}`,
          {
            attempts,
            status: res.status,
          },
        );
        if (!RETRY_STATUS.has(res.status)) throw err;
        last = err;
        retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
      } catch (err) {
        if (SafetyError.isSafetyError(err)) {
          if (err !== last) throw err;
        } else if (signal?.aborted) {
          throw new SafetyError('aborted', `${o.name}: ${url}: aborted`, { attempts }, { cause: err });
        } else if (timeout.aborted) {
          last = new SafetyError(
            'timeout',
            `${o.name}: ${url}: no reply within ${o.timeoutMs} ms`,
            { attempts },
            { cause: err },
          );
        } else {
          const cause = (err as { cause?: { code?: string; message?: string } }).cause;
          const why = cause?.code ?? cause?.message ?? (err as Error).message;
          last = new SafetyError(
            'connection',
            `${o.name}: ${url}: connection failed (${why})`,
            { attempts },
            { cause: err },
          );
        }
      }
      if (attempt < o.maxRetries) {
        const wait = o.backoffMs * 2 ** attempt * (0.5 + Math.random() * 0.5);
        await abortableSleep(
          Math.min(o.maxBackoffMs, Math.max(wait, retryAfterMs ?? 0)),
          signal,
          () => new SafetyError('aborted', 'http-judge: aborted during backoff', {}, { cause: signal?.reason }),
        );
      }
    }
    const final = last as SafetyError;
    throw new SafetyError(
      final.reason,
      `${final.message} (gave up after ${final.details.attempts} attempts)`,
      final.details,
      {
        cause: final,
      },
    );
  }

  return {
    name: o.name,
    async judge(dialogue: readonly ChatMessage[], opts: JudgeOptions = {}): Promise<Verdict> {
      const messages = reviewMessages(dialogue, o.systemPrompt);
      const body = JSON.stringify({
        ...o.extraBody,
        model: o.model,
        messages,
        temperature: o.temperature,
        max_tokens: o.maxTokens,
      });
      const json = await post(body, opts.signal);
      const r = ChatReplySchema.safeParse(json);
      if (!r.success) {
        const issues = r.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
        throw new SafetyError('malformed', `${o.name}: ${url}: unexpected reply shape — ${issues.join('; ')}`);
      }
      const content = r.data.choices[0].message.content ?? '';
      return parseJudgeReplyOrThrow(content, o.name);
    },
  };
}
