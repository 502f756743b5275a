/**
 * SFT on a dense model: the unchanged SftTrainer on a tiny Qwen2 (q/k/v biases, GQA, tied head) with the byte-level
 * vocabulary. The first step's reported loss equals a hand-computed float64 NLL of the model before the step (so the
 * fused `forwardHidden` + LM-head path the trainer uses is the model's own), and a few steps lower the loss.
 * Leaves out: LoRA (sft/lora.test.ts); packing and resume are covered on DeepSeek-V3 in trainer.test.ts.
 */
import { createByteLevelTokenizer, createModel, noGrad } from '@aha/core';
import { byteLevelQwen2Config } from '@aha/core/testing';
import { expect, it } from 'vitest';
import { additionRows } from '../__fixtures__/tiny.js';
import { tokenizeSftDataset } from '../data/sft-data.js';
import { SftTrainer } from './trainer.js';

it('SFT steps on a tiny Qwen2 model through the same trainer code as DeepSeek-V3', async () => {
  const tokenizer = createByteLevelTokenizer();
  const model = createModel(byteLevelQwen2Config(tokenizer), { seed: 2 });
  const rows = additionRows(4);
  const config = { completionOnlyLoss: true, maxLength: 64, appendEos: true, ignoreIndex: -100 };
  // Hand NLL of the whole dataset (one batch of 4) before training, one unpadded row at a time, in float64.
  const { examples } = tokenizeSftDataset(rows, tokenizer, config);
  let total = 0;
  let count = 0;
  for (const ex of examples) {
    const logits = noGrad(() => model.forward([ex.tokens])).toFloat32Array();
    const V = 263;
    for (let j = 1; j < ex.tokens.length; j++) {
      if (ex.labels[j] === -100) continue;
      const row = Array.from(logits.subarray((j - 1) * V, j * V));
      const m = Math.max(...row);
      total += m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0)) - row[ex.tokens[j]];
      count++;
    }
  }
  const trainer = new SftTrainer({
    model,
    tokenizer,
    dataset: rows,
    config: { ...config, learningRate: 1e-2, maxSteps: 12, batchSize: 4, shuffle: false },
  });
  const losses: number[] = [];
  for await (const r of trainer.train()) losses.push(r.loss);
  expect(losses).toHaveLength(12);
  expect(losses[0]).toBeCloseTo(total / count, 4);
  expect(losses[11]).toBeLessThan(losses[0] * 0.8);
});
