import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineReward } from '@aha/rewards';
import { afterEach, describe, expect, it } from 'vitest';
import { completionsReply, type MockOpenAi, startMockOpenAi } from '../rollout/__fixtures__/mock-openai.js';
import { RolloutError } from '../rollout/remote.js';
import { generateAddition } from '../tasks/addition.js';
import { additionAccuracy, tinyModel, tinyTokenizer } from './__fixtures__/tiny.js';
import { GrpoTrainer, type GrpoTrainerOptions } from './trainer.js';

let server: MockOpenAi | null = null;
const dirs: string[] = [];
afterEach(async () => {
  await server?.close();
  server = null;
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const dataset = generateAddition({ count: 8, seed: 5, digits: { min: 1, max: 1 } });

async function options(baseUrl: string, extra: Partial<GrpoTrainerOptions> = {}): Promise<GrpoTrainerOptions> {
  const dir = await mkdtemp(join(tmpdir(), 'aha-grpo-remote-'));
  dirs.push(dir);
  return {
    model: tinyModel(3),
    tokenizer: tinyTokenizer(),
    dataset,
    rewards: [additionAccuracy],
    rollout: { backend: 'remote', baseUrl, model: 'tiny', maxRetries: 0, timeoutMs: 2_000 },
    groupSize: 4,
    promptsPerStep: 2,
    stepsPerRollout: 1,
    maxCompletionLength: 16,
    maxSteps: 1,
    beta: 0,
    seed: 9,
    outputDir: dir,
    ...extra,
  };
}

// Sample j of each prompt: right answer for j = 0 and 2, a wrong one otherwise. Two samples contain an added token
// (<answer> is one id), so their re-tokenised length differs from the server's character tokens.
const texts = (solution: (p: number) => string) => (p: number, j: number) =>
  j === 0 ? `<answer>${solution(p)}</answer>` : j === 2 ? `x ${solution(p)}` : 'no idea';

describe('GrpoTrainer with a remote OpenAI-compatible rollout server', () => {
  it('samples on the server, re-tokenises, scores and trains', async () => {
    const asked: string[][] = [];
    const byPrompt = new Map<string, string>();
    for (const row of dataset) byPrompt.set(row.prompt, row.solution);
    server = await startMockOpenAi((body) => {
      const prompts = body.prompt as string[];
      asked.push(prompts);
      return completionsReply(texts((p) => byPrompt.get(prompts[p]) ?? '?'))(body);
    });
    const t = new GrpoTrainer(await options(server.baseUrl, { tisCap: 2 }));
    const ms = [];
    for await (const m of t.train()) ms.push(m);
    expect(ms).toHaveLength(1);
    const req = server.requests[0];
    expect(req.n).toBe(4);
    expect(req.model).toBe('tiny');
    expect(req.max_tokens).toBe(16);
    expect(typeof req.seed).toBe('number');
    const tok = tinyTokenizer();
    const samples = t.rolloutSamples;
    expect(samples).toHaveLength(8);
    for (const s of samples) {
      expect(s.completionIds).toEqual(tok.encode(s.completion, { addSpecialTokens: false }));
      // log-probs line up only where the server's character tokens match the trainer's tokens
      const aligned = [...s.completion].length === s.completionIds.length;
      expect(s.samplerLogprobs === null).toBe(!aligned);
    }
    expect(samples.filter((s) => s.samplerLogprobs === null).length).toBe(2); // the two <answer> samples
    expect(ms[0].accuracy).toBeCloseTo(0.25, 10); // only the tagged answer scores
    expect(Number.isFinite(ms[0].loss)).toBe(true);
  });

  it('truncated importance sampling reweights the loss (ratio 1 alone gives loss 0 at μ = 1)', async () => {
    server = await startMockOpenAi(completionsReply((p, j) => `${p}${'ab'.repeat(j + 1)}`));
    const plain = new GrpoTrainer(await options(server.baseUrl, { tisCap: null, rewards: [lengthReward] }));
    const tis = new GrpoTrainer(await options(server.baseUrl, { tisCap: 2, rewards: [lengthReward] }));
    const [mp] = await all(plain);
    const [mt] = await all(tis);
    expect(Math.abs(mp.loss)).toBeLessThan(1e-6);
    expect(Math.abs(mt.loss)).toBeGreaterThan(1e-4);
  });

  it('a malformed reply surfaces as a RolloutError (reason malformed)', async () => {
    server = await startMockOpenAi(() => ({ choices: [{ index: 0, text: 42 }] }));
    const t = new GrpoTrainer(await options(server.baseUrl));
    const err = await all(t).catch((e: unknown) => e);
    expect(RolloutError.isRolloutError(err, 'malformed')).toBe(true);
  });

  it('a server that never answers surfaces as a RolloutError (reason timeout)', async () => {
    server = await startMockOpenAi(() => null);
    const base = await options(server.baseUrl);
    const t = new GrpoTrainer({
      ...base,
      rollout: { backend: 'remote', baseUrl: server.baseUrl, model: 'tiny', maxRetries: 0, timeoutMs: 200 },
    });
    const err = await all(t).catch((e: unknown) => e);
    expect(RolloutError.isRolloutError(err, 'timeout')).toBe(true);
  });
});

const lengthReward = defineReward({
  name: 'len',
  async score(samples) {
    return samples.map((s) => String(s.completion).length / 10);
  },
});

async function all(t: GrpoTrainer) {
  const out = [];
  for await (const m of t.train()) out.push(m);
  return out;
}
