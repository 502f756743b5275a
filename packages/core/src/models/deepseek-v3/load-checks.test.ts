/**
 * loadModel / createModel against configs and checkpoints that disagree or ask for too much, and non-finite weights
 * and logits. Each case used to allocate until the process died (a config with millions of experts or layers, an
 * empty `{}` config that became the 671B default), load part of a checkpoint without a word, or load NaN weights that
 * later gave `null` log-probs; each is now a typed error naming the key or tensor. Before the change these cases
 * either crashed (the allocation ones) or returned a model (the rest).
 * Leaves out: sharded checkpoints (the index check reads the same headers; io/safetensors.test.ts covers the shards).
 */
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AhaError } from '../../errors.js';
import type { SafetensorsError } from '../../io/safetensors.js';
import { parseDeepseekV3Config } from './config.js';
import { deepseekV3HfParams, deepseekV3Size } from './hf-names.js';
import { ARCHITECTURE_KEYS } from './load-checks.js';
import { createModel, loadModel } from './model.js';
import { TINY_CONFIG } from './testing.js';

let dir: string;
let config: Record<string, unknown>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aha-load-checks-'));
  await createModel(TINY_CONFIG, { seed: 1 }).save(dir);
  config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The error `run` rejects with (or throws). */
async function errorOf(run: () => unknown): Promise<AhaError> {
  try {
    await run();
  } catch (e) {
    if (AhaError.is(e)) return e;
    throw e;
  }
  throw new Error('expected an error, got none');
}

/** Loads the saved tiny checkpoint with config.json replaced by `edit(config)`. */
async function loadWithConfig(edit: (c: Record<string, unknown>) => unknown, options = {}) {
  const d = await mkdtemp(join(tmpdir(), 'aha-load-checks-'));
  try {
    await writeFile(join(d, 'config.json'), JSON.stringify(edit(structuredClone(config))));
    await symlink(join(dir, 'model.safetensors'), join(d, 'model.safetensors'));
    return await loadModel(d, options);
  } finally {
    await rm(d, { recursive: true, force: true });
  }
}

describe('loadModel checks config.json before allocating', () => {
  const cases: [string, (c: Record<string, unknown>) => unknown, string, RegExp][] = [
    ['an empty {} config', () => ({}), 'config', /does not state vocab_size, hidden_size, .*v_head_dim/],
    [
      'a config without hidden_size',
      ({ hidden_size: _, ...c }) => c,
      'config',
      /does not state hidden_size: a config loaded/,
    ],
    [
      'millions of experts',
      (c) => ({ ...c, n_routed_experts: 4_000_000, n_group: 1, topk_group: 1 }),
      'config',
      /parameter tensors .* V8 heap limit|memory budget/,
    ],
    ['millions of layers', (c) => ({ ...c, num_hidden_layers: 5_000_000 }), 'config', /V8 heap limit|memory budget/],
    ['a 10^15-wide vocabulary', (c) => ({ ...c, vocab_size: 1e15 }), 'config', /more than the memory budget maxBytes/],
    [
      'fewer layers than the checkpoint',
      (c) => ({ ...c, num_hidden_layers: 2, num_nextn_predict_layers: 0 }),
      'io',
      /has \d+ tensor\(s\) the config does not describe \("model\.layers\.2\./,
    ],
    [
      'more experts than the checkpoint',
      (c) => ({ ...c, n_routed_experts: 16 }),
      'io',
      /no tensor "model\.layers\.1\.mlp\.experts\.8\.gate_proj\.weight".*n_routed_experts/,
    ],
    [
      'a wider hidden size',
      (c) => ({ ...c, hidden_size: 64 }),
      'shape',
      /"model\.embed_tokens\.weight" is \[48, 32\] .* needs \[48, 64\]: dim 1 .* \(hidden_size[^)]*= 64\)/,
    ],
    [
      'a wrong head dim',
      (c) => ({ ...c, v_head_dim: 4 }),
      'shape',
      /kv_b_proj\.weight.*v_head_dim|o_proj.*v_head_dim|needs/,
    ],
  ];
  it.each(cases)('%s', async (_what, edit, code, message) => {
    const err = await errorOf(() => loadWithConfig(edit));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
  });

  it('names the disagreement with a stable reason', async () => {
    const fewer = await errorOf(() =>
      loadWithConfig((c) => ({ ...c, num_hidden_layers: 2, num_nextn_predict_layers: 0 })),
    );
    const more = await errorOf(() => loadWithConfig((c) => ({ ...c, n_routed_experts: 16 })));
    expect([(fewer as SafetensorsError).reason, (more as SafetensorsError).reason]).toEqual([
      'unexpected-tensor',
      'missing-tensor',
    ]);
  });

  it('states the budget it checked against (maxBytes option)', async () => {
    const err = await errorOf(() => loadWithConfig((c) => c, { maxBytes: 1000 }));
    expect(err.code).toBe('config');
    expect(err.message).toMatch(
      /parameters in \d+ tensors \(.* as float32 with their objects\), more than the memory budget maxBytes = 1000/,
    );
  });

  it('still loads the matching checkpoint with one argument', async () => {
    const model = await loadModel(dir);
    expect(model.config.hidden_size).toBe(32);
    expect(ARCHITECTURE_KEYS.every((k) => k in config)).toBe(true);
  });
});

