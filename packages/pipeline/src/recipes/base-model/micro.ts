/**
 * A micro base model for the recipe and command tests: the shipped base model's layout (byte-level ids, MLA + MoE)
 * at the smallest sizes that still exercise every part (2 layers, 2 experts, 2 heads), untrained, saved with its
 * tokenizer and a `base-model.json` task record, so the recipes load it exactly as they load the shipped one.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createByteLevelTokenizer, createModel } from '@aha/core';
import { BASE_MODEL_CONFIG, type TaskOptions, TaskOptionsSchema } from './pretrain.js';

/** The micro sizes (MLA + MoE, 2 layers, hidden 16) over the shipped base model's config: tests' smallest model. */
export const MICRO_SIZES = {
  hidden_size: 16,
  intermediate_size: 16,
  moe_intermediate_size: 8,
  num_hidden_layers: 2,
  n_routed_experts: 2,
  n_group: 1,
  num_attention_heads: 2,
  num_key_value_heads: 2,
  kv_lora_rank: 8,
  qk_nope_head_dim: 4,
  qk_rope_head_dim: 4,
  v_head_dim: 4,
} as const;

/** Saves the micro base model to `dir` with `task` (parsed with TaskOptionsSchema) as its recorded task. */
export async function saveMicroBaseModel(dir: string, task: Partial<TaskOptions> = {}): Promise<void> {
  const model = createModel({ ...BASE_MODEL_CONFIG, ...MICRO_SIZES }, { seed: 1 });
  await model.save(dir);
  await createByteLevelTokenizer().save(dir);
  const record = { task: TaskOptionsSchema.parse({ minDigits: 1, maxDigits: 2, ...task }), heldOutAccuracy: 0 };
  writeFileSync(join(dir, 'base-model.json'), JSON.stringify(record));
}
