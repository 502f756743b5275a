import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AhaError } from '../../errors.js';
import { SafetensorsCheckpoint, writeSafetensors } from '../../io/safetensors.js';
import { narrow } from '../../nn/functional.js';
import type { Tensor } from '../../tensor.js';
import { deepseekV3HfParams } from './hf-names.js';
import { createModel, loadModel } from './model.js';
import { TINY_CONFIG } from './testing.js';

const tokens = [
  [0, 5, 9, 17, 3, 22, 40, 8],
  [0, 12, 7, 7, 31, 2, 19, 44],
];

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return a.length === b.length ? m : Number.POSITIVE_INFINITY;
}

/** logits[b, t, :] */
const row = (logits: Tensor, b: number, t: number) => {
  const [, T, V] = logits.shape;
  return logits.values().slice((b * T + t) * V, (b * T + t + 1) * V);
};

describe('DeepseekV3Model forward', () => {
  const model = createModel(TINY_CONFIG, { seed: 1 });

  it('returns logits [B, T, V], the same for the same seed and different for another', () => {
    const logits = model.forward(tokens);
    expect(logits.shape).toEqual([2, 8, 48]);
    expect(logits.values().every(Number.isFinite)).toBe(true);
    expect(createModel(TINY_CONFIG, { seed: 1 }).forward(tokens).toFloat32Array()).toEqual(logits.toFloat32Array());
    expect(createModel(TINY_CONFIG, { seed: 2 }).forward(tokens).toFloat32Array()).not.toEqual(logits.toFloat32Array());
  });

  it('is causal: a later token does not change earlier logits', () => {
    const a = model.forward(tokens);
    const changed = tokens.map((r) => [...r.slice(0, 5), 33, ...r.slice(6)]);
    const b = model.forward(changed);
    for (let t = 0; t < 5; t++) expect(maxAbsDiff(row(a, 0, t), row(b, 0, t))).toBeLessThan(1e-6);
    expect(maxAbsDiff(row(a, 0, 5), row(b, 0, 5))).toBeGreaterThan(1e-4);
  });

  it('left padding with an attention mask gives the unpadded logits at the real positions', () => {
    const short = [tokens[0].slice(0, 5)];
    const alone = model.forward(short);
    const padded = model.forward([[3, 3, 3, ...short[0]], tokens[1]], {
      attentionMask: [
        [0, 0, 0, 1, 1, 1, 1, 1],
        [1, 1, 1, 1, 1, 1, 1, 1],
      ],
    });
    for (let t = 0; t < 5; t++) expect(maxAbsDiff(row(alone, 0, t), row(padded, 0, t + 3))).toBeLessThan(1e-5);
    const full = model.forward([tokens[1]]);
    expect(maxAbsDiff(row(full, 0, 7), row(padded, 1, 7))).toBeLessThan(1e-5);
  });

  it('the absorbed MLA path gives the naive logits', () => {
    const naive = model.forward(tokens, { impl: 'naive' }).toFloat32Array();
    const absorbed = model.forward(tokens, { impl: 'absorb' }).toFloat32Array();
    expect(maxAbsDiff(naive, absorbed)).toBeLessThan(1e-4);
  });

  it('decoding with the latent cache gives the full-forward logits (within 1e-4), left-padded batch included', () => {
    const mask = [
      [0, 0, 1, 1, 1, 1, 1, 1],
      [1, 1, 1, 1, 1, 1, 1, 1],
    ];
    const full = model.forward(tokens, { attentionMask: mask, impl: 'naive' });
    const cache = model.newCache(2, 8);
    const prefill = model.decode(
      tokens.map((r) => r.slice(0, 6)),
      mask.map((r) => r.slice(0, 6)),
      cache,
    );
    for (let b = 0; b < 2; b++) expect(maxAbsDiff(row(prefill, b, 5), row(full, b, 5))).toBeLessThan(1e-4);
    let past = { keyMask: mask.map((r) => r.slice(0, 6)), positions: [4, 6] };
    for (const t of [6, 7]) {
      const step = model.decode(
        tokens.map((r) => [r[t]]),
        [[1], [1]],
        cache,
        past,
      );
      for (let b = 0; b < 2; b++) expect(maxAbsDiff(row(step, b, 0), row(full, b, t))).toBeLessThan(1e-4);
      past = { keyMask: past.keyMask.map((r) => [...r, 1]), positions: past.positions.map((p) => p + 1) };
    }
    // The cache holds kv_lora_rank + qk_rope_head_dim floats per token and layer, not 2 · heads · head_dim.
    expect(cache.layers[0].floatsPerToken).toBe(16 + 4);
  });

  it('checks its inputs', () => {
    expect(() => model.forward([[1, 2], [3]])).toThrow(/equal length/);
    expect(() => model.forward([[1, 48]])).toThrow(/outside the vocabulary/);
    expect(() => model.forward([[1, 2]], { attentionMask: [[1]] })).toThrow(/attentionMask row 0/);
    try {
      model.forward([[1, 99]]);
    } catch (err) {
      expect(AhaError.is(err, 'index')).toBe(true);
    }
  });
});