describe('createModel checks the memory budget', () => {
  it('fails fast on absurd sizes with the estimate and the budget', async () => {
    const err = await errorOf(() => createModel({ ...TINY_CONFIG, hidden_size: 1_000_000, vocab_size: 10_000_000 }));
    expect(err.code).toBe('config');
    expect(err.message).toMatch(/more than the memory budget maxBytes = \d+/);
    expect((await errorOf(() => createModel(TINY_CONFIG, { maxBytes: 10 }))).message).toMatch(/maxBytes = 10 /);
  });

  it('measures a config in closed form, equal to listing its tensors', () => {
    const variants = [
      TINY_CONFIG,
      { ...TINY_CONFIG, q_lora_rank: null, attention_bias: true },
      { ...TINY_CONFIG, tie_word_embeddings: true, n_shared_experts: 0, num_nextn_predict_layers: 2 },
      { ...TINY_CONFIG, moe_layer_freq: 2, first_k_dense_replace: 0, num_hidden_layers: 5 },
      { ...TINY_CONFIG, first_k_dense_replace: 3 },
    ];
    for (const v of variants) {
      const c = parseDeepseekV3Config(v);
      const list = deepseekV3HfParams(c);
      expect(deepseekV3Size(c)).toEqual({
        values: list.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0),
        tensors: list.length,
      });
    }
  });
});

describe('non-finite weights and logits', () => {
  async function savedWith(poison: number, at: number): Promise<string> {
    const d = await mkdtemp(join(tmpdir(), 'aha-load-checks-'));
    const model = createModel(TINY_CONFIG, { seed: 1 });
    const w = model.model.layers.items[1].self_attn.o_proj.weight;
    w.storage[w.offset + at] = poison;
    await model.save(d);
    return d;
  }

  it.each([
    ['NaN', Number.NaN, 37],
    ['+Inf', Number.POSITIVE_INFINITY, 0],
    ['-Inf', Number.NEGATIVE_INFINITY, 255],
  ])('a %s weight is a ValueError naming the tensor and the index; checkFinite: false loads it', async (_n, v, at) => {
    const d = await savedWith(v, at);
    try {
      const err = await errorOf(() => loadModel(d));
      expect(err.code).toBe('value');
      const cols = 4 * 8; // o_proj is [hidden_size, heads · v_head_dim] = [32, 32]
      expect(err.message).toContain(
        `"model.layers.1.self_attn.o_proj.weight" [32, 32] in ${d} has a non-finite weight ${v} at index ${at} [${Math.floor(at / cols)}, ${at % cols}]`,
      );
      const model = await loadModel(d, { checkFinite: false });
      const w = model.model.layers.items[1].self_attn.o_proj.weight;
      expect(w.storage[w.offset + at]).toBe(v);
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });

  it('generate refuses non-finite logits, naming the step and the sequence', async () => {
    const model = createModel(TINY_CONFIG, { seed: 1 });
    const w = model.headWeight;
    w.storage[w.offset + 5 * 32] = Number.NaN; // token 5's row of the head: its logit is NaN everywhere
    for (const useCache of [true, false]) {
      const err = await errorOf(() =>
        model.generate([[2, 3], [4]], { maxNewTokens: 3, numReturnSequences: 2, useCache }),
      );
      expect(err.code).toBe('value');
      expect(err.message).toMatch(/non-finite logit NaN for token id 5 at step 0 of sequence 0 \(prompt 0\)/);
    }
  });
});
