import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AhaError } from '../../errors.js';
import {
  type ConfigError,
  DeepseekV3ConfigShape,
  deepseekV3ConfigToJson,
  isMoeLayer,
  parseDeepseekV3Config,
} from './config.js';

const tiny = {
  vocab_size: 64,
  hidden_size: 16,
  intermediate_size: 32,
  moe_intermediate_size: 8,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  num_key_value_heads: 2,
  n_routed_experts: 8,
  n_group: 4,
  topk_group: 2,
  num_experts_per_tok: 2,
  first_k_dense_replace: 1,
  q_lora_rank: null,
  kv_lora_rank: 8,
  qk_nope_head_dim: 4,
  qk_rope_head_dim: 4,
  v_head_dim: 4,
};

function issuesOf(input: unknown): string[] {
  try {
    parseDeepseekV3Config(input);
  } catch (err) {
    expect(AhaError.is(err, 'config')).toBe(true);
    return (err as ConfigError).issues as string[];
  }
  throw new Error('expected a ConfigError');
}

describe('DeepseekV3Config', () => {
  it('fills the HF / DeepSeek-V3 defaults', () => {
    const c = parseDeepseekV3Config({});
    expect(c.vocab_size).toBe(129280);
    expect(c.hidden_size).toBe(7168);
    expect(c.n_routed_experts).toBe(256);
    expect(c.q_lora_rank).toBe(1536);
    expect(c.kv_lora_rank).toBe(512);
    expect(c.routed_scaling_factor).toBe(2.5);
    expect(c.first_k_dense_replace).toBe(3);
    expect(c.rope_interleave).toBe(true);
    expect(c.rope_scaling).toBeNull();
    expect(c.rope_theta).toBe(10000);
    expect(c.max_position_embeddings).toBe(4096);
    expect(c.bos_token_id).toBe(0);
    expect(c.eos_token_id).toBe(1);
    expect(c.pad_token_id).toBeNull();
    expect(c.model_type).toBe('deepseek_v3');
  });

  it('accepts the DeepSeek-V3 hub config (YaRN, extra keys) and writes unknown keys back', () => {
    const hub = {
      aux_loss_alpha: 0.001,
      ep_size: 1,
      seq_aux: true,
      quantization_config: { fmt: 'e4m3' },
      max_position_embeddings: 163840,
      eos_token_id: 1,
      rope_scaling: {
        beta_fast: 32,
        beta_slow: 1,
        factor: 40,
        mscale: 1.0,
        mscale_all_dim: 1.0,
        original_max_position_embeddings: 4096,
        type: 'yarn',
      },
      torch_dtype: 'bfloat16',
    };
    const c = parseDeepseekV3Config(hub);
    expect(c.rope_scaling?.factor).toBe(40);
    const back = JSON.parse(deepseekV3ConfigToJson(c));
    expect(back.aux_loss_alpha).toBe(0.001);
    expect(back.quantization_config).toEqual({ fmt: 'e4m3' });
    expect(back.torch_dtype).toBe('bfloat16');
    expect(parseDeepseekV3Config(back)).toEqual(c);
  });

  it('accepts rope_type as an alias of type and folds a v5 rope_parameters block', () => {
    const a = parseDeepseekV3Config({
      rope_scaling: { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 64 },
    });
    expect(a.rope_scaling?.type).toBe('yarn');
    expect(a.rope_scaling?.beta_fast).toBe(32);
    const b = parseDeepseekV3Config({
      rope_parameters: { rope_type: 'yarn', rope_theta: 5000, factor: 2, original_max_position_embeddings: 32 },
    });
    expect(b.rope_theta).toBe(5000);
    expect(b.rope_scaling?.factor).toBe(2);
    const d = parseDeepseekV3Config({ rope_parameters: { rope_type: 'default', rope_theta: 777 } });
    expect(d.rope_theta).toBe(777);
    expect(d.rope_scaling).toBeNull();
  });

  it.each([
    [
      'n_routed_experts not divisible by n_group',
      { n_routed_experts: 10, n_group: 4 },
      /n_routed_experts \(10\).*n_group \(4\)/,
    ],
    ['topk_group > n_group', { topk_group: 5 }, /topk_group \(5\) exceeds n_group \(4\)/],
    [
      'num_experts_per_tok > n_routed_experts',
      { num_experts_per_tok: 9 },
      /num_experts_per_tok \(9\) exceeds n_routed_experts \(8\)/,
    ],
    ['num_experts_per_tok > experts in the kept groups', { num_experts_per_tok: 5 }, /topk_group \(2\) groups of 2/],
    ['groups of one expert', { n_group: 8, topk_group: 2 }, /at least 2 experts/],
    [
      'first_k_dense_replace > layers',
      { first_k_dense_replace: 3 },
      /first_k_dense_replace \(3\) exceeds num_hidden_layers \(2\)/,
    ],
    ['kv heads differ', { num_key_value_heads: 1 }, /num_key_value_heads \(1\) must equal num_attention_heads \(2\)/],
    ['odd rope dim', { qk_rope_head_dim: 3 }, /qk_rope_head_dim \(3\) must be even/],
    ['eos outside vocab', { eos_token_id: [1, 64] }, /eos_token_id \(64\) is outside vocab_size \(64\)/],
    ['pad outside vocab', { pad_token_id: 100 }, /pad_token_id \(100\)/],
    ['non-integer size', { hidden_size: 16.5 }, /hidden_size/],
    ['negative size', { vocab_size: -1 }, /vocab_size/],
    ['unsupported scoring', { scoring_func: 'softmax' }, /scoring_func/],
    ['unsupported rope scaling', { rope_scaling: { type: 'linear', factor: 2 } }, /rope_scaling/],
    ['yarn without original length', { rope_scaling: { type: 'yarn', factor: 2 } }, /original_max_position_embeddings/],
  ])('rejects %s with a message naming the keys', (_name, patch, pattern) => {
    const issues = issuesOf({ ...tiny, ...patch });
    expect(issues.join('\n')).toMatch(pattern);
  });

  it('reports every problem at once', () => {
    expect(issuesOf({ ...tiny, topk_group: 9, qk_rope_head_dim: 5 }).length).toBeGreaterThanOrEqual(2);
  });

  it('every field has a description', () => {
    const inner: Record<string, { description?: string }> = DeepseekV3ConfigShape.shape;
    const missing = Object.entries(inner)
      .filter(([, s]) => !s.description)
      .map(([k]) => k);
    expect(missing).toEqual([]);
    expect(Object.keys(inner).length).toBeGreaterThan(40);
  });

  it('exports a JSON Schema whose descriptions and defaults come from the zod schema', () => {
    const js = z.toJSONSchema(DeepseekV3ConfigShape, { io: 'input', unrepresentable: 'any' }) as {
      properties: Record<string, { description?: string; default?: unknown }>;
    };
    expect(js.properties.kv_lora_rank).toMatchObject({ default: 512, description: expect.stringMatching(/latent/) });
    expect(Object.values(js.properties).every((p) => typeof p.description === 'string')).toBe(true);
  });

  it('places MoE layers after first_k_dense_replace, every moe_layer_freq-th', () => {
    const c = parseDeepseekV3Config({ ...tiny, num_hidden_layers: 6, first_k_dense_replace: 1, moe_layer_freq: 2 });
    expect([0, 1, 2, 3, 4, 5].map((i) => isMoeLayer(c, i))).toEqual([false, false, true, false, true, false]);
  });
});
