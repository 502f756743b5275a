/**
 * RewardModelTrainer on @aha/core's trainLoop: a tiny RM learns a synthetic preference (no banned word) and a
 * synthetic safety rule (no hazard word) to > 90% held-out accuracy from chance; resume is exact; the head-only mode
 * leaves the backbone alone.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createByteLevelTokenizer } from '@aha/core';
import { afterAll, describe, expect, it } from 'vitest';
import { TINY_RM_CONFIG } from './__fixtures__/tiny.js';
import { createRewardModel, loadRewardModel } from './model.js';
import { safetyReward } from './rewards.js';
import { bannedWordPairs, hazardWordSamples } from './synthetic.js';
import { evaluateRewardModel, RewardModelTrainer } from './trainer.js';

const tokenizer = createByteLevelTokenizer();

async function drain<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('RewardModelTrainer', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('an old or misspelt key is an error naming the key to use (totalSteps → maxSteps), not ignored', () => {
    const model = createRewardModel(TINY_RM_CONFIG, { seed: 1 });
    const dataset = bannedWordPairs({ n: 4, seed: 1 });
    expect(() => new RewardModelTrainer({ model, tokenizer, dataset, config: { totalSteps: 3 } as never })).toThrow(
      'totalSteps: unknown key (did you mean "maxSteps"?)',
    );
    expect(
      () => new RewardModelTrainer({ model, tokenizer, dataset, config: { schedule: 'linear' } as never }),
    ).toThrow('schedule: unknown key (did you mean "lrSchedule"?)');
  });

  it('pairwise: learns to prefer completions without the banned word (held-out accuracy > 90%)', async () => {
    const model = createRewardModel(TINY_RM_CONFIG, { seed: 1 });
    const train = bannedWordPairs({ n: 200, seed: 1 });
    const heldOut = bannedWordPairs({ n: 100, seed: 2 });
    const before = evaluateRewardModel(model, tokenizer, heldOut);
    const trainer = new RewardModelTrainer({
      model,
      tokenizer,
      dataset: train,
      config: { maxSteps: 40, batchSize: 8, learningRate: 3e-3 },
    });
    const reports = await drain(trainer.train());
    expect(reports).toHaveLength(40);
    expect(Object.keys(reports[0].metrics).sort()).toEqual([
      'accuracy',
      'margin',
      'rewards/chosen',
      'rewards/rejected',
    ]);
    const after = evaluateRewardModel(model, tokenizer, heldOut);
    expect(before.loss).toBeGreaterThan(0.6); // untrained rewards are ≈ 0: loss ≈ ln 2
    expect(after.accuracy).toBeGreaterThan(0.9);
    expect(after.mean).toBeGreaterThan(0); // r_c − r_r on average
    expect(after.loss).toBeLessThan(0.3);
  });

  it('pointwise: a safety RM learns "unsafe iff a hazard word" and safetyReward reads it as P(safe)', async () => {
    const model = createRewardModel(TINY_RM_CONFIG, { seed: 2, labels: ['safe'] });
    const train = hazardWordSamples({ n: 400, seed: 3 });
    const heldOut = hazardWordSamples({ n: 100, seed: 4 });
    const trainer = new RewardModelTrainer({
      model,
      tokenizer,
      dataset: train,
      config: { objective: 'pointwise', maxSteps: 60, batchSize: 16, learningRate: 3e-3, lrSchedule: 'constant' },
    });
    const reports = await drain(trainer.train());
    expect(Object.keys(reports[0].metrics).sort()).toEqual(['accuracy', 'probability']);
    const after = evaluateRewardModel(model, tokenizer, heldOut, { objective: 'pointwise' });
    expect(after.accuracy).toBeGreaterThan(0.9);

    const reward = safetyReward({ model, tokenizer });
    const samples = heldOut.map((s) => ({ prompt: s.prompt ?? '', completion: s.response, label: s.label }));
    const values = (await reward.score(samples, {} as never)) as number[];
    const safe = values.filter((_, i) => samples[i].label === 'safe');
    const unsafe = values.filter((_, i) => samples[i].label === 'unsafe');
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(values.every((v) => v > 0 && v < 1)).toBe(true);
    expect(avg(safe)).toBeGreaterThan(avg(unsafe) + 0.5);
  });

  it('resumes exactly: 2 + 2 steps through a checkpoint equal 4 straight steps, and the checkpoint loads as an RM', async () => {
    const data = bannedWordPairs({ n: 12, seed: 5 });
    const config = { maxSteps: 4, batchSize: 4, gradAccumulation: 2, learningRate: 1e-3, seed: 7 };
    const straight = createRewardModel(TINY_RM_CONFIG, { seed: 3 });
    await drain(new RewardModelTrainer({ model: straight, tokenizer, dataset: data, config }).train());

    const dir = await mkdtemp(join(tmpdir(), 'aha-rm-train-'));
    dirs.push(dir);
    const first = createRewardModel(TINY_RM_CONFIG, { seed: 3 });
    const ac = new AbortController();
    const stepsSeen: number[] = [];
    for await (const r of new RewardModelTrainer({
      model: first,
      tokenizer,
      dataset: data,
      config: { ...config, outputDir: dir },
    }).train({ signal: ac.signal })) {
      stepsSeen.push(r.step);
      if (r.step === 1) ac.abort(); // the loop finishes the next step, checkpoints and returns
    }
    expect(stepsSeen).toEqual([1, 2]);
    const resumed = createRewardModel(TINY_RM_CONFIG, { seed: 99 }); // weights come from the checkpoint
    const rest = await drain(
      new RewardModelTrainer({
        model: resumed,
        tokenizer,
        dataset: data,
        config: { ...config, outputDir: dir },
      }).train(),
    );
    expect(rest.map((r) => r.step)).toEqual([3, 4]);
    for (const [name, t] of straight.stateDict())
      expect(resumed.stateDict().get(name)?.toFloat32Array(), name).toEqual(t.toFloat32Array());

    const loaded = await loadRewardModel(rest[1].checkpoint!);
    const probe = [[256, 65, 66, 257]];
    expect(loaded.predict(probe)).toEqual(straight.predict(probe));
  });

  it('trainBackbone: false trains only the value head', async () => {
    const model = createRewardModel(TINY_RM_CONFIG, { seed: 6 });
    const embed = model.backbone.model.embed_tokens.weight.toFloat32Array();
    const head = model.score.toFloat32Array();
    await drain(
      new RewardModelTrainer({
        model,
        tokenizer,
        dataset: bannedWordPairs({ n: 8, seed: 1 }),
        config: { maxSteps: 2, batchSize: 4, trainBackbone: false },
      }).train(),
    );
    expect(model.backbone.model.embed_tokens.weight.toFloat32Array()).toEqual(embed);
    expect(model.score.toFloat32Array()).not.toEqual(head);
  });

  it('trains on conversational pairs and uses per-pair margins when asked', async () => {
    const model = createRewardModel(TINY_RM_CONFIG, { seed: 7 });
    const dataset = [
      {
        prompt: [{ role: 'user', content: 'hi' }],
        chosen: [{ role: 'assistant', content: 'hello there' }],
        rejected: [{ role: 'assistant', content: 'spam' }],
        margin: 1,
      },
    ];
    const reports = await drain(
      new RewardModelTrainer({
        model,
        tokenizer,
        dataset,
        config: { maxSteps: 1, batchSize: 1, useMargin: true, margin: 0.5 },
      }).train(),
    );
    // Untrained rewards are ≈ 0, so the loss is ≈ −log σ(−1.5) = softplus(1.5) ≈ 1.70.
    expect(reports[0].loss).toBeGreaterThan(1.5);
    expect(reports[0].loss).toBeLessThan(1.9);
  });

  it('rejects bad rows, an empty set and a config that does not fit the model', () => {
    const model = createRewardModel(TINY_RM_CONFIG);
    const two = createRewardModel(TINY_RM_CONFIG, { numLabels: 2 });
    expect(() => new RewardModelTrainer({ model, tokenizer, dataset: [] })).toThrow(/dataset is empty/);
    expect(
      () => new RewardModelTrainer({ model, tokenizer, dataset: [{ prompt: 'p', chosen: 'a' } as never] }),
    ).toThrow(/row 0 is not a preference pair/);
    expect(
      () =>
        new RewardModelTrainer({
          model,
          tokenizer,
          dataset: [{ chosen: 'a', rejected: 'b' }],
          config: { useMargin: true },
        }),
    ).toThrow(/row 0 has no margin/);
    expect(
      () =>
        new RewardModelTrainer({
          model: two,
          tokenizer,
          dataset: [{ response: 'a', label: 1 }],
          config: { objective: 'pointwise' },
        }),
    ).toThrow(/num_labels = 1/);
    expect(() => new RewardModelTrainer({ model, tokenizer, dataset: [], config: { batchSize: 0 } })).toThrow(
      /invalid config/,
    );
    expect(() => evaluateRewardModel(model, tokenizer, [], { batchSize: -1 })).toThrow(/invalid config/);
    expect(() => evaluateRewardModel(model, tokenizer, [])).toThrow(/dataset is empty/);
  });
});
