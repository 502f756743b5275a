import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SafetyError } from '../errors.js';
import { createHttpJudge } from './http-judge.js';

// A scripted OpenAI-compatible /v1/chat/completions server on 127.0.0.1: each request gets the next handler.
type Handler = (body: Record<string, unknown>, res: ServerResponse, req: IncomingMessage) => void;
let server: Server;
let baseUrl: string;
let handlers: Handler[];
let seen: { url?: string; auth?: string; body: Record<string, unknown> }[];

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
      seen.push({ url: req.url, auth: req.headers.authorization, body });
      const h = handlers.shift();
      if (!h) res.writeHead(500).end('no handler left');
      else h(body, res, req);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const reply =
  (content: string | null): Handler =>
  (_b, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        id: 'c1',
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content } }],
      }),
    );
const status =
  (code: number, headers: Record<string, string> = {}): Handler =>
  (_b, res) =>
    res.writeHead(code, headers).end(`status ${code}`);

const dialogue = [
  { role: 'user', content: 'hi' },
  { role: 'assistant', content: 'hello' },
];
const fast = { backoffMs: 1, maxBackoffMs: 5 };

describe('createHttpJudge', () => {
  it('posts the review messages to /v1/chat/completions and parses the label', async () => {
    handlers.push(reply('LABEL: SAFE\nREASON: greeting'));
    const judge = createHttpJudge({ baseUrl, model: 'judge-7b', apiKey: 'sk-test', ...fast });
    await expect(judge.judge(dialogue)).resolves.toEqual({ label: 'safe', reason: 'greeting' });
    expect(seen[0].url).toBe('/v1/chat/completions');
    expect(seen[0].auth).toBe('Bearer sk-test');
    expect(seen[0].body).toMatchObject({ model: 'judge-7b', temperature: 0, max_tokens: 128 });
    const messages = seen[0].body.messages as { role: string; content: string }[];
    expect(messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(messages[1].content).toContain('[ASSISTANT]\nhello');
  });

  it('accepts a base URL that already ends in /v1', async () => {
    handlers.push(reply('unsafe'));
    await createHttpJudge({ baseUrl: `${baseUrl}/v1/`, model: 'm', ...fast }).judge(dialogue);
    expect(seen[0].url).toBe('/v1/chat/completions');
  });

  it('retries 503 and 429 (Retry-After) then succeeds', async () => {
    handlers.push(status(503), status(429, { 'retry-after': '0' }), reply('REFUSAL'));
    const v = await createHttpJudge({ baseUrl, model: 'm', ...fast }).judge(dialogue);
    expect(v.label).toBe('refusal');
    expect(seen).toHaveLength(3);
  });

  it('does not retry a 400 and reports the status', async () => {
    handlers.push(status(400), reply('safe'));
    const err = await createHttpJudge({ baseUrl, model: 'm', ...fast })
      .judge(dialogue)
      .catch((e) => e);
    expect(SafetyError.isSafetyError(err, 'http')).toBe(true);
    expect(err.details).toMatchObject({ status: 400, attempts: 1 });
    expect(seen).toHaveLength(1);
  });

  it('gives up after maxRetries with the attempt count', async () => {
    handlers.push(status(500), status(500), status(500));
    const err = await createHttpJudge({ baseUrl, model: 'm', maxRetries: 2, ...fast })
      .judge(dialogue)
      .catch((e) => e);
    expect(SafetyError.isSafetyError(err, 'http')).toBe(true);
    expect(err.message).toMatch(/gave up after 3 attempts/);
  });

  it('times out a silent server, per attempt', async () => {
    handlers.push(
      () => {},
      () => {},
    );
    const err = await createHttpJudge({ baseUrl, model: 'm', timeoutMs: 50, maxRetries: 1, ...fast })
      .judge(dialogue)
      .catch((e) => e);
    expect(SafetyError.isSafetyError(err, 'timeout')).toBe(true);
    expect(seen).toHaveLength(2);
  });

  it('a wrong reply shape is malformed, naming the field', async () => {
    handlers.push((_b, res) => res.writeHead(200).end(JSON.stringify({ choices: [{ message: { content: 3 } }] })));
    const err = await createHttpJudge({ baseUrl, model: 'm', ...fast })
      .judge(dialogue)
      .catch((e) => e);
    expect(SafetyError.isSafetyError(err, 'malformed')).toBe(true);
    expect(err.message).toMatch(/choices\.0\.message\.content/);
  });

  it('a reply without a label is unparseable', async () => {
    handlers.push(reply('I would rather talk about the weather'));
    await expect(createHttpJudge({ baseUrl, model: 'm', ...fast }).judge(dialogue)).rejects.toSatisfy((e) =>
      SafetyError.isSafetyError(e, 'unparseable'),
    );
  });

  it('a refused connection is a connection error', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const err = await createHttpJudge({ baseUrl: `http://127.0.0.1:${port}`, model: 'm', maxRetries: 1, ...fast })
      .judge(dialogue)
      .catch((e) => e);
    expect(SafetyError.isSafetyError(err, 'connection')).toBe(true);
  });

  it('the caller can abort', async () => {
    handlers.push(() => {});
    const ctl = new AbortController();
    const p = createHttpJudge({ baseUrl, model: 'm', ...fast }).judge(dialogue, { signal: ctl.signal });
    setTimeout(() => ctl.abort(), 20);
    await expect(p).rejects.toSatisfy((e) => SafetyError.isSafetyError(e, 'aborted'));
  });

  it('validates its options', () => {
    expect(() => createHttpJudge({ baseUrl: 'not a url', model: 'm' })).toThrow(/baseUrl/);
    expect(() => createHttpJudge({ baseUrl, model: '' })).toThrow(/model/);
    expect(() => createHttpJudge({ baseUrl: 'ftp://x', model: 'm' })).toThrow(/http\(s\)/);
  });
});
