import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AhaError, createModel, readSafetensors, sum, tinyQwen2Config } from '@aha/core';
import { afterAll, describe, expect, it } from 'vitest';
import { TINY_RM_CONFIG } from './__fixtures__/tiny.js';
import { createRewardModel, loadRewardModel, REWARD_MODEL_ARCHITECTURE, RewardModel } from './model.js';

const rows = [
  [256, 40, 41, 42, 43, 44, 257],
  [256, 50, 51, 52, 257, 258, 258],
];

describe('RewardModel', () => {
  it('refuses a dense (Qwen2) backbone with a config error instead of failing later', () => {
    const dense = createModel(tinyQwen2Config, { seed: 0 });
    let caught: unknown;
    try {
      RewardModel.fromBackbone(dense);
    } catch (err) {
      caught = err;
    }
    expect(AhaError.is(caught, 'config')).toBe(true);
    expect(String(caught)).toMatch(/DeepSeek-V3/);
  });

  const rm = createRewardModel(TINY_RM_CONFIG, { seed: 4 });

  it('values [B, 1] = score · hidden state at the last real token', () => {
    const mask = [
      [1, 1, 1, 1, 1, 1, 1],
      [1, 1, 1, 1, 1, 0, 0], // right padding: the last real token is at 4
    ];
    const v = rm.forward(rows, { attentionMask: mask });
    expect(v.shape).toEqual([2, 1]);
    const h = rm.backbone.forwardHidden(rows, { attentionMask: mask }).toFloat32Array(); // [B, T, D]
    const w = rm.score.toFloat32Array();
    const D = 32;
    const dot = (b: number, t: number) => w.reduce((s, wi, d) => s + wi * h[(b * 7 + t) * D + d], 0);
    expect(v.toFloat32Array()[0]).toBeCloseTo(dot(0, 6), 5);
    expect(v.toFloat32Array()[1]).toBeCloseTo(dot(1, 4), 5);
  });

  it('gives the same value for a sequence alone and left-padded in a batch', () => {
    const alone = rm.predict([[256, 50, 51, 52, 257]])[0][0];
    const padded = rm.predict([[258, 258, 256, 50, 51, 52, 257], rows[0]], {
      attentionMask: [
        [0, 0, 1, 1, 1, 1, 1],
        [1, 1, 1, 1, 1, 1, 1],
      ],
    });
    expect(padded[0][0]).toBeCloseTo(alone, 5);
  });

  it('trains the backbone and the head, never the LM head or MTP modules', () => {
    const withMtp = RewardModel.fromBackbone(createModel({ ...TINY_RM_CONFIG, num_nextn_predict_layers: 1 }));
    const names = [...withMtp.stateDict().keys()];
    expect(names).toContain('score.weight');
    expect(names).toContain('model.embed_tokens.weight');
    expect(names.some((n) => n.startsWith('lm_head') || n.startsWith('model.layers.2.'))).toBe(false);
    const params = withMtp.parameters();
    expect(params).not.toContain(withMtp.backbone.lm_head?.weight);
    for (const p of params) p.grad = null;
    sum(withMtp.forward(rows)).backward();
    expect(withMtp.score.grad).toBeTruthy();
    expect(withMtp.backbone.model.embed_tokens.weight.grad).toBeTruthy();
  });

  it('shares the backbone tensors when built on an existing model', () => {
    const lm = createModel(TINY_RM_CONFIG, { seed: 9 });
    const a = RewardModel.fromBackbone(lm, { seed: 1 });
    expect(a.stateDict().get('model.norm.weight')).toBe(lm.model.norm.weight);
    const b = RewardModel.fromBackbone(lm, { seed: 2 });
    expect(b.score.toFloat32Array()).not.toEqual(a.score.toFloat32Array());
  });

  it('rejects a row with no real token and a wrong head shape', () => {
    expect(() => rm.forward([rows[0]], { attentionMask: [[0, 0, 0, 0, 0, 0, 0]] })).toThrow(/row 0 .* no real token/);
    expect(() => RewardModel.fromBackbone(rm.backbone, { numLabels: 0 })).toThrow(/numLabels must be ≥ 1/);
    expect(() => new RewardModel(rm.backbone, rm.score, ['a', 'b'])).toThrow(/labels has 2 names/);
  });
});

describe('RewardModel save / load (HF layout)', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('writes config.json with num_labels and model.safetensors with score.weight, and loads back equal', async () => {
    const model = createRewardModel(TINY_RM_CONFIG, { seed: 5, labels: ['safe'] });
    const dir = await mkdtemp(join(tmpdir(), 'aha-rm-'));
    dirs.push(dir);
    await model.save(dir);
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    expect(config.num_labels).toBe(1);
    expect(config.architectures).toEqual([REWARD_MODEL_ARCHITECTURE]);
    expect(config.id2label).toEqual({ 0: 'safe' });
    expect(config.hidden_size).toBe(32);
    const tensors = await readSafetensors(join(dir, 'model.safetensors'));
    const names = [...tensors.keys()];
    expect(tensors.get('score.weight')?.shape).toEqual([1, 32]);
    expect(names).not.toContain('lm_head.weight');
    expect(names).toContain('model.layers.1.mlp.gate.e_score_correction_bias');

    const loaded = await loadRewardModel(dir);
    expect(loaded.labels).toEqual(['safe']);
    expect(loaded.predict(rows)).toEqual(model.predict(rows));
  });

  it('names the missing tensor of an incomplete checkpoint', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aha-rm-'));
    dirs.push(dir);
    await createModel(TINY_RM_CONFIG).save(dir); // a causal LM: no score.weight
    await expect(loadRewardModel(dir)).rejects.toThrow(/no tensor "score.weight"/);
  });
});
