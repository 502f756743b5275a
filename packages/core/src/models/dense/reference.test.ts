/**
 * Logits of the dense families against an independent reference: tools/reference/dense_reference.py runs HF
 * LlamaForCausalLM / Qwen2ForCausalLM / Qwen3ForCausalLM semantics in float64 on tiny random checkpoints (llama3,
 * dynamic and linear RoPE; GQA, MQA and MHA; tied and untied heads; Llama attention + MLP biases, Qwen2 q/k/v biases,
 * Qwen3 q/k norms with an explicit head_dim; F32 and BF16 files; one sharded checkpoint). We load each HF folder with
 * the family dispatch of `loadModel` and compare logits. bf16 files hold bf16 weights but compute runs in float32 here
 * and float64 in the reference, so the float32 bound (1e-4) holds for them too.
 * Leaves out: bf16 compute (weights in half precision in memory is a later slice).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readSafetensors } from '../../io/safetensors.js';
import { loadModel } from '../index.js';
import { DenseModel } from './model.js';

const fixtures = [
  ['llama3-gqa-f32', 'llama'],
  ['llama-dynamic-bias-tied-sharded-f32', 'llama'],
  ['qwen2-mqa-tied-f32', 'qwen2'],
  ['qwen2-linear-bf16', 'qwen2'],
  ['qwen3-headdim-f32', 'qwen3'],
  ['qwen3-tied-bf16', 'qwen3'],
] as const;
const dirOf = (name: string) => fileURLToPath(new URL(`./__fixtures__/${name}`, import.meta.url));

describe.each(fixtures)('reference logits: %s', (name, family) => {
  it(`loads as ${family} and matches the float64 PyTorch reference within 1e-4`, async () => {
    const dir = dirOf(name);
    const ref = JSON.parse(await readFile(`${dir}/reference.json`, 'utf8')) as {
      tokens: number[][];
      logits_shape: number[];
    };
    const expected = (await readSafetensors(`${dir}/logits.safetensors`)).get('logits')!;
    const model = await loadModel(dir);
    expect(model).toBeInstanceOf(DenseModel);
    expect(model.config.model_type).toBe(family);
    const logits = model.forward(ref.tokens);
    expect(logits.shape).toEqual(ref.logits_shape);
    const got = logits.values();
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - expected.data[i]));
    expect(worst, 'max |Δlogit|').toBeLessThan(1e-4);
    // Each row alone gives its batch row (positions and masks per row).
    const row = model.forward([ref.tokens[1]]).values();
    const V = ref.logits_shape[2];
    const T = ref.logits_shape[1];
    let rowWorst = 0;
    for (let i = 0; i < row.length; i++) rowWorst = Math.max(rowWorst, Math.abs(row[i] - got[T * V + i]));
    expect(rowWorst).toBeLessThan(1e-5);
  });
});
