/**
 * The dense families through the public entry points: `createModel` of tiny configs of each family, greedy cached
 * decoding (GQA KV cache) against repeated full forwards with left-padded prompts, HF-layout save → load round trips
 * (f32 bit-identical, sharded), the fused loss against the unfused logits, and the typed errors of the family
 * dispatch and the load checks. The logits against the PyTorch reference are in reference.test.ts.
 * Leaves out: half-precision weights in memory (a later slice); LoRA is tested in nn/lora.test.ts.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { noGrad } from '../../autograd/node.js';
import { crossEntropy } from '../../nn/functional.js';
import { ConfigError } from '../deepseek-v3/config.js';
import { createModel, loadModel } from '../index.js';
import type { DenseConfigInput } from './config.js';
import { denseHfParamsOf } from './hf-names.js';
import { DenseModel } from './model.js';
import { TINY_LLAMA_CONFIG, TINY_QWEN2_CONFIG, TINY_QWEN3_CONFIG } from './testing.js';

const common = { ...TINY_QWEN2_CONFIG, model_type: undefined, num_key_value_heads: 2, tie_word_embeddings: false };
const TINY: Record<string, DenseConfigInput> = {
  llama: TINY_LLAMA_CONFIG,
  qwen2: TINY_QWEN2_CONFIG,
  qwen3: TINY_QWEN3_CONFIG,
};

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'aha-dense-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** Gives every bias and norm weight non-trivial values, so a lost or misplaced tensor shows in the logits. */
function perturb(model: DenseModel, seed = 1): DenseModel {
  let s = seed;
  for (const [name, t] of model.stateDict()) {
    if (!/bias|norm/.test(name)) continue;
    const v = t.values();
    for (let i = 0; i < v.length; i++) {
      s = (s * 16807) % 2147483647;
      v[i] += (s / 2147483647 - 0.5) * 0.6;
    }
  }
  return model;
}

describe.each(Object.keys(TINY))('%s', (family) => {
  const config = TINY[family];

  it('createModel builds the HF parameter table of the family', () => {
    const model = createModel(config, { seed: 3 });
    expect(model).toBeInstanceOf(DenseModel);
    const names = [...model.stateDict()].map(([n, t]) => `${n} ${t.shape.join('x')}`).sort();
    const table = [...denseHfParamsOf(model.config)].map((p) => `${p.name} ${p.shape.join('x')}`).sort();
    expect(names).toEqual(table);
    expect(names.some((n) => n.includes('q_norm'))).toBe(family === 'qwen3');
    expect(names.some((n) => n.includes('q_proj.bias'))).toBe(family !== 'llama');
    expect(names.some((n) => n.startsWith('lm_head.'))).toBe(family !== 'qwen2');
  });

  it('greedy decoding with the GQA KV cache equals repeated full forwards (left-padded prompts)', async () => {
    const model = perturb(createModel(config, { seed: 5 }));
    const prompts = [[5, 9, 2, 7, 11], [3], [8, 8, 4]];
    const opts = { maxNewTokens: 8, temperature: 0, stop: [] as number[] };
    const cached = await model.generate(prompts, { ...opts, useCache: true });
    const full = await model.generate(prompts, { ...opts, useCache: false });
    expect(cached.map((g) => g.tokens)).toEqual(full.map((g) => g.tokens));
    for (const [i, g] of cached.entries()) {
      for (const [j, lp] of g.logprobs.entries()) expect(lp).toBeCloseTo(full[i].logprobs[j], 4);
    }
    // The cached path's first step also equals each prompt run alone (padding does not leak).
    for (const [i, p] of prompts.entries()) {
      const alone = await model.generate([p], { ...opts, maxNewTokens: 3 });
      expect(alone[0].tokens).toEqual(cached[i].tokens.slice(0, 3));
    }
    // Sampled decoding returns log-probs of the sampled tokens under the same contract.
    const sampled = await model.generate([prompts[0]], { maxNewTokens: 4, temperature: 0.8, seed: 2, stop: [] });
    expect(sampled[0].tokens).toHaveLength(4);
    expect(sampled[0].logprobs.every((lp) => lp <= 0 && Number.isFinite(lp))).toBe(true);
  });

  it('save → loadModel round trip is bit-identical (f32), and bf16 / sharded folders load', async () => {
    const model = perturb(createModel(config, { seed: 7 }));
    const dir = await tempDir();
    await model.save(dir, { maxShardBytes: 16_000 });
    const cfg = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    expect(cfg.model_type).toBe(family);
    const index = JSON.parse(await readFile(join(dir, 'model.safetensors.index.json'), 'utf8'));
    expect(new Set(Object.values(index.weight_map)).size).toBeGreaterThan(1);
    const back = await loadModel(dir);
    expect(back).toBeInstanceOf(DenseModel);
    for (const [n, t] of model.stateDict()) {
      expect(Buffer.from(back.stateDict().get(n)!.toFloat32Array().buffer)).toEqual(
        Buffer.from(t.toFloat32Array().buffer),
      );
    }
    const tokens = [[3, 4, 5, 6]];
    expect(back.forward(tokens).values()).toEqual(model.forward(tokens).values());
    const bf = await tempDir();
    await model.save(bf, { dtype: 'BF16' });
    const fromBf16 = await loadModel(bf);
    const a = model.forward(tokens).values();
    const b = fromBf16.forward(tokens).values();
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    expect(worst).toBeGreaterThan(0);
    expect(worst).toBeLessThan(0.1);
  });

  it('the fused loss equals cross-entropy of the logits, and every parameter gets a gradient', () => {
    const model = perturb(createModel(config, { seed: 9 }));
    const tokens = [
      [0, 0, 5, 6, 7, 8],
      [9, 10, 11, 12, 13, 14],
    ];
    const attentionMask = [
      [0, 0, 1, 1, 1, 1],
      [1, 1, 1, 1, 1, 1],
    ];
    const { loss } = model.loss(tokens, { attentionMask });
    const targets = [
      [-100, -100, 6, 7, 8, -100],
      [10, 11, 12, 13, 14, -100],
    ];
    const ref = noGrad(() => crossEntropy(model.forward(tokens, { attentionMask }), targets));
    expect(loss.item()).toBeCloseTo(ref.item(), 5);
    loss.backward();
    for (const [n, t] of model.namedParameters()) {
      const g = t.grad?.values();
      expect(
        g?.some((v) => v !== 0),
        n,
      ).toBe(true);
    }
    expect(() => model.loss(tokens, { mtpWeight: 0.3 })).toThrow(/no MTP module/);
    expect(() => model.forward(tokens, { impl: 'absorb' })).toThrow(/attention has one path/);
  });
});