describe('DeepseekV3Model training objective', () => {
  it('loss = LM cross-entropy + λ · MTP loss (+ balance loss), with gradients to the MTP module', () => {
    const model = createModel(TINY_CONFIG, { seed: 3 });
    const { logits, mtpLogits } = model.forwardWithMtp(tokens);
    expect(logits.shape).toEqual([2, 8, 48]);
    expect(mtpLogits.map((t) => t.shape)).toEqual([[2, 7, 48]]);
    const out = model.loss(tokens, { mtpWeight: 0.5, balanceAlpha: 0.01 });
    const expected = out.lmLoss.item() + 0.5 * out.mtpLoss!.item() + out.balanceLoss!.item();
    expect(out.loss.item()).toBeCloseTo(expected, 5);
    expect(out.lmLoss.item()).toBeGreaterThan(Math.log(48) * 0.8);
    out.loss.backward();
    const grads = new Map(model.namedParameters().map(([n, p]) => [n, p.grad]));
    expect(grads.get('model.layers.3.eh_proj.weight')).not.toBeNull();
    expect(grads.get('model.layers.3.shared_head.norm.weight')).not.toBeNull();
    expect(grads.get('model.layers.0.self_attn.kv_b_proj.weight')).not.toBeNull();
    expect(grads.get('model.layers.1.mlp.gate.weight')).not.toBeNull();
  });

  it('skips padding targets: a left-padded row has the loss of the same row unpadded', () => {
    const model = createModel(TINY_CONFIG, { seed: 3 });
    const short = tokens[0].slice(0, 5);
    const alone = model.loss([short]);
    const padded = model.loss([[7, 7, 7, ...short]], { attentionMask: [[0, 0, 0, 1, 1, 1, 1, 1]] });
    expect(padded.lmLoss.item()).toBeCloseTo(alone.lmLoss.item(), 5);
    expect(padded.mtpLoss!.item()).toBeCloseTo(alone.mtpLoss!.item(), 5);
  });

  it('the absorbed path trains too: its gradients equal the naive path’s', () => {
    const grads = (impl: 'naive' | 'absorb') => {
      const model = createModel(TINY_CONFIG, { seed: 8 });
      model.loss(tokens, { impl }).loss.backward();
      return new Map(model.namedParameters().map(([n, p]) => [n, p.grad?.toFloat32Array()]));
    };
    const naive = grads('naive');
    const absorbed = grads('absorb');
    for (const name of ['model.layers.0.self_attn.kv_b_proj.weight', 'model.layers.2.self_attn.q_b_proj.weight']) {
      expect(maxAbsDiff(naive.get(name)!, absorbed.get(name)!), name).toBeLessThan(1e-5);
    }
  });

  it('gradients match finite differences of the loss', () => {
    const model = createModel({ ...TINY_CONFIG, num_nextn_predict_layers: 0 }, { seed: 5 });
    const named = new Map(model.namedParameters());
    const loss = () => model.loss(tokens).loss;
    loss().backward();
    const probes: [string, number][] = [
      ['model.layers.0.self_attn.q_a_proj.weight', 3],
      ['model.layers.0.self_attn.kv_a_proj_with_mqa.weight', 17 * 32 + 2], // a rope row (k_pe)
      ['model.layers.1.self_attn.kv_b_proj.weight', 40],
      ['model.layers.2.mlp.gate.weight', 5],
      ['model.layers.2.mlp.shared_experts.down_proj.weight', 9],
      ['model.layers.1.post_attention_layernorm.weight', 4],
      ['model.embed_tokens.weight', 9 * 32 + 1],
    ];
    const eps = 2e-3;
    for (const [name, i] of probes) {
      const p = named.get(name)!;
      const analytic = p.grad!.values()[i];
      const v = p.storage[p.offset + i];
      p.storage[p.offset + i] = v + eps;
      const up = loss().item();
      p.storage[p.offset + i] = v - eps;
      const down = loss().item();
      p.storage[p.offset + i] = v;
      const numeric = (up - down) / (2 * eps);
      expect(Math.abs(analytic - numeric), `${name}[${i}]: ${analytic} vs ${numeric}`).toBeLessThan(
        2e-3 + 0.05 * Math.abs(numeric),
      );
    }
  });

  it('updateRoutingBias moves each MoE layer’s bias after training forwards', () => {
    const model = createModel(TINY_CONFIG, { seed: 3 });
    model.forward(tokens);
    const loads = model.updateRoutingBias(0.001);
    expect(loads).toHaveLength(3); // layers 1, 2 and the MTP block
    expect(loads[0].reduce((a, b) => a + b, 0)).toBe(16 * 2);
    const bias = model.moeLayers()[0].gate.e_score_correction_bias.toFloat32Array();
    expect(bias.some((b) => b !== 0)).toBe(true);
    expect(model.parameters()).not.toContain(model.moeLayers()[0].gate.e_score_correction_bias); // a buffer
  });

  it('generation (no grad) does not count expert loads', async () => {
    const model = createModel(TINY_CONFIG, { seed: 3 });
    await model.generate([[0, 4, 5]], { maxNewTokens: 3 });
    expect(model.moeLayers().every((m) => m.load.every((l) => l === 0))).toBe(true);
  });
});

