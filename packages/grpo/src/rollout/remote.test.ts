import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AhaError } from '@aha/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRemoteRollout, RolloutError } from './remote.js';

// A scripted mock of vLLM's /v1/completions on 127.0.0.1: each request is answered by the next handler.
type Handler = (req: IncomingMessage, body: Record<string, unknown>, res: ServerResponse) => void;
let server: Server;
let baseUrl: string;
let handlers: Handler[];
let seen: { url?: string; headers: IncomingMessage['headers']; body: Record<string, unknown> }[];

beforeEach(async () => {
  handlers = [];
  seen = [];
  server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => {
      data += c;
    });
    req.on('end', () => {
      const body = JSON.parse(data || '{}');
      seen.push({ url: req.url, headers: req.headers, body });
      const h = handlers.shift();
      if (!h) {
        res.writeHead(500).end('no handler left');
        return;
      }
      h(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const json = (res: ServerResponse, status: number, obj: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(obj));
};

/** A vLLM-like reply: prompt-major choices, tokens as "token_id:<id>". */
const vllmReply: Handler = (_req, body, res) => {
  const prompts = body.prompt as string[];
  const n = body.n as number;
  const choices = [];
  for (let p = 0; p < prompts.length; p++) {
    for (let j = 0; j < n; j++) {
      const k = p * n + j;
      choices.push({
        index: k,
        text: `p${p}s${j}`,
        finish_reason: j === 0 ? 'stop' : 'length',
        logprobs: {
          tokens: [`token_id:${100 + k}`, `token_id:${200 + k}`],
          token_logprobs: [-0.5 - k, -1.25],
          top_logprobs: [{}, {}],
          text_offset: [0, 2],
        },
      });
    }
  }
  // shuffle to prove the client sorts by index
  json(res, 200, { id: 'cmpl-1', object: 'text_completion', model: body.model, choices: choices.reverse() });
};

const fast = { backoffMs: 1, maxBackoffMs: 5 };

describe('RemoteRolloutClient', () => {
  it('sends the sampling parameters and groups n completions per prompt', async () => {
    handlers.push(vllmReply);
    const client = createRemoteRollout({ baseUrl, model: 'tiny', apiKey: 'k', ...fast });
    const out = await client.complete(['a', 'b'], {
      n: 3,
      temperature: 1,
      topP: 0.9,
      maxTokens: 64,
      stop: ['</answer>'],
      seed: 7,
    });
    expect(seen[0].url).toBe('/v1/completions');
    expect(seen[0].headers.authorization).toBe('Bearer k');
    expect(seen[0].body).toEqual({
      model: 'tiny',
      prompt: ['a', 'b'],
      n: 3,
      temperature: 1,
      top_p: 0.9,
      max_tokens: 64,
      stop: ['</answer>'],
      seed: 7,
      logprobs: 1,
      return_tokens_as_token_ids: true,
    });
    expect(out.map((g) => g.map((c) => c.text))).toEqual([
      ['p0s0', 'p0s1', 'p0s2'],
      ['p1s0', 'p1s1', 'p1s2'],
    ]);
    expect(out[1][2]).toEqual({ text: 'p1s2', tokens: [105, 205], logprobs: [-5.5, -1.25], finishReason: 'length' });
    expect(out[0][0].finishReason).toBe('stop');
  });

  it('token text instead of ids: tokens left undefined, logprobs kept', async () => {
    handlers.push((_q, _b, res) =>
      json(res, 200, {
        choices: [
          { index: 0, text: 'hi', finish_reason: 'stop', logprobs: { tokens: ['h', 'i'], token_logprobs: [-1, -2] } },
        ],
      }),
    );
    const out = await createRemoteRollout({ baseUrl: `${baseUrl}/v1/`, model: 'm', tokenIds: false }).complete(['x'], {
      n: 1,
      temperature: 0,
      maxTokens: 2,
    });
    expect(seen[0].url).toBe('/v1/completions'); // a trailing /v1/ is not doubled
    expect(seen[0].body.return_tokens_as_token_ids).toBeUndefined();
    expect(out).toEqual([[{ text: 'hi', logprobs: [-1, -2], finishReason: 'stop' }]]);
  });

  it('retries 503 and 500, then succeeds', async () => {
    handlers.push(
      (_q, _b, res) => res.writeHead(503).end('warming up'),
      (_q, _b, res) => res.writeHead(500).end('oops'),
      vllmReply,
    );
    const out = await createRemoteRollout({ baseUrl, model: 'm', maxRetries: 3, ...fast }).complete(['a'], {
      n: 2,
      temperature: 1,
      maxTokens: 4,
    });
    expect(seen.length).toBe(3);
    expect(out[0].length).toBe(2);
  });

  it('retries a 429 and honours Retry-After (0 s here)', async () => {
    handlers.push((_q, _b, res) => res.writeHead(429, { 'retry-after': '0' }).end('slow down'), vllmReply);
    const out = await createRemoteRollout({ baseUrl, model: 'm', ...fast }).complete(['a'], {
      n: 1,
      temperature: 1,
      maxTokens: 4,
    });
    expect(seen.length).toBe(2);
    expect(out[0][0].text).toBe('p0s0');
  });

  it('gives up after maxRetries on persistent 5xx with an http error carrying the status', async () => {
    for (let i = 0; i < 3; i++) handlers.push((_q, _b, res) => res.writeHead(502).end('bad gateway'));
    const err = await createRemoteRollout({ baseUrl, model: 'm', maxRetries: 2, ...fast })
      .complete(['a'], { n: 1, temperature: 1, maxTokens: 4 })
      .catch((e) => e);
    expect(RolloutError.isRolloutError(err, 'http')).toBe(true);
    expect(AhaError.is(err, 'io')).toBe(true);
    expect(err.status).toBe(502);
    expect(err.attempts).toBe(3);
    expect(err.message).toMatch(/HTTP 502.*bad gateway.*gave up after 3 attempts/);
    expect(seen.length).toBe(3);
  });

  it('does not retry a 400; the message carries the server text', async () => {
    handlers.push((_q, _b, res) => json(res, 400, { error: { message: 'max_tokens too large' } }));
    const err = await createRemoteRollout({ baseUrl, model: 'm', ...fast })
      .complete(['a'], { n: 1, temperature: 1, maxTokens: 4 })
      .catch((e) => e);
    expect(RolloutError.isRolloutError(err, 'http')).toBe(true);
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/max_tokens too large/);
    expect(seen.length).toBe(1);
  });

  it('times out a server that never answers, retrying each attempt', async () => {
    handlers.push(
      () => {},
      () => {},
    );
    const err = await createRemoteRollout({ baseUrl, model: 'm', timeoutMs: 50, maxRetries: 1, ...fast })
      .complete(['a'], { n: 1, temperature: 1, maxTokens: 4 })
      .catch((e) => e);
    expect(RolloutError.isRolloutError(err, 'timeout')).toBe(true);
    expect(err.message).toMatch(/no reply within 50 ms.*gave up after 2 attempts/);
    expect(seen.length).toBe(2);
  });

  it('a connection error (nothing listening) is retried and reported as such', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const err = await createRemoteRollout({ baseUrl: `http://127.0.0.1:${port}`, model: 'm', maxRetries: 1, ...fast })
      .complete(['a'], { n: 1, temperature: 1, maxTokens: 4 })
      .catch((e) => e);
    expect(RolloutError.isRolloutError(err, 'connection')).toBe(true);
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(err.attempts).toBe(2);
  });

  it('the caller’s abort signal stops it without retries', async () => {
    handlers.push(() => {});
    const ctl = new AbortController();
    const p = createRemoteRollout({ baseUrl, model: 'm', maxRetries: 5, ...fast }).complete(['a'], {
      n: 1,
      temperature: 1,
      maxTokens: 4,
      signal: ctl.signal,
    });
    while (seen.length === 0) await new Promise((r) => setTimeout(r, 5));
    ctl.abort();
    const err = await p.catch((e) => e);
    expect(RolloutError.isRolloutError(err, 'aborted')).toBe(true);
    expect(seen.length).toBe(1);
  });

  describe('malformed replies', () => {
    const run = async (h: Handler, n = 1) => {
      handlers.push(h);
      return createRemoteRollout({ baseUrl, model: 'm', ...fast })
        .complete(['a'], { n, temperature: 1, maxTokens: 4 })
        .catch((e) => e);
    };

    it('not JSON', async () => {
      const err = await run((_q, _b, res) => res.writeHead(200).end('<html>proxy error</html>'));
      expect(RolloutError.isRolloutError(err, 'malformed')).toBe(true);
      expect(err.message).toMatch(/not JSON: <html>proxy error/);
    });

    it('no choices', async () => {
      const err = await run((_q, _b, res) => json(res, 200, { object: 'error' }));
      expect(RolloutError.isRolloutError(err, 'malformed')).toBe(true);
      expect(err.message).toMatch(/choices: /);
    });

    it('missing logprobs (server ignored the request for them)', async () => {
      const err = await run((_q, _b, res) =>
        json(res, 200, { choices: [{ index: 0, text: 'x', finish_reason: 'stop', logprobs: null }] }),
      );
      expect(err.message).toMatch(/choices\.0\.logprobs/);
    });

    it('a null token logprob', async () => {
      const err = await run((_q, _b, res) =>
        json(res, 200, {
          choices: [{ index: 0, text: 'x', logprobs: { tokens: ['x'], token_logprobs: [null] } }],
        }),
      );
      expect(err.message).toMatch(/choices\.0\.logprobs\.token_logprobs\.0/);
    });

    it('too few choices for n', async () => {
      const err = await run(
        (_q, _b, res) =>
          json(res, 200, { choices: [{ index: 0, text: 'x', logprobs: { tokens: [], token_logprobs: [] } }] }),
        2,
      );
      expect(err.message).toMatch(/expected 2 choices \(1 prompts × n=2\).*got 1/);
    });

    it('tokens and logprobs of different lengths', async () => {
      const err = await run((_q, _b, res) =>
        json(res, 200, { choices: [{ index: 0, text: 'x', logprobs: { tokens: ['a', 'b'], token_logprobs: [-1] } }] }),
      );
      expect(err.message).toMatch(/choices\[0\]\.logprobs has 2 tokens but 1 token_logprobs/);
    });
  });

  it('rejects bad construction and call arguments', () => {
    expect(() => createRemoteRollout({ baseUrl: 'not a url', model: 'm' })).toThrow(/not a URL/);
    expect(() => createRemoteRollout({ baseUrl: 'ftp://x', model: 'm' })).toThrow(/http\(s\)/);
    expect(() => createRemoteRollout({ baseUrl, model: 'm', timeoutMs: 0 })).toThrow(/timeoutMs must be > 0/);
    const c = createRemoteRollout({ baseUrl, model: 'm' });
    return expect(c.complete(['a'], { n: 0, temperature: 1, maxTokens: 1 })).rejects.toThrow(/n must be >= 1/);
  });
});
