/**
 * GRPO on a dense model: one optimizer step of the unchanged GrpoTrainer on a tiny Qwen2 (q/k/v biases, GQA, tied
 * head) with the byte-level vocabulary — rollouts through `model.generate` with the GQA KV cache, log-probs through
 * `forwardHidden` + the fused LM head, a KL reference cloned with `createModel(model.config)` — and its checkpoint
 * folder loads back as a Qwen2 model with the trained weights.
 * Leaves out: LoRA (a later slice); the loss arithmetic itself is checked on DeepSeek-V3 in trainer.test.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel, DenseModel, listCheckpoints, loadModel } from '@aha/core';
import { byteLevelQwen2Config } from '@aha/core/testing';
import { defineReward } from '@aha/rewards';
import { afterEach, expect, it } from 'vitest';
import { generateAddition } from '../tasks/addition.js';
import { additionAccuracy, tinyTokenizer } from './__fixtures__/tiny.js';
import { GrpoTrainer } from './trainer.js';

/** A reward with spread inside groups (an untrained model scores 0 on addition): character count mod 4, over 3. */
const lengthMod = defineReward({
  name: 'lengthMod',
  async score(samples) {
    return samples.map((s) => (String(s.completion).length % 4) / 3);
  },
});

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('a GRPO step on a tiny Qwen2 model trains it through the same trainer code as DeepSeek-V3', async () => {
  dir = await mkdtemp(join(tmpdir(), 'aha-grpo-dense-'));
  const tok = tinyTokenizer();
  const model = createModel(byteLevelQwen2Config(tok, 256), { seed: 4 });
  const before = new Map([...model.stateDict()].map(([n, t]) => [n, t.toFloat32Array()]));
  const trainer = new GrpoTrainer({
    model,
    tokenizer: tok,
    dataset: generateAddition({ count: 8, seed: 3, digits: { min: 1, max: 1 } }),
    rewards: [lengthMod, additionAccuracy],
    groupSize: 4,
    promptsPerStep: 2,
    maxCompletionLength: 6,
    maxSteps: 1,
    learningRate: 1e-2,
    beta: 0.05,
    temperature: 1,
    outputDir: dir,
    checkpointEvery: 1,
  });
  const steps = [];
  for await (const m of trainer.train()) steps.push(m);
  expect(steps).toHaveLength(1);
  expect(Number.isFinite(steps[0].loss)).toBe(true);
  expect(trainer.rolloutSamples.every((s) => s.completionIds.length > 0)).toBe(true);
  const changed = [...model.stateDict()].filter(([n, t]) => {
    const a = t.toFloat32Array();
    const b = before.get(n)!;
    return a.some((v, i) => v !== b[i]);
  });
  expect(changed.map(([n]) => n)).toContain('model.layers.0.self_attn.k_proj.bias');
  expect(changed.length).toBe(model.stateDict().size);

  const [ckpt] = await listCheckpoints(join(dir, 'checkpoints'));
  const back = await loadModel(ckpt.dir);
  expect(back).toBeInstanceOf(DenseModel);
  expect(back.config.model_type).toBe('qwen2');
  for (const [n, t] of model.stateDict()) expect(back.stateDict().get(n)!.toFloat32Array()).toEqual(t.toFloat32Array());
});