describe('DeepseekV3Model variants', () => {
  it('q_lora_rank null uses q_proj; tied embeddings list the shared weight once', () => {
    const model = createModel({ ...TINY_CONFIG, q_lora_rank: null, tie_word_embeddings: true }, { seed: 1 });
    const names = model.namedParameters().map(([n]) => n);
    expect(names).toContain('model.layers.0.self_attn.q_proj.weight');
    expect(names).not.toContain('model.layers.0.self_attn.q_a_proj.weight');
    expect(names).not.toContain('lm_head.weight');
    expect(model.headWeight).toBe(model.model.embed_tokens.weight);
    expect(model.forward(tokens).shape).toEqual([2, 8, 48]);
  });

  it('names every tensor as the HF checkpoint table does', () => {
    const model = createModel(TINY_CONFIG);
    const ours = new Map([...model.stateDict()].map(([n, t]) => [n, t.shape]));
    const hf = deepseekV3HfParams(model.config).filter(
      (p) => !/^model\.layers\.3\.(embed_tokens|shared_head\.head)\./.test(p.name), // shared with the main model
    );
    expect([...ours.keys()].sort()).toEqual(hf.map((p) => p.name).sort());
    for (const p of hf) expect(ours.get(p.name), p.name).toEqual(p.shape);
  });
});

describe('save / loadModel', () => {
  it('round-trips through an HF-layout folder with the same logits, and re-saves byte-identically', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aha-model-'));
    const dir2 = await mkdtemp(join(tmpdir(), 'aha-model-'));
    try {
      const model = createModel(TINY_CONFIG, { seed: 9 });
      model.forward(tokens);
      model.updateRoutingBias(0.01); // a non-zero buffer must survive too
      await model.save(dir);
      expect((await readdir(dir)).sort()).toEqual(['config.json', 'model.safetensors']);
      const ckpt = await SafetensorsCheckpoint.open(dir);
      const names = ckpt.names();
      await ckpt.close();
      expect(names).toEqual(
        deepseekV3HfParams(model.config)
          .map((p) => p.name)
          .sort(),
      );
      const loaded = await loadModel(dir);
      expect(loaded.forward(tokens).toFloat32Array()).toEqual(model.forward(tokens).toFloat32Array());
      expect(loaded.moeLayers()[0].gate.e_score_correction_bias.toFloat32Array()).toEqual(
        model.moeLayers()[0].gate.e_score_correction_bias.toFloat32Array(),
      );
      const mtpA = model.forwardWithMtp(tokens).mtpLogits[0];
      const mtpB = loaded.forwardWithMtp(tokens).mtpLogits[0];
      expect(maxAbsDiff(narrow(mtpA, 1, 0, 7).values(), narrow(mtpB, 1, 0, 7).values())).toBe(0);
      // save → load → save is byte-identical
      await loaded.save(dir2);
      for (const file of ['config.json', 'model.safetensors']) {
        expect((await readFile(join(dir2, file))).equals(await readFile(join(dir, file))), file).toBe(true);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(dir2, { recursive: true, force: true });
    }
  });

  it('initialises the MTP module when a checkpoint lacks it (HF save_pretrained drops it)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aha-model-'));
    try {
      const model = createModel(TINY_CONFIG, { seed: 9 });
      await model.save(dir);
      const ckpt = await SafetensorsCheckpoint.open(dir);
      const kept = new Map<string, { data: Float32Array; shape: number[] }>();
      for (const name of ckpt.names()) if (!name.startsWith('model.layers.3.')) kept.set(name, await ckpt.read(name));
      await ckpt.close();
      await writeSafetensors(join(dir, 'model.safetensors'), kept);
      const loaded = await loadModel(dir);
      expect(loaded.forward(tokens).toFloat32Array()).toEqual(model.forward(tokens).toFloat32Array());
      const eh = loaded.model.mtpLayers[0].eh_proj.weight.toFloat32Array();
      expect(eh.some((v) => v !== 0)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a checkpoint whose shapes do not match its config', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aha-model-'));
    try {
      await createModel(TINY_CONFIG).save(dir);
      const other = createModel({ ...TINY_CONFIG, vocab_size: 40, eos_token_id: 1 });
      const ckpt = await SafetensorsCheckpoint.open(dir);
      await expect(other.loadCheckpoint(ckpt)).rejects.toThrow(/model.embed_tokens.weight" is \[48, 32\]/);
      await ckpt.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
