import { createByteLevelTokenizer, createModel, type GenerateOptions, type Generation } from '@aha/core';
import { describe, expect, it } from 'vitest';
import { tinyConfig } from '../__fixtures__/tiny-model.js';
import { SafetyError } from '../errors.js';
import { reviewMessages } from './judge.js';
import { createModelJudge } from './model-judge.js';

const tokenizer = createByteLevelTokenizer();
const dialogue = [
  { role: 'user', content: 'How do I boil an egg?' },
  { role: 'assistant', content: 'Put it in boiling water for 8 minutes.' },
];

/** A stand-in model that records its input and answers with fixed text, encoded like a real model's output. */
function scripted(reply: string) {
  const calls: { prompts: number[][]; options: GenerateOptions }[] = [];
  return {
    calls,
    async generate(prompts: number[][], options: GenerateOptions): Promise<Generation[]> {
      calls.push({ prompts, options });
      const tokens = [...tokenizer.encode(reply, { addSpecialTokens: false }), tokenizer.eosTokenId as number];
      return prompts.map(() => ({ tokens, logprobs: tokens.map(() => -1), finishReason: 'stop' }));
    },
  };
}

describe('createModelJudge', () => {
  it('sends the review prompt through the chat template and parses the decoded reply', async () => {
    const model = scripted('LABEL: SAFE\nREASON: cooking advice');
    const judge = createModelJudge({ model, tokenizer });
    await expect(judge.judge(dialogue)).resolves.toEqual({ label: 'safe', reason: 'cooking advice' });
    const want = tokenizer.encodeChat(reviewMessages(dialogue), { addGenerationPrompt: true });
    expect(model.calls[0].prompts).toEqual([want]);
    expect(tokenizer.decode(want)).toMatch(/Assistant:$/);
    expect(model.calls[0].options).toMatchObject({ temperature: 0, maxNewTokens: 64, numReturnSequences: 1 });
  });

  it('passes generate options through and uses a custom system prompt', async () => {
    const model = scripted('unsafe');
    const judge = createModelJudge({ model, tokenizer, systemPrompt: 'Judge it.', generate: { maxNewTokens: 8 } });
    expect((await judge.judge(dialogue)).label).toBe('unsafe');
    expect(tokenizer.decode(model.calls[0].prompts[0])).toMatch(/^<\|bos\|>Judge it\.\n/);
    expect(model.calls[0].options.maxNewTokens).toBe(8);
  });

  it('an unreadable reply is an unparseable SafetyError', async () => {
    const judge = createModelJudge({ model: scripted('zzz'), tokenizer, name: 'tiny' });
    await expect(judge.judge(dialogue)).rejects.toSatisfy(
      (e) => SafetyError.isSafetyError(e, 'unparseable') && /^tiny:/.test((e as Error).message),
    );
  });

  it('runs a real (untrained) aha model end to end: either a label or a typed error', async () => {
    const model = createModel(tinyConfig(tokenizer), { seed: 1 });
    const judge = createModelJudge({ model, tokenizer, generate: { maxNewTokens: 4 } });
    const outcome = await judge.judge(dialogue).then(
      (v) => v.label,
      (e) => (SafetyError.isSafetyError(e, 'unparseable') ? 'unparseable' : `unexpected: ${e}`),
    );
    expect(['safe', 'unsafe', 'refusal', 'unparseable']).toContain(outcome);
  });

  it('rejects a model without generate and an aborted signal', async () => {
    expect(() => createModelJudge({ model: {} as never, tokenizer })).toThrow(/generate/);
    const judge = createModelJudge({ model: scripted('safe'), tokenizer });
    await expect(judge.judge(dialogue, { signal: AbortSignal.abort() })).rejects.toSatisfy((e) =>
      SafetyError.isSafetyError(e, 'aborted'),
    );
  });
});
