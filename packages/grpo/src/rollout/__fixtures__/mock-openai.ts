/**
 * A scripted mock of an OpenAI-compatible `/v1/completions` server (vLLM / SGLang wire format) on 127.0.0.1, for
 * rollout tests: each request is answered by `reply(body, path)`, which returns the JSON to send (or a raw string to
 * send as is, an {@link httpReply} for another status, or null to never answer). Requests are recorded in `requests`
 * and their paths in `paths` (same order), so weight-sync tests can check the admin calls between rollouts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MockOpenAi {
  baseUrl: string;
  requests: Record<string, unknown>[];
  /** The URL path of each request, in order. */
  paths: string[];
  /** The authorization header of each request ('' when absent), in order. */
  auth: string[];
  close(): Promise<void>;
}

export type MockReply = (body: Record<string, unknown>, path?: string) => unknown;

/** A reply with its own status (e.g. a 500 from /v1/load_lora_adapter). */
export class HttpReply {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}
export const httpReply = (status: number, body: unknown) => new HttpReply(status, body);

export async function startMockOpenAi(reply: MockReply): Promise<MockOpenAi> {
  const requests: Record<string, unknown>[] = [];
  const paths: string[] = [];
  const auth: string[] = [];
  const server: Server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => {
      data += c;
    });
    req.on('end', () => {
      const body = JSON.parse(data || '{}') as Record<string, unknown>;
      requests.push(body);
      paths.push(req.url ?? '');
      auth.push(req.headers.authorization ?? '');
      let out = reply(body, req.url ?? '');
      if (out === null) return; // hang: the client's timeout must fire
      let status = 200;
      if (out instanceof HttpReply) [status, out] = [out.status, out.body];
      res.writeHead(status, { 'content-type': typeof out === 'string' ? 'text/plain' : 'application/json' });
      res.end(typeof out === 'string' ? out : JSON.stringify(out));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    paths,
    auth,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/**
 * A vLLM-like reply: for prompt p and sample j, `text(p, j)` with one token per character ("token strings", not ids,
 * so the trainer re-tokenises) and log-probs −0.1·(k+1) per token.
 */
export function completionsReply(text: (p: number, j: number) => string): MockReply {
  return (body) => {
    const prompts = body.prompt as string[];
    const n = body.n as number;
    const choices = [];
    for (let p = 0; p < prompts.length; p++) {
      for (let j = 0; j < n; j++) {
        const t = text(p, j);
        const chars = [...t];
        choices.push({
          index: p * n + j,
          text: t,
          finish_reason: 'stop',
          logprobs: { tokens: chars, token_logprobs: chars.map((_, k) => -0.1 * (k + 1)) },
        });
      }
    }
    return { id: 'cmpl-mock', object: 'text_completion', model: body.model, choices };
  };
}