describe('family dispatch and load checks', () => {
  it('an unsupported architecture names the supported ones', async () => {
    expect(() => createModel({ model_type: 'gpt2' } as never)).toThrow(
      /supported: DeepseekV3ForCausalLM, LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM/,
    );
    const dir = await tempDir();
    await writeFile(join(dir, 'config.json'), JSON.stringify({ architectures: ['MistralForCausalLM'] }));
    await expect(loadModel(dir)).rejects.toThrow(/MistralForCausalLM.*not supported; supported: .*Qwen3ForCausalLM/);
  });

  it('picks the family from architectures when model_type is absent', async () => {
    const model = createModel({ ...common, architectures: ['Qwen3ForCausalLM'], head_dim: 8 } as never);
    expect(model.config.model_type).toBe('qwen3');
  });

  it('a folder config must state the architecture keys, and must agree with the tensors', async () => {
    const model = createModel(TINY.qwen2, { seed: 1 });
    const dir = await tempDir();
    await model.save(dir);
    const cfg = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    const { intermediate_size: _, ...noWidth } = cfg;
    await writeFile(join(dir, 'config.json'), JSON.stringify(noWidth));
    await expect(loadModel(dir)).rejects.toThrow(ConfigError);
    await expect(loadModel(dir)).rejects.toThrow(/does not state intermediate_size/);
    // An absent num_key_value_heads means one K/V head per query head (HF): here that disagrees with the tensors.
    const { num_key_value_heads: __, ...noKv } = cfg;
    await writeFile(join(dir, 'config.json'), JSON.stringify(noKv));
    await expect(loadModel(dir)).rejects.toThrow(/k_proj\.weight" is \[8, 32\].*needs \[32, 32\]/);
    // Qwen3 needs q_norm / k_norm and head_dim: a Qwen2 checkpoint relabelled is refused before allocating.
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...cfg, model_type: 'qwen3', head_dim: 8 }));
    await expect(loadModel(dir)).rejects.toThrow(/q_norm|q_proj\.bias/);
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...cfg, num_key_value_heads: 2 }));
    await expect(loadModel(dir)).rejects.toThrow(
      /k_proj\.weight" is \[8, 32\].*needs \[16, 32\]: dim 0 is 8 in the checkpoint but 16 from the config \(num_key_value_heads × head dim = 16\)/,
    );
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...cfg, num_hidden_layers: 100000 }));
    await expect(loadModel(dir, { maxBytes: 1e6 })).rejects.toThrow(/memory budget/);
  });

  it('rejects configs it does not implement, naming the key', () => {
    expect(() => createModel({ ...TINY.qwen2, use_sliding_window: true })).toThrow(/use_sliding_window/);
    expect(() => createModel({ ...TINY.llama, num_key_value_heads: 3 })).toThrow(/divisible by num_key_value_heads/);
    expect(() => createModel({ ...TINY.llama, rope_scaling: { type: 'yarn', factor: 2 } } as never)).toThrow(
      /rope_scaling/,
    );
    expect(() => createModel({ ...TINY.qwen2, attention_bias: true })).toThrow(/attention_bias is not a Qwen2 key/);
  });
});
