/**
 * The hf-generate example: the script runs and prints what the model computed, greedy decoding is the argmax of an
 * independent full forward, log-probabilities are log-softmax values, sampling is reproducible from its seed, and a
 * prompt outside the model's vocabulary is refused with a ValueError.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadModel, loadTokenizer } from '@aha/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_DIR, DEFAULT_TOKENIZER_DIR, hfGenerate } from './main.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** log-softmax of the last position's logits for one prompt, from a plain forward (no cache, no sampler). */
async function lastLogSoftmax(ids: number[]): Promise<number[]> {
  const model = await loadModel(DEFAULT_MODEL_DIR);
  const logits = model.forward([ids]); // [1, T, V]
  const [, t, v] = logits.shape;
  const row = Array.from(logits.toFloat32Array().subarray((t - 1) * v, t * v));
  const max = Math.max(...row);
  const logZ = Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0)) + max;
  return row.map((x) => x - logZ);
}

describe('examples/hf-generate', () => {
  it('greedy and sampled generations agree with the model and the tokenizer', async () => {
    const result = await hfGenerate({ prompts: ['12+5=', '7*8='], maxNewTokens: 6 });
    const tokenizer = await loadTokenizer(DEFAULT_TOKENIZER_DIR);
    expect(result.prompts[0].ids).toEqual([49, 50, 43, 53, 61]); // bytes of "12+5=", no BOS
    for (const [i, g] of result.greedy.entries()) {
      expect(g.tokens.length).toBe(g.logprobs.length);
      expect(g.tokens.length).toBeGreaterThan(0);
      expect(g.tokens.length).toBeLessThanOrEqual(6);
      expect(g.text).toBe(tokenizer.decode(g.tokens, { skipSpecialTokens: true }));
      const logp = await lastLogSoftmax(result.prompts[i].ids);
      const argmax = logp.indexOf(Math.max(...logp));
      expect(g.tokens[0]).toBe(argmax);
      expect(g.logprobs[0]).toBeCloseTo(logp[argmax], 4);
    }
    for (const g of result.sampled) {
      expect(g.logprobs.every((lp) => lp <= 0 && Number.isFinite(lp))).toBe(true);
      expect(g.tokens.every((t) => Number.isInteger(t) && t >= 0 && t < 64)).toBe(true);
    }
    const again = await hfGenerate({ prompts: ['12+5=', '7*8='], maxNewTokens: 6 });
    expect(again.sampled.map((g) => g.tokens)).toEqual(result.sampled.map((g) => g.tokens));
    const otherSeed = await hfGenerate({ prompts: ['12+5=', '7*8='], maxNewTokens: 6, seed: 2 });
    expect(otherSeed.greedy).toEqual(result.greedy);
  });

  it('refuses a prompt whose ids do not fit the model vocabulary', async () => {
    await expect(hfGenerate({ prompts: ['x+1='] })).rejects.toThrow(
      /encodes to id 120, but the model's vocab_size is 64/,
    );
  });

  it('runs as a script and prints tokens, logprobs and text for both passes', () => {
    const out = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=source',
        'examples/hf-generate/main.ts',
        '--prompt',
        '1+1=',
        '--max-new-tokens',
        '3',
      ],
      { cwd: root, encoding: 'utf8' },
    );
    expect(out).toContain('== greedy (temperature 0)');
    expect(out).toContain('== sampled');
    expect(out).toContain('prompt "1+1=" ids [49, 43, 49, 61]');
    expect(out.match(/^ {2}tokens {3}\[/gm)).toHaveLength(2);
    expect(out.match(/^ {2}logprobs \[/gm)).toHaveLength(2);
    expect(out.match(/^ {2}text {5}"/gm)).toHaveLength(2);
  });
});
