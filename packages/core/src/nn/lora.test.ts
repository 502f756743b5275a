/**
 * LoRA on the tiny Qwen2 and DeepSeek-V3 models: B = 0 reproduces the base logits, AdamW steps on a toy loss move
 * only lora_A / lora_B (base bit-identical), PEFT-format save → load round trips the logits exactly, the files carry
 * PEFT's tensor names / shapes and adapter_config.json keys, merge matches the adapted logits and saves a plain
 * checkpoint that loads as an ordinary model, and the typed errors (unknown target, unsupported config keys, missing
 * or mis-shaped tensors). Leaves out: a PEFT-written fixture from Python (no torch here), dropout statistics.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors } from '../io/safetensors.js';
import { TINY_CONFIG } from '../models/deepseek-v3/testing.js';
import { TINY_QWEN2_CONFIG } from '../models/dense/testing.js';
import { createModel, loadModel, type Model } from '../models/index.js';
import { loadLoraAdapter, saveLoraAdapter } from '../models/lora/peft.js';
import { AdamW } from '../optim/adamw.js';
import { applyLora, loraStateOf, mergeLora, trainableParameters } from './lora.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'aha-lora-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const TOKENS = [
  [2, 5, 9, 13, 7, 21, 3, 30],
  [2, 11, 4, 8, 19, 6, 25, 17],
];

const CASES: { name: string; make: () => Model; targets: string[]; adapted: number }[] = [
  {
    name: 'qwen2',
    make: () => createModel(TINY_QWEN2_CONFIG, { seed: 5 }),
    targets: ['q_proj', 'v_proj', 'down_proj'],
    adapted: 6,
  },
  {
    name: 'deepseek_v3',
    make: () => createModel(TINY_CONFIG, { seed: 5 }),
    // 'mlp.gate_proj' = the dense layer's MLP only (routed experts cannot take LoRA), plus the shared experts.
    targets: ['q_b_proj', 'o_proj', 'mlp.gate_proj', 'shared_experts.up_proj'],
    adapted: 12, // 3 layers + the MTP module
  },
];

function logits(model: Model): Float32Array {
  model.eval();
  const out = model.forward(TOKENS).toFloat32Array();
  model.train();
  return out;
}

function snapshot(model: Model): Map<string, Float32Array> {
  return new Map(model.namedParameters().map(([n, t]) => [n, t.toFloat32Array()]));
}

function trainSteps(model: Model, steps = 3): void {
  const opt = new AdamW(model.parameters(), { lr: 0.05, weightDecay: 0 });
  for (let s = 0; s < steps; s++) {
    model.loss(TOKENS).loss.backward();
    opt.step();
    opt.zeroGrad();
  }
}

describe.each(CASES)('$name', ({ make, targets, adapted }) => {
  it('B = 0 gives the base logits; only adapters are trainable', () => {
    const model = make();
    const base = logits(model);
    const paths = applyLora(model, { r: 4, alpha: 8, targetModules: targets });
    expect(paths).toHaveLength(adapted);
    expect(logits(model)).toEqual(base);
    const trainable = trainableParameters(model).map(([n]) => n);
    expect(trainable).toHaveLength(2 * adapted);
    expect(trainable.every((n) => /\.lora_[AB]\.weight$/.test(n))).toBe(true);
    expect(model.parameters()).toHaveLength(2 * adapted);
    for (const [n, t] of trainableParameters(model)) {
      if (n.endsWith('lora_B.weight')) expect(t.toFloat32Array().every((v) => v === 0)).toBe(true);
      else expect(t.toFloat32Array().some((v) => v !== 0)).toBe(true);
    }
  });

  it('optimizer steps change only the adapters; save → load and merge reproduce the logits', async () => {
    const model = make();
    applyLora(model, { r: 4, alpha: 8, targetModules: targets, seed: 3 });
    const before = snapshot(model);
    trainSteps(model);
    const after = snapshot(model);
    for (const [n, v] of before) {
      if (/lora_B/.test(n)) expect(after.get(n), n).not.toEqual(v);
      else if (!/lora_A/.test(n)) expect(after.get(n), n).toEqual(v); // base bit-identical
    }
    const adaptedLogits = logits(model);

    const dir = await tempDir();
    await saveLoraAdapter(model, dir, { baseModelNameOrPath: 'tiny' });
    const fresh = make();
    expect(await loadLoraAdapter(fresh, dir)).toEqual(loraStateOf(model)?.adapted);
    expect(logits(fresh)).toEqual(adaptedLogits);

    mergeLora(model);
    expect(loraStateOf(model)).toBeNull();
    expect(model.namedParameters().some(([n]) => n.includes('lora_'))).toBe(false);
    const merged = logits(model);
    for (let i = 0; i < merged.length; i++) expect(Math.abs(merged[i] - adaptedLogits[i])).toBeLessThan(1e-5);
    const ckpt = await tempDir();
    await model.save(ckpt);
    const plain = await loadModel(ckpt);
    expect(logits(plain)).toEqual(merged);
  });
});

describe('PEFT format', () => {
  it('writes PEFT tensor names and shapes and adapter_config.json keys', async () => {
    const model = createModel(TINY_QWEN2_CONFIG, { seed: 1 });
    applyLora(model, { r: 2, alpha: 16, dropout: 0.05, targetModules: ['q_proj', 'v_proj'] });
    const dir = await tempDir();
    await saveLoraAdapter(model, dir, { baseModelNameOrPath: 'Qwen/Qwen2.5-0.5B' });
    const cfg = JSON.parse(await readFile(join(dir, 'adapter_config.json'), 'utf8'));
    expect(cfg).toMatchObject({
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      r: 2,
      lora_alpha: 16,
      lora_dropout: 0.05,
      target_modules: ['q_proj', 'v_proj'],
      bias: 'none',
      base_model_name_or_path: 'Qwen/Qwen2.5-0.5B',
      use_dora: false,
      use_rslora: false,
    });
    const tensors = await readSafetensors(join(dir, 'adapter_model.safetensors'));
    const table = [...tensors].map(([n, t]) => `${n} ${t.shape.join('x')}`).sort();
    // tiny Qwen2: hidden 32, 4 heads of 8, one K/V head → q_proj 32→32, v_proj 32→8.
    expect(table).toEqual([
      'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight 2x32',
      'base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight 32x2',
      'base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight 2x32',
      'base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight 8x2',
      'base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight 2x32',
      'base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight 32x2',
      'base_model.model.model.layers.1.self_attn.v_proj.lora_A.weight 2x32',
      'base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight 8x2',
    ]);
  });
});

describe('PEFT-written config', () => {
  it('loads a config with the keys a recent PEFT writes (all at their defaults)', async () => {
    const model = createModel(TINY_QWEN2_CONFIG, { seed: 1 });
    applyLora(model, { r: 2, alpha: 4, targetModules: ['v_proj', 'q_proj'] });
    trainSteps(model, 1);
    const dir = await tempDir();
    await saveLoraAdapter(model, dir);
    // The key set PEFT ≥ 0.14 writes for a plain LoRA (set-valued target_modules come out in any order).
    const peftConfig = {
      alpha_pattern: {},
      auto_mapping: null,
      base_model_name_or_path: 'Qwen/Qwen2.5-0.5B',
      bias: 'none',
      eva_config: null,
      exclude_modules: null,
      fan_in_fan_out: false,
      inference_mode: true,
      init_lora_weights: true,
      layer_replication: null,
      layers_pattern: null,
      layers_to_transform: null,
      loftq_config: {},
      lora_alpha: 4,
      lora_bias: false,
      lora_dropout: 0.0,
      megatron_config: null,
      megatron_core: 'megatron.core',
      modules_to_save: null,
      peft_type: 'LORA',
      r: 2,
      rank_pattern: {},
      revision: null,
      target_modules: ['q_proj', 'v_proj'],
      task_type: 'CAUSAL_LM',
      use_dora: false,
      use_rslora: false,
    };
    await writeFile(join(dir, 'adapter_config.json'), JSON.stringify(peftConfig, null, 2));
    const fresh = createModel(TINY_QWEN2_CONFIG, { seed: 1 });
    await loadLoraAdapter(fresh, dir);
    expect(logits(fresh)).toEqual(logits(model));
  });
});

describe('dropout', () => {
  it('drops adapter inputs in training mode only', () => {
    const model = createModel(TINY_QWEN2_CONFIG, { seed: 1 });
    applyLora(model, { r: 2, dropout: 0.5, targetModules: ['q_proj'], seed: 4 });
    for (const [n, t] of trainableParameters(model)) if (n.includes('lora_B')) t.values().fill(0.3);
    model.eval();
    const a = model.forward(TOKENS).toFloat32Array();
    expect(model.forward(TOKENS).toFloat32Array()).toEqual(a); // eval: deterministic, no dropout
    model.train();
    const b = model.forward(TOKENS).toFloat32Array();
    const c = model.forward(TOKENS).toFloat32Array();
    expect(b).not.toEqual(a);
    expect(c).not.toEqual(b); // a fresh mask each forward
  });
});

describe('errors', () => {
  const qwen = () => createModel(TINY_QWEN2_CONFIG, { seed: 1 });

  it.each([
    [{ r: 2, targetModules: ['qq_proj'] }, /target "qq_proj" matches no Linear module; available: .*q_proj.*v_proj/],
    [{ r: 0, targetModules: ['q_proj'] }, /r must be a positive integer/],
    [{ r: 2, dropout: 1, targetModules: ['q_proj'] }, /dropout must be in \[0, 1\)/],
    [{ r: 2, targetModules: [] }, /targetModules is empty/],
  ])('applyLora %j', (opts, msg) => {
    expect(() => applyLora(qwen(), opts)).toThrow(msg);
  });

  it('refuses Linears whose weights are read directly', () => {
    expect(() => applyLora(createModel(TINY_CONFIG), { r: 2, targetModules: ['gate_proj'] })).toThrow(
      /experts\.\d+\.gate_proj.*routed experts/,
    );
    expect(() => applyLora(createModel(TINY_CONFIG), { r: 2, targetModules: ['kv_b_proj'] })).toThrow(/absorbed/);
  });

  it.each([
    [{ use_dora: true }, /use_dora true is not supported/],
    [{ bias: 'all' }, /bias "all" is not supported/],
    [{ use_rslora: true }, /use_rslora/],
    [{ target_modules: 'q_proj|v_proj' }, /regex string is not supported/],
    [{ peft_type: 'IA3' }, /peft_type "IA3"/],
    [{ some_new_switch: 3 }, /unknown key some_new_switch = 3/],
  ])('loadLoraAdapter refuses config %j', async (patch, msg) => {
    const model = qwen();
    applyLora(model, { r: 2, targetModules: ['q_proj'] });
    const dir = await tempDir();
    await saveLoraAdapter(model, dir);
    const path = join(dir, 'adapter_config.json');
    await writeFile(path, JSON.stringify({ ...JSON.parse(await readFile(path, 'utf8')), ...patch }));
    const target = qwen();
    await expect(loadLoraAdapter(target, dir)).rejects.toThrow(msg);
    expect(loraStateOf(target)).toBeNull();
  });

  it.each([
    ['missing', /has no tensor "base_model\.model\.model\.layers\.1\.self_attn\.q_proj\.lora_B\.weight"/],
    ['shape', /"base_model\.model\.model\.layers\.1\.self_attn\.q_proj\.lora_B\.weight" is \[32, 3\]/],
    ['extra', /tensors no adapted module takes: base_model\.model\.x\.lora_A\.weight/],
  ])('loadLoraAdapter: %s tensor', async (kind, msg) => {
    const model = qwen();
    applyLora(model, { r: 2, targetModules: ['q_proj'] });
    const dir = await tempDir();
    await saveLoraAdapter(model, dir);
    const file = join(dir, 'adapter_model.safetensors');
    const tensors = await readSafetensors(file);
    const name = 'base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight';
    if (kind === 'missing') tensors.delete(name);
    if (kind === 'shape') tensors.set(name, { data: new Float32Array(96), shape: [32, 3] });
    if (kind === 'extra') tensors.set('base_model.model.x.lora_A.weight', { data: new Float32Array(2), shape: [1, 2] });
    await writeSafetensors(file, tensors);
    const target = qwen();
    const base = logits(target);
    await expect(loadLoraAdapter(target, dir)).rejects.toThrow(msg);
    expect(loraStateOf(target)).toBeNull();
    expect(logits(target)).toEqual(base);
    expect(target.parameters()).toHaveLength(new Set(target.namedParameters().map(([, t]) => t)).size); // unfrozen
  });

  it('mergeLora / saveLoraAdapter without adapters, applyLora twice', async () => {
    const model = qwen();
    expect(() => mergeLora(model)).toThrow(/no LoRA adapters/);
    await expect(saveLoraAdapter(model, await tempDir())).rejects.toThrow(/no LoRA adapters/);
    applyLora(model, { r: 2, targetModules: ['q_proj'] });
    expect(() => applyLora(model, { r: 2, targetModules: ['q_proj'] })).toThrow(/already has LoRA adapters/);
    await expect(model.save(await tempDir())).rejects.toThrow(/has LoRA adapters; mergeLora\(model\) first/);
  });
});
