import { statSync } from 'node:fs';
import { join } from 'node:path';
import { DeepseekV3Model, deepseekV3ParamCount, loadModel, loadTokenizer } from '@aha/core';
import { describe, expect, it } from 'vitest';
import { evaluateGreedy } from './evaluate.js';
import { heldOutProblems } from './pretrain.js';
import { readBaseModelRecord, SHIPPED_BASE_MODEL_DIR } from './save.js';

describe('shipped base model (assets/r1-zero-base)', () => {
  it('is a small MLA + MoE DeepSeek-V3 with the byte-level tokenizer', async () => {
    const model = await loadModel(SHIPPED_BASE_MODEL_DIR);
    if (!(model instanceof DeepseekV3Model)) throw new Error('the shipped base model must be DeepSeek-V3');
    const c = model.config;
    expect(c.kv_lora_rank).toBeGreaterThan(0);
    expect(c.num_hidden_layers - c.first_k_dense_replace).toBeGreaterThanOrEqual(2);
    expect(c.n_routed_experts).toBeGreaterThan(1);
    expect(deepseekV3ParamCount(c)).toBeLessThan(1_200_000);
    expect(statSync(join(SHIPPED_BASE_MODEL_DIR, 'model.safetensors')).size).toBeLessThan(5 * 1024 * 1024);
    const tok = await loadTokenizer(SHIPPED_BASE_MODEL_DIR);
    expect(tok.encode('<think>', { addSpecialTokens: false })).toEqual([259]);
  });

  it('re-evaluated on its recorded held-out set, greedy accuracy equals base-model.json', async () => {
    const record = await readBaseModelRecord(SHIPPED_BASE_MODEL_DIR);
    const model = await loadModel(SHIPPED_BASE_MODEL_DIR);
    const { task } = record;
    const problems = heldOutProblems(task);
    const r = await evaluateGreedy(model, problems, { maxNewTokens: task.maxNewTokens });
    expect(r.correct).toBe(record.correct);
    expect(r.accuracy).toBeCloseTo(record.heldOutAccuracy, 10);
    // A weak base: right sometimes, wrong often (what R1-Zero starts from).
    expect(record.heldOutAccuracy).toBeGreaterThan(0.1);
    expect(record.heldOutAccuracy).toBeLessThan(0.6);
  }, 30_000);
});
