import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SafetensorsCheckpoint, SafetensorsFile, writeSafetensors } from '../../io/safetensors.js';
import { parseDeepseekV3Config, readDeepseekV3Config } from './config.js';
import { deepseekV3HfParams, deepseekV3ParamCount } from './hf-names.js';
import { ropeInvFreq, softmaxScale } from './rope.js';

const FIXTURES = join(import.meta.dirname, '__fixtures__');
const fixtures = (await readdir(FIXTURES, { withFileTypes: true }))
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();
const tmp = await mkdtemp(join(tmpdir(), 'aha-names-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('DeepseekV3ForCausalLM name table', () => {
  it('has the four reference fixtures', () => {
    expect(fixtures).toEqual(['tiny-dense-tied-f16', 'tiny-qlora-f32', 'tiny-qproj-bf16', 'tiny-yarn-mtp-bf16']);
  });

  it('counts DeepSeek-V3: 671.0B main-model parameters, 684.5B with the MTP module', () => {
    const c = parseDeepseekV3Config({ max_position_embeddings: 163840 });
    expect(deepseekV3ParamCount({ ...c, num_nextn_predict_layers: 0 })).toBe(671_026_419_200);
    expect(deepseekV3ParamCount(c)).toBe(684_489_845_504);
  });

  it('names the q_lora / q_proj, dense / MoE, bias and MTP variants', () => {
    const base = {
      vocab_size: 10,
      hidden_size: 8,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      num_key_value_heads: 2,
    };
    const moe = { n_routed_experts: 4, n_group: 2, topk_group: 1, num_experts_per_tok: 2, first_k_dense_replace: 1 };
    const dims = { kv_lora_rank: 4, qk_nope_head_dim: 2, qk_rope_head_dim: 2, v_head_dim: 3, moe_intermediate_size: 5 };
    const c = parseDeepseekV3Config({ ...base, ...moe, ...dims, q_lora_rank: 6, num_nextn_predict_layers: 1 });
    const byName = new Map(deepseekV3HfParams(c).map((p) => [p.name, p]));
    expect(byName.get('model.layers.0.self_attn.q_a_proj.weight')?.shape).toEqual([6, 8]);
    expect(byName.get('model.layers.0.self_attn.q_b_proj.weight')?.shape).toEqual([2 * 4, 6]);
    expect(byName.get('model.layers.0.self_attn.kv_a_proj_with_mqa.weight')?.shape).toEqual([4 + 2, 8]);
    expect(byName.get('model.layers.0.self_attn.kv_b_proj.weight')?.shape).toEqual([2 * (2 + 3), 4]);
    expect(byName.get('model.layers.0.self_attn.o_proj.weight')?.shape).toEqual([8, 2 * 3]);
    expect(byName.has('model.layers.0.mlp.gate_proj.weight')).toBe(true); // dense layer 0
    expect(byName.has('model.layers.0.mlp.gate.weight')).toBe(false);
    expect(byName.get('model.layers.1.mlp.experts.3.down_proj.weight')?.shape).toEqual([8, 5]);
    expect(byName.get('model.layers.1.mlp.gate.e_score_correction_bias')).toEqual({
      name: 'model.layers.1.mlp.gate.e_score_correction_bias',
      shape: [4],
      init: 'zeros',
    });
    expect(byName.get('model.layers.1.mlp.shared_experts.up_proj.weight')?.shape).toEqual([5, 8]);
    expect(byName.get('model.layers.2.eh_proj.weight')?.shape).toEqual([8, 16]);
    expect(byName.get('model.layers.2.shared_head.head.weight')?.shape).toEqual([10, 8]);
    expect(byName.has('model.layers.2.mlp.experts.0.gate_proj.weight')).toBe(true); // the MTP block is MoE
    expect(byName.has('model.layers.0.self_attn.q_a_proj.bias')).toBe(false);
    const plain = parseDeepseekV3Config({ ...base, ...moe, ...dims, q_lora_rank: null, attention_bias: true });
    const names = deepseekV3HfParams(plain).map((p) => p.name);
    expect(names).toContain('model.layers.0.self_attn.q_proj.weight');
    expect(names).not.toContain('model.layers.0.self_attn.q_a_proj.weight');
    expect(names).toContain('model.layers.1.self_attn.o_proj.bias');
    expect(names).toContain('model.layers.1.self_attn.kv_a_proj_with_mqa.bias');
    expect(new Set(names).size).toBe(names.length);
    const tied = parseDeepseekV3Config({ ...base, ...moe, ...dims, tie_word_embeddings: true });
    expect(deepseekV3HfParams(tied).map((p) => p.name)).not.toContain('lm_head.weight');
  });
});

describe.each(fixtures)('fixture %s (written by tools/reference/deepseek_v3_reference.py)', (name) => {
  const dir = join(FIXTURES, name);

  it('config validates and the name table matches the checkpoint tensor for tensor', async () => {
    const config = await readDeepseekV3Config(join(dir, 'config.json'));
    const reference = JSON.parse(await readFile(join(dir, 'reference.json'), 'utf8'));
    const ck = await SafetensorsCheckpoint.open(dir);
    try {
      const table = deepseekV3HfParams(config);
      expect(ck.names()).toEqual(table.map((p) => p.name).sort());
      for (const p of table) {
        const info = ck.info(p.name);
        expect(info.shape, p.name).toEqual(p.shape);
        expect(info.dtype).toBe(reference.dtype);
      }
    } finally {
      await ck.close();
    }
  });

  it('our YaRN / RoPE numbers equal the reference (inv_freq bit-exact)', async () => {
    const config = await readDeepseekV3Config(join(dir, 'config.json'));
    const { rope } = JSON.parse(await readFile(join(dir, 'reference.json'), 'utf8'));
    const { invFreq, attentionFactor } = ropeInvFreq(config);
    expect(Array.from(invFreq)).toEqual(rope.inv_freq);
    expect(attentionFactor).toBeCloseTo(rope.attention_factor, 14);
    expect(softmaxScale(config)).toBeCloseTo(rope.softmax_scale, 14);
  });

  it('reference logits have the recorded shape, and our writer reproduces the Python-written file byte for byte', async () => {
    const reference = JSON.parse(await readFile(join(dir, 'reference.json'), 'utf8'));
    const logits = await SafetensorsFile.open(join(dir, 'logits.safetensors'));
    expect(logits.info('logits').shape).toEqual(reference.logits_shape);
    await logits.close();
    const ck = await SafetensorsCheckpoint.open(dir);
    const tensors = new Map<string, { data: Float32Array; shape: number[] }>();
    for (const n of ck.names()) tensors.set(n, await ck.read(n));
    await ck.close();
    const out = join(tmp, `${name}.safetensors`);
    await writeSafetensors(out, tensors, { dtype: reference.dtype });
    expect(Buffer.compare(await readFile(out), await readFile(join(dir, 'model.safetensors')))).toBe(0);
  });
});
