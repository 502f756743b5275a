/**
 * SFT with LoRA: the unchanged SftTrainer on a tiny Qwen2 with adapters on q_proj / v_proj trains only lora_A /
 * lora_B (its optimizer gets `model.parameters()`, which lists only trainable tensors): every base weight stays
 * bit-identical, every lora_B moves off zero, and the loss falls.
 * Leaves out: LoRA in GRPO (reference = base with adapters off), half-precision frozen base (later slices).
 */
import { applyLora, createByteLevelTokenizer, createModel } from '@aha/core';
import { byteLevelQwen2Config } from '@aha/core/testing';
import { expect, it } from 'vitest';
import { additionRows } from '../__fixtures__/tiny.js';
import { SftTrainer } from './trainer.js';

it('SftTrainer steps with LoRA on a tiny Qwen2 change only the adapters', async () => {
  const tokenizer = createByteLevelTokenizer();
  const model = createModel(byteLevelQwen2Config(tokenizer), { seed: 2 });
  applyLora(model, { r: 4, alpha: 16, targetModules: ['q_proj', 'v_proj'] });
  const before = new Map(model.namedParameters().map(([n, t]) => [n, t.toFloat32Array()]));
  const trainer = new SftTrainer({
    model,
    tokenizer,
    dataset: additionRows(4),
    config: { completionOnlyLoss: true, maxLength: 64, learningRate: 2e-2, maxSteps: 6, batchSize: 4, shuffle: false },
  });
  const losses: number[] = [];
  for await (const r of trainer.train()) losses.push(r.loss);
  expect(losses).toHaveLength(6);
  expect(losses[5]).toBeLessThan(losses[0]);
  let adapters = 0;
  for (const [n, t] of model.namedParameters()) {
    const now = t.toFloat32Array();
    if (n.includes('.lora_B.')) {
      adapters++;
      expect(
        now.some((v) => v !== 0),
        n,
      ).toBe(true);
    } else if (!n.includes('.lora_A.')) expect(now, n).toEqual(before.get(n));
  }
  expect(adapters).toBe(4);
});
