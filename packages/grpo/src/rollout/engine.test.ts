// The RolloutEngine seam: the local and the remote engine give the same shape for the same prompts (local equals
// model.generate, remote equals what the server wrote), and GrpoTrainer trains from any engine it is handed (a
// scripted one here: the trainer never asks which kind it holds). Leaves out: the HTTP client's retries and errors
// (remote.test.ts) and TIS numbers (trainer/remote.test.ts).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValueError } from '@aha/core';
import { afterEach, describe, expect, it } from 'vitest';
import { generateAddition } from '../tasks/addition.js';
import { additionAccuracy, tinyModel, tinyTokenizer } from '../trainer/__fixtures__/tiny.js';
import { GrpoTrainer } from '../trainer/trainer.js';
import { completionsReply, type MockOpenAi, startMockOpenAi } from './__fixtures__/mock-openai.js';
import { localRolloutEngine, type PreparedPrompt, type RolloutEngine, remoteRolloutEngine } from './engine.js';
import { createRemoteRollout } from './remote.js';

let server: MockOpenAi | null = null;
const dirs: string[] = [];
afterEach(async () => {
  await server?.close();
  server = null;
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const tok = tinyTokenizer();
const prompts: PreparedPrompt[] = ['1+2=', '3+4='].map((text, rowIndex) => ({
  rowIndex,
  row: { prompt: text },
  ids: tok.encode(text),
  text,
}));
const settings = { groupSize: 2, temperature: 1, topP: 1, topK: 0, maxNewTokens: 6, stop: [], seed: 3 };

describe('RolloutEngine', () => {
  it('local: G completions per prompt, prompt-major, equal to model.generate; no sampler log-probs', async () => {
    const model = tinyModel(2);
    const engine = localRolloutEngine(model, tok);
    expect([engine.kind, engine.samplerLogprobs]).toEqual(['local', false]);
    const out = await engine.generate(prompts, settings);
    const direct = await model.generate(
      prompts.map((p) => p.ids),
      { numReturnSequences: 2, temperature: 1, topP: 1, topK: 0, maxNewTokens: 6, seed: 3, stop: [tok.eosTokenId!] },
    );
    expect(out.map((o) => o.completionIds)).toEqual(direct.map((g) => g.tokens));
    expect(out.map((o) => o.promptIds)).toEqual([prompts[0].ids, prompts[0].ids, prompts[1].ids, prompts[1].ids]);
    expect(out.every((o) => o.samplerLogprobs === null)).toBe(true);
  });

  it("remote: the server's texts and log-probs, in the same shape", async () => {
    server = await startMockOpenAi(completionsReply((p, j) => `p${p}s${j}`));
    const engine = remoteRolloutEngine(createRemoteRollout({ baseUrl: server.baseUrl, model: 'tiny' }), tok);
    expect([engine.kind, engine.samplerLogprobs]).toEqual(['remote', true]);
    const out = await engine.generate(prompts, settings);
    expect(out.map((o) => o.completion)).toEqual(['p0s0', 'p0s1', 'p1s0', 'p1s1']);
    expect(out[3]).toEqual({
      promptIds: prompts[1].ids,
      completionIds: tok.encode('p1s1', { addSpecialTokens: false }),
      completion: 'p1s1',
      finishReason: 'stop',
      samplerLogprobs: [1, 2, 3, 4].map((k) => -0.1 * k),
    });
    expect(server.requests[0]).toMatchObject({ prompt: ['1+2=', '3+4='], n: 2, max_tokens: 6, seed: 3 });
  });

  describe('GrpoTrainer holds one engine', () => {
    const dataset = generateAddition({ count: 4, seed: 5, digits: { min: 1, max: 1 } });
    const base = async () => {
      const dir = await mkdtemp(join(tmpdir(), 'aha-engine-'));
      dirs.push(dir);
      return {
        model: tinyModel(3),
        tokenizer: tok,
        dataset,
        rewards: [additionAccuracy],
        groupSize: 2,
        promptsPerStep: 2,
        maxCompletionLength: 8,
        maxSteps: 1,
        beta: 0,
        seed: 1,
        outputDir: dir,
      };
    };
    // Answers prompt p right on its first sample, wrong on the second.
    const scripted = (count = 2): RolloutEngine & { calls: number } => ({
      kind: 'scripted',
      samplerLogprobs: false,
      calls: 0,
      async generate(ps) {
        this.calls++;
        return ps.flatMap((p) =>
          Array.from({ length: count }, (_, j) => {
            const text = j === 0 ? `<answer>${p.row.solution}</answer>` : 'no';
            return {
              promptIds: p.ids,
              completionIds: tok.encode(text, { addSpecialTokens: false }),
              completion: text,
              finishReason: 'stop',
              samplerLogprobs: null,
            };
          }),
        );
      },
    });

    it('trains from a scripted engine', async () => {
      const engine = scripted();
      const t = new GrpoTrainer({ ...(await base()), rolloutEngine: engine });
      const ms = [];
      for await (const m of t.train()) ms.push(m);
      expect(engine.calls).toBe(1);
      expect(ms[0].accuracy).toBe(0.5);
      expect(t.rolloutSamples.map((s) => s.completion)).toContain('no');
    });

    it('an engine returning the wrong number of completions, or two engines, is an error', async () => {
      const t = new GrpoTrainer({ ...(await base()), rolloutEngine: scripted(1) });
      await expect(t.train()[Symbol.asyncIterator]().next()).rejects.toThrow(
        /the scripted rollout engine returned (\d+) completions for \1 prompts × G = 2/,
      );
      const both = async () =>
        new GrpoTrainer({
          ...(await base()),
          rolloutEngine: scripted(),
          rollout: { backend: 'remote', baseUrl: 'http://127.0.0.1:1', model: 'x' },
        });
      await expect(both()).rejects.toThrow(ValueError);
    });
  });
});
