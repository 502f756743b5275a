/**
 * The RM rewards on the @aha/rewards contract, on an untrained tiny RM (what is checked is the plumbing: batching,
 * order, normalisation, nulls, no graph). That a trained RM ranks samples right is in trainer.test.ts.
 */
import { createByteLevelTokenizer, isGradEnabled } from '@aha/core';
import { combineRewards, createRewardContext, type Sample, scoreRewards } from '@aha/rewards';
import { describe, expect, it } from 'vitest';
import { TINY_RM_CONFIG } from './__fixtures__/tiny.js';
import { encodeSample } from './data.js';
import { createRewardModel } from './model.js';
import { helpfulnessReward, isReasoningSample, RunningStats, safetyReward, scoreCompletions } from './rewards.js';

const tokenizer = createByteLevelTokenizer();
const model = createRewardModel(TINY_RM_CONFIG, { seed: 11 });
const ctx = createRewardContext();

const samples: Sample[] = [
  { prompt: 'Tell me about rivers: ', completion: 'the river sings' },
  { prompt: 'Tell me about hills: ', completion: 'seven small green hills near old stone bridges today' },
  { prompt: [{ role: 'user', content: 'hi' }], completion: [{ role: 'assistant', content: 'hello' }] },
  { prompt: 'What is 2+2? ', completion: '<think>2+2</think>4', solution: '4' },
  { prompt: 'Tell me about lamps: ', completion: 'a lamp' },
];
/** Each sample scored alone, unbatched: the reference for batched scoring. */
const alone = samples.map((s) => model.predict([encodeSample(tokenizer, s.prompt, s.completion)])[0][0]);

describe('scoreCompletions', () => {
  it('batched, length-sorted scoring returns each sample’s own value in input order, without a graph', () => {
    for (const p of model.parameters()) p.grad = null;
    const values = scoreCompletions(model, tokenizer, samples, { batchSize: 2 });
    values.forEach((v, i) => {
      expect(v[0]).toBeCloseTo(alone[i], 5);
    });
    expect(isGradEnabled()).toBe(true);
    expect(model.parameters().every((p) => p.grad === null)).toBe(true);
    expect(model.backbone.training).toBe(true); // restored after eval mode
  });
});

describe('helpfulnessReward', () => {
  it('answers the raw RM value by default', async () => {
    const values = await helpfulnessReward({ model, tokenizer, batchSize: 3 }).score(samples, ctx);
    values.forEach((v, i) => {
      expect(v).toBeCloseTo(alone[i], 5);
    });
  });

  it('null for reasoning samples when skipReasoning, and for what `skip` says', async () => {
    expect(isReasoningSample(samples[3])).toBe(true);
    expect(isReasoningSample({ ...samples[0], tests: null })).toBe(false);
    const reward = helpfulnessReward({
      model,
      tokenizer,
      skipReasoning: true,
      skip: (s) => typeof s.completion === 'string' && s.completion === 'a lamp',
    });
    const values = await reward.score(samples, ctx);
    expect(values[3]).toBeNull();
    expect(values[4]).toBeNull();
    [0, 1, 2].forEach((i) => {
      expect(values[i]).toBeCloseTo(alone[i], 5);
    });
  });

  it('sigmoid normalisation gives σ(r); clip bounds the result', async () => {
    const sig = await helpfulnessReward({ model, tokenizer, normalize: 'sigmoid' }).score(samples, ctx);
    sig.forEach((v, i) => {
      expect(v).toBeCloseTo(1 / (1 + Math.exp(-alone[i])), 5);
    });
    const clipped = await helpfulnessReward({ model, tokenizer, normalize: 'zscore', clip: 0.5 }).score(samples, ctx);
    expect(clipped.every((v) => v !== null && Math.abs(v) <= 0.5)).toBe(true);
  });

  it('zscore normalises with running statistics over every batch seen so far', async () => {
    const reward = helpfulnessReward({ model, tokenizer, normalize: 'zscore' });
    const first = (await reward.score(samples.slice(0, 3), ctx)) as number[];
    const m = (alone[0] + alone[1] + alone[2]) / 3;
    const sd = Math.sqrt(alone.slice(0, 3).reduce((s, x) => s + (x - m) ** 2, 0) / 3);
    first.forEach((v, i) => {
      expect(v).toBeCloseTo((alone[i] - m) / (sd + 1e-6), 3);
    });
    expect(reward.stats.count).toBe(3);
    const second = (await reward.score(samples.slice(3), ctx)) as number[];
    const all = new RunningStats();
    all.update(alone);
    expect(reward.stats.mean).toBeCloseTo(all.mean, 6);
    second.forEach((v, k) => {
      expect(v).toBeCloseTo((alone[3 + k] - all.mean) / (all.std + 1e-6), 3);
    });
  });

  it('plugs into scoreRewards and combineRewards of @aha/rewards', async () => {
    const help = helpfulnessReward({ model, tokenizer, skipReasoning: true, normalize: 'sigmoid' });
    const safe = safetyReward({ model, tokenizer });
    const [result] = await scoreRewards(
      combineRewards([
        { reward: help, weight: 1 },
        { reward: safe, weight: 1 },
      ]),
      samples,
    );
    expect(result.details.every((d) => d.status === 'ok')).toBe(true);
    const s0 = 1 / (1 + Math.exp(-alone[0]));
    expect(result.values[0]).toBeCloseTo(2 * s0, 4); // both rewards read the same untrained head here
    expect(result.values[3]).toBeCloseTo(1 / (1 + Math.exp(-alone[3])), 4); // helpfulness skipped (null)
  });
});

describe('safetyReward', () => {
  it('is σ(z) in (0, 1) by default and the logit with normalize "none"', async () => {
    const p = await safetyReward({ model, tokenizer }).score(samples, ctx);
    p.forEach((v, i) => {
      expect(v).toBeCloseTo(1 / (1 + Math.exp(-alone[i])), 5);
    });
    const z = await safetyReward({ model, tokenizer, normalize: 'none', name: 'safety_logit' }).score(samples, ctx);
    z.forEach((v, i) => {
      expect(v).toBeCloseTo(alone[i], 5);
    });
  });

  it('rejects a multi-label model and bad options', () => {
    const two = createRewardModel(TINY_RM_CONFIG, { numLabels: 2 });
    expect(() => safetyReward({ model: two, tokenizer })).toThrow(/num_labels = 1, it has 2/);
    expect(() => helpfulnessReward({ model, tokenizer, batchSize: 0 })).toThrow(/invalid options/);
  });
});
