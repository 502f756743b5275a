import { describe, expect, it } from 'vitest';
import { InitRng } from '../../nn/module.js';
import { createByteLevelTokenizer } from '../../tokenizers/byte-level.js';
import { sampleToken } from './generate.js';
import { createModel } from './model.js';
import { TINY_CONFIG } from './testing.js';

// eos_token_id: null so completions run to maxNewTokens unless a test sets `stop`.
const model = createModel({ ...TINY_CONFIG, eos_token_id: null }, { seed: 4 });
const prompts = [
  [0, 5, 9, 17],
  [0, 12],
  [0, 30, 31, 32, 33, 34],
];

/** Greedy decoding by repeated full forwards of one unpadded prompt (independent of generate()). */
function greedyByFullForward(prompt: number[], n: number): number[] {
  const seq = [...prompt];
  for (let i = 0; i < n; i++) {
    const logits = model.forward([seq]);
    const V = logits.shape[2];
    const last = logits.values().slice((seq.length - 1) * V, seq.length * V);
    seq.push(last.indexOf(Math.max(...last)));
  }
  return seq.slice(prompt.length);
}

describe('generate', () => {
  it('greedy with the latent cache returns the tokens of repeated full forwards (left-padded batch)', async () => {
    const gens = await model.generate(prompts, { maxNewTokens: 6, temperature: 0 });
    expect(gens).toHaveLength(3);
    prompts.forEach((p, i) => {
      expect(gens[i].tokens).toEqual(greedyByFullForward(p, 6));
      expect(gens[i].finishReason).toBe('length');
    });
  });

  it('the cached (absorbed) and naive paths agree on tokens and logprobs', async () => {
    const opts = { maxNewTokens: 6, temperature: 0.9, topP: 0.95, seed: 11 };
    const cached = await model.generate(prompts, opts);
    const naive = await model.generate(prompts, { ...opts, useCache: false });
    cached.forEach((g, i) => {
      expect(g.tokens).toEqual(naive[i].tokens);
      for (const [j, lp] of g.logprobs.entries()) expect(Math.abs(lp - naive[i].logprobs[j])).toBeLessThan(1e-4);
    });
  });

  it('is deterministic for a seed and varies with it', async () => {
    const opts = { maxNewTokens: 8, temperature: 1.5, numReturnSequences: 2 };
    const a = await model.generate(prompts, { ...opts, seed: 1 });
    const b = await model.generate(prompts, { ...opts, seed: 1 });
    const c = await model.generate(prompts, { ...opts, seed: 2 });
    expect(a).toEqual(b);
    expect(a.map((g) => g.tokens)).not.toEqual(c.map((g) => g.tokens));
    expect(a).toHaveLength(6); // prompts × numReturnSequences, consecutive per prompt
  });

  it('stops on a stop token (kept in the completion) and reports the reason', async () => {
    const [first] = await model.generate([prompts[0]], { maxNewTokens: 6, temperature: 0 });
    const stopAt = first.tokens[2];
    const [g] = await model.generate([prompts[0]], { maxNewTokens: 6, temperature: 0, stop: [stopAt] });
    const end = first.tokens.indexOf(stopAt) + 1;
    expect(g.tokens).toEqual(first.tokens.slice(0, end));
    expect(g.finishReason).toBe('stop');
    const [seq] = await model.generate([prompts[0]], {
      maxNewTokens: 6,
      temperature: 0,
      stop: [first.tokens.slice(1, 3)],
    });
    expect(seq.tokens).toEqual(first.tokens.slice(0, 3));
  });

  it('decodes text with the byte-level tokenizer, special tokens dropped', async () => {
    const tok = createByteLevelTokenizer();
    const m = createModel({ ...TINY_CONFIG, vocab_size: tok.vocabSize, eos_token_id: tok.eosTokenId }, { seed: 2 });
    const gens = await m.generate([tok.encode('hi')], { maxNewTokens: 12, temperature: 1.5, seed: 3, tokenizer: tok });
    expect(gens[0].text).toBe(tok.decode(gens[0].tokens, { skipSpecialTokens: true }));
    expect(gens[0].text).not.toContain('<|eos|>');
  });

  it('fills text through a tokenizer and logprobs per token', async () => {
    const [g] = await model.generate([prompts[1]], {
      maxNewTokens: 3,
      temperature: 0,
      tokenizer: { decode: (ids) => ids.join(',') },
    });
    expect(g.text).toBe(g.tokens.join(','));
    expect(g.logprobs).toHaveLength(3);
    expect(g.logprobs.every((lp) => lp <= 0)).toBe(true);
  });

  it('validates options', async () => {
    await expect(model.generate(prompts, { maxNewTokens: 0 })).rejects.toThrow();
    await expect(model.generate([[]], { maxNewTokens: 2 })).rejects.toThrow(/prompt 0 is empty/);
  });
});

describe('sampleToken', () => {
  const logits = Float32Array.of(2, 1, 0.5, -1);
  it('greedy picks the argmax with its log-probability', () => {
    const { token, logprob } = sampleToken(logits, { temperature: 0, topK: 0, topP: 1 }, new InitRng(0));
    const z = Math.log([2, 1, 0.5, -1].reduce((s, v) => s + Math.exp(v), 0));
    expect(token).toBe(0);
    expect(logprob).toBeCloseTo(2 - z, 6);
  });
  it('topK = 1 is greedy, topP keeps the nucleus only', () => {
    const rng = new InitRng(1);
    for (let i = 0; i < 50; i++) expect(sampleToken(logits, { temperature: 1, topK: 1, topP: 1 }, rng).token).toBe(0);
    const seen = new Set<number>();
    for (let i = 0; i < 300; i++) seen.add(sampleToken(logits, { temperature: 1, topK: 0, topP: 0.8 }, rng).token);
    expect([...seen].sort()).toEqual([0, 1]); // p ≈ 0.57, 0.21, 0.13, 0.03: the top two reach 0.8
  });
  it('samples in proportion to the tempered probabilities', () => {
    const rng = new InitRng(2);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[sampleToken(logits, { temperature: 2, topK: 0, topP: 1 }, rng).token]++;
    const p = [2, 1, 0.5, -1].map((v) => Math.exp(v / 2));
    const z = p.reduce((a, b) => a + b);
    for (const [i, c] of counts.entries()) expect(Math.abs(c / 4000 - p[i] / z)).toBeLessThan(0.03);
  });
});
