/**
 * The dense decoder families — HF `LlamaForCausalLM`, `Qwen2ForCausalLM`, `Qwen3ForCausalLM` — as one model:
 * embed_tokens → L pre-norm blocks (h + attn(input_layernorm(h)); h + mlp(post_attention_layernorm(h))) → norm →
 * lm_head (the embedding when tied). The families differ only where HF's modeling files do:
 *   Llama  q/k/v/o biases with `attention_bias`, MLP biases with `mlp_bias`, llama3 / linear / dynamic RoPE;
 *   Qwen2  q/k/v biases always, none on o_proj;
 *   Qwen3  RMSNorm over each head's q and k (`q_norm` / `k_norm`, weight [head_dim]) before RoPE, explicit head_dim.
 * Shared layers, not copies: RMSNorm / Linear / Embedding (nn/module), the SwiGLU MLP of DeepSeek-V3 (mlp.ts, fused
 * `swiglu` op), the `rope` op ('half' layout, HF's rotate_half), the fused `scaledDotProductAttention`, the fused LM
 * head + loss (`linearCrossEntropy`), and DeepSeek-V3's batched sampler (generate.ts) over a GQA KV cache.
 * Grouped-query attention on the attention op (which takes Hk = H or one shared K/V head): the Hk key/value heads
 * are folded into the batch, so each of the B·Hk rows attends its G = H/Hk query heads against one shared K/V head —
 * no K/V is repeated G times (HF's `repeat_kv`), in training or from the cache.
 * Left-padded batches: position ids count real tokens per row; attention is causal over the keys the mask marks real
 * (as DeepSeek-V3's model.ts). Parameter names are HF tensor names (hf-names.ts).
 * Letters: B batch, T positions, S keys (past + new), H query heads, Hk key/value heads, G = H/Hk, Dh head dim.
 * Leaves out: half-precision weights in memory, sliding-window attention, attention dropout (later slices); LoRA
 * adapters attach from outside (nn/lora.ts).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AhaError, fmtShape, IndexError, ShapeError, ValueError } from '../../errors.js';
import {
  type FloatDType,
  SafetensorsCheckpoint,
  type TensorToWrite,
  writeSafetensorsCheckpoint,
} from '../../io/safetensors.js';
import { add, linear, reshape, rope, transpose } from '../../nn/functional.js';
import { Embedding, InitRng, Linear, Module, ModuleList, RMSNorm } from '../../nn/module.js';
import { scaledDotProductAttention } from '../../ops/attention.js';
import { linearCrossEntropy } from '../../ops/linear-cross-entropy.js';
import { type Tensor, tensor } from '../../tensor.js';
import { type GenerateOptions, type Generation, generate } from '../deepseek-v3/generate.js';
import {
  checkCheckpointAgainstParams,
  checkFiniteWeights,
  checkParamBudget,
  defaultMaxBytes,
} from '../deepseek-v3/load-checks.js';
import type { AttentionImpl } from '../deepseek-v3/mla.js';
import { DeepseekV3MLP } from '../deepseek-v3/mlp.js';
import type { DeepseekV3MoE } from '../deepseek-v3/moe.js';
import {
  DENSE_FAMILIES,
  type DenseConfig,
  type DenseConfigInput,
  denseConfigToJson,
  headDimOf,
  kvHeadsOf,
  parseDenseConfig,
} from './config.js';
import { attentionBiases, denseHfParamsOf, denseSize } from './hf-names.js';
import { GqaKvCache, type GqaLayerCache } from './kv-cache.js';
import { denseRopeAt } from './rope.js';

/** Options of `forward` / `forwardHidden`. */
export interface DenseForwardOptions {
  /** [B, T] 1 = real token, 0 = padding (left padding). Default: all ones. */
  attentionMask?: number[][];
  /**
   * DeepSeek-V3's attention switch, accepted for the shared contract (generate passes 'naive'): the dense attention
   * has one path, which is 'naive'; 'absorb' (MLA's latent path) is a ValueError.
   */
  impl?: AttentionImpl;
}

/** Options of `loss`: the DeepSeek-V3 keys a dense model has nothing for must be absent (or 0). */
export interface DenseLossOptions extends DenseForwardOptions {
  /** Target id to skip (default −100); padding positions of `attentionMask` are skipped too. */
  ignoreIndex?: number;
  /** DeepSeek-V3's MTP weight: a dense model has no MTP module, so only 0 / absent is accepted. */
  mtpWeight?: number;
  /** DeepSeek-V3's MoE balance loss: a dense model has no MoE, so only 0 / absent is accepted. */
  balanceAlpha?: number;
}

/** Per-forward inputs shared by every layer. */
interface DenseInputs {
  /** [B, T, Dh/2] rotary tables at each row's positions. */
  cos: Tensor;
  sin: Tensor;
  /** [B·Hk·S] key padding mask repeated for each folded K/V head; null = all real. */
  keyMask: Uint8Array | null;
}

class DenseAttention extends Module {
  readonly q_proj: Linear;
  readonly k_proj: Linear;
  readonly v_proj: Linear;
  readonly o_proj: Linear;
  readonly q_norm?: RMSNorm;
  readonly k_norm?: RMSNorm;
  private readonly H: number;
  private readonly Hk: number;
  private readonly Dh: number;

  constructor(c: DenseConfig, rng: InitRng) {
    super();
    this.H = c.num_attention_heads;
    this.Hk = kvHeadsOf(c);
    this.Dh = headDimOf(c);
    const std = c.initializer_range;
    const bias = attentionBiases(c);
    this.q_proj = this.child('q_proj', new Linear(c.hidden_size, this.H * this.Dh, { rng, std, bias: bias.qkv }));
    this.k_proj = this.child('k_proj', new Linear(c.hidden_size, this.Hk * this.Dh, { rng, std, bias: bias.qkv }));
    this.v_proj = this.child('v_proj', new Linear(c.hidden_size, this.Hk * this.Dh, { rng, std, bias: bias.qkv }));
    this.o_proj = this.child('o_proj', new Linear(this.H * this.Dh, c.hidden_size, { rng, std, bias: bias.o }));
    if (c.model_type === 'qwen3') {
      this.q_norm = this.child('q_norm', new RMSNorm(this.Dh, c.rms_norm_eps));
      this.k_norm = this.child('k_norm', new RMSNorm(this.Dh, c.rms_norm_eps));
    }
  }

  /** h [B, T, D] → [B, T, D]. With `cache`, appends this step's K/V and attends over every cached position. */
  forward(h: Tensor, inputs: DenseInputs, cache?: GqaLayerCache): Tensor {
    const [B, T] = h.shape;
    const { H, Hk, Dh } = this;
    const G = H / Hk;
    let q = reshape(this.q_proj.forward(h), [B, T, H, Dh]); // [B, T, H, Dh]
    let k = reshape(this.k_proj.forward(h), [B, T, Hk, Dh]); // [B, T, Hk, Dh]
    if (this.q_norm) q = this.q_norm.forward(q); // Qwen3: per-head RMSNorm before RoPE
    if (this.k_norm) k = this.k_norm.forward(k);
    const v = transpose(reshape(this.v_proj.forward(h), [B, T, Hk, Dh]), 1, 2); // [B, Hk, T, Dh]
    const qr = rope(transpose(q, 1, 2), inputs.cos, inputs.sin, 'half'); // [B, H, T, Dh]
    const kr = rope(transpose(k, 1, 2), inputs.cos, inputs.sin, 'half'); // [B, Hk, T, Dh]
    // GQA: fold the K/V heads into the batch; query head j·G + g reads K/V head j (HF repeat_kv's order). The cache
    // hands back its buffers already folded: [B·Hk, 1, S, Dh].
    const kv = cache ? cache.append(kr, v) : { k: reshape(kr, [B * Hk, 1, T, Dh]), v: reshape(v, [B * Hk, 1, T, Dh]) };
    const out = scaledDotProductAttention(reshape(qr, [B * Hk, G, T, Dh]), kv.k, kv.v, {
      scale: Dh ** -0.5,
      causal: true,
      keyMask: inputs.keyMask,
    }); // [B·Hk, G, T, Dh]
    const merged = reshape(transpose(reshape(out, [B, H, T, Dh]), 1, 2), [B, T, H * Dh]); // [B, T, H·Dh]
    return this.o_proj.forward(merged); // [B, T, D]
  }
}

class DenseDecoderLayer extends Module {
  readonly self_attn: DenseAttention;
  readonly mlp: DeepseekV3MLP;
  readonly input_layernorm: RMSNorm;
  readonly post_attention_layernorm: RMSNorm;
  constructor(c: DenseConfig, rng: InitRng) {
    super();
    this.self_attn = this.child('self_attn', new DenseAttention(c, rng));
    this.mlp = this.child(
      'mlp',
      new DeepseekV3MLP(c.hidden_size, c.intermediate_size, rng, c.initializer_range, c.mlp_bias),
    );
    this.input_layernorm = this.child('input_layernorm', new RMSNorm(c.hidden_size, c.rms_norm_eps));
    this.post_attention_layernorm = this.child('post_attention_layernorm', new RMSNorm(c.hidden_size, c.rms_norm_eps));
  }

  forward(h: Tensor, inputs: DenseInputs, cache?: GqaLayerCache): Tensor {
    h = add(h, this.self_attn.forward(this.input_layernorm.forward(h), inputs, cache)); // [B, T, D]
    return add(h, this.mlp.forward(this.post_attention_layernorm.forward(h))); // [B, T, D]
  }
}

class DenseBackbone extends Module {
  readonly embed_tokens: Embedding;
  readonly layers: ModuleList<DenseDecoderLayer>;
  readonly norm: RMSNorm;
  constructor(c: DenseConfig, rng: InitRng) {
    super();
    this.embed_tokens = this.child(
      'embed_tokens',
      new Embedding(c.vocab_size, c.hidden_size, { rng, std: c.initializer_range }),
    );
    this.layers = this.child(
      'layers',
      new ModuleList(Array.from({ length: c.num_hidden_layers }, () => new DenseDecoderLayer(c, rng))),
    );
    this.norm = this.child('norm', new RMSNorm(c.hidden_size, c.rms_norm_eps));
  }
}

interface Prepared {
  ids: Int32Array; // [B, T]
  B: number;
  T: number;
  inputs: DenseInputs;
}

/** A Llama / Qwen2 / Qwen3 causal LM. Create with `createModel(config, { seed })` or `loadModel(dir)`. */
export class DenseModel extends Module {
  readonly model: DenseBackbone;
  readonly lm_head: Linear | null;

  /** @param options.maxBytes memory budget for the parameters (float32 bytes; default 90% of the machine's memory). */
  constructor(
    readonly config: DenseConfig,
    options: { seed?: number; init?: boolean; maxBytes?: number } = {},
  ) {
    checkDenseBudget(config, options.maxBytes, `${DENSE_FAMILIES[config.model_type]}`);
    super();
    const rng = new InitRng(options.seed ?? 0, options.init ?? true);
    this.model = this.child('model', new DenseBackbone(config, rng));
    this.lm_head = config.tie_word_embeddings
      ? null
      : this.child(
          'lm_head',
          new Linear(config.hidden_size, config.vocab_size, { rng, std: config.initializer_range }),
        );
    this.nameTensors();
  }

  /** The output head's weight [V, D] (the embedding when tie_word_embeddings). */
  get headWeight(): Tensor {
    return this.lm_head?.weight ?? this.model.embed_tokens.weight;
  }

  /** Trainable tensors, each once (a tied head is not listed twice). */
  override parameters(): Tensor[] {
    return [...new Set(super.parameters())];
  }

  /** A dense model has no MoE blocks (the trainers ask, to decide on routing-bias updates). */
  moeLayers(): DeepseekV3MoE[] {
    return [];
  }

  /** No MoE layers, so no routing bias: returns no loads (γ is still checked). */
  updateRoutingBias(gamma: number): Float64Array[] {
    if (!(gamma >= 0)) throw new ValueError(`updateRoutingBias: gamma must be ≥ 0, got ${gamma}`);
    return [];
  }

  /** tokens [B][T] → logits [B, T, V]; the autograd entry for training. */
  forward(tokens: number[][], options: DenseForwardOptions = {}): Tensor {
    return this.head(this.forwardHidden(tokens, options));
  }

  /** tokens [B][T] → hidden states [B, T, D] after the final norm (the LM head's input; value / reward heads). */
  forwardHidden(tokens: number[][], options: DenseForwardOptions = {}): Tensor {
    if (options.impl !== undefined && options.impl !== 'naive') {
      throw new ValueError(
        `forward: impl '${String(options.impl)}' is MLA's; ${DENSE_FAMILIES[this.config.model_type]} attention has one path ('naive')`,
      );
    }
    return this.body(this.prepare(tokens, options.attentionMask));
  }

  /**
   * Next-token cross-entropy of `tokens` (mean over real, non-ignored targets), with the LM head fused into the loss
   * (`linearCrossEntropy`, no [B, T, V] logits held). Same output shape as DeepSeek-V3's `loss`.
   */
  loss(
    tokens: number[][],
    options: DenseLossOptions = {},
  ): { loss: Tensor; lmLoss: Tensor; mtpLoss: null; balanceLoss: null } {
    for (const key of ['mtpWeight', 'balanceAlpha'] as const) {
      const v = options[key];
      if (v !== undefined && v !== 0) {
        throw new ValueError(
          `loss: ${key} = ${v} but ${DENSE_FAMILIES[this.config.model_type]} has no ${key === 'mtpWeight' ? 'MTP module' : 'MoE layers'}`,
        );
      }
    }
    const ignore = options.ignoreIndex ?? -100;
    const hidden = this.forwardHidden(tokens, options); // [B, T, D]
    const [B, T] = [tokens.length, tokens[0]?.length ?? 0];
    const targets = new Int32Array(B * T).fill(ignore);
    for (let b = 0; b < B; b++)
      for (let i = 0; i + 1 < T; i++) {
        const m = options.attentionMask?.[b];
        if (!m || (m[i] === 1 && m[i + 1] === 1)) targets[b * T + i] = tokens[b][i + 1];
      }
    const lmLoss = linearCrossEntropy(hidden, this.headWeight, targets, { ignoreIndex: ignore });
    return { loss: lmLoss, lmLoss, mtpLoss: null, balanceLoss: null };
  }

  /** Samples completions (DeepSeek-V3's `GenerateOptions` / `Generation` contract, log-probs included). */
  generate(prompts: number[][], options: GenerateOptions = {}): Promise<Generation[]> {
    return generate(this, prompts, options);
  }

  /** A GQA KV cache for `batch` rows of up to `capacity` positions (what `decode` fills). */
  newCache(batch: number, capacity: number): GqaKvCache {
    const c = this.config;
    return new GqaKvCache(c.num_hidden_layers, batch, kvHeadsOf(c), capacity, headDimOf(c));
  }

  /**
   * Logits [B, T, V] of new `tokens` following the positions already in `cache`. `past` describes those positions:
   * their mask [B][P] and each row's next position id.
   */
  decode(
    tokens: number[][],
    attentionMask: number[][],
    cache: GqaKvCache,
    past?: { keyMask: number[][]; positions: number[] },
  ): Tensor {
    const P = past?.keyMask[0]?.length ?? 0;
    if (cache.length !== P)
      throw new ValueError(`decode: cache holds ${cache.length} positions but past describes ${P}`);
    return this.head(this.body(this.prepare(tokens, attentionMask, past), cache));
  }

  /**
   * Writes config.json + model.safetensors to `dir` (HF layout; shards + model.safetensors.index.json above
   * `maxShardBytes`, default 5 GB as HF).
   */
  async save(dir: string, options: { dtype?: FloatDType; maxShardBytes?: number } = {}): Promise<void> {
    const tensors = new Map<string, TensorToWrite>();
    for (const [name, t] of this.stateDict()) tensors.set(name, { data: t.toFloat32Array(), shape: t.shape });
    await writeSafetensorsCheckpoint(dir, tensors, options);
    await writeFile(join(dir, 'config.json'), denseConfigToJson(this.config));
  }

  /** Copies every tensor of an open checkpoint into this model (shapes must match; NaN / ±Inf refused by default). */
  async loadCheckpoint(ckpt: SafetensorsCheckpoint, options: { checkFinite?: boolean } = {}): Promise<void> {
    for (const [name, t] of this.stateDict()) {
      if (!ckpt.has(name)) {
        throw new AhaError('io', `loadModel: checkpoint ${ckpt.dir} has no tensor "${name}" ${fmtShape(t.shape)}`);
      }
      const { data, shape } = await ckpt.read(name);
      if (shape.join() !== t.shape.join()) {
        throw new ShapeError(
          `loadModel: "${name}" is ${fmtShape(shape)} in ${ckpt.dir} but the config needs ${fmtShape(t.shape)}`,
        );
      }
      if (options.checkFinite ?? true) checkFiniteWeights(name, data, shape, ckpt.dir);
      t.storage.set(data, t.offset);
    }
  }

  // ---- internals ----

  /** hidden [B, T, D] → logits [B, T, V]. */
  head(hidden: Tensor): Tensor {
    return linear(hidden, this.headWeight); // [B, T, V]
  }

  private body(p: Prepared, cache?: GqaKvCache): Tensor {
    let h = this.model.embed_tokens.forward(p.ids, [p.B, p.T]); // [B, T, D]
    this.model.layers.items.forEach((layer, i) => {
      h = layer.forward(h, p.inputs, cache?.layers[i]); // [B, T, D]
    });
    return this.model.norm.forward(h); // [B, T, D]
  }

  /** Ids, positions, rope tables and the folded key mask for a rectangular batch after `past` cached positions. */
  private prepare(
    tokens: number[][],
    attentionMask?: number[][],
    past?: { keyMask: number[][]; positions: number[] },
  ): Prepared {
    const B = tokens.length;
    const T = tokens[0]?.length ?? 0;
    if (B === 0 || T === 0) throw new ShapeError(`forward: tokens must be a non-empty [B][T] array, got [${B}][${T}]`);
    const V = this.config.vocab_size;
    const ids = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      if (tokens[b].length !== T) {
        throw new ShapeError(
          `forward: tokens rows must have equal length (left-pad them), row 0 has ${T}, row ${b} has ${tokens[b].length}`,
        );
      }
      if (attentionMask && attentionMask[b]?.length !== T) {
        throw new ShapeError(
          `forward: attentionMask row ${b} has ${attentionMask[b]?.length} entries, tokens have ${T}`,
        );
      }
      for (let t = 0; t < T; t++) {
        const id = tokens[b][t];
        if (!Number.isInteger(id) || id < 0 || id >= V)
          throw new IndexError(`forward: token ${id} at [${b}][${t}] is outside the vocabulary [0, ${V})`);
        ids[b * T + t] = id;
      }
    }
    const P = past?.keyMask[0]?.length ?? 0;
    const S = P + T;
    const Hk = kvHeadsOf(this.config);
    const keys = new Uint8Array(B * Hk * S);
    const positions = new Int32Array(B * T);
    let anyPad = false;
    let maxPos = 0;
    for (let b = 0; b < B; b++) {
      const row = [...(past?.keyMask[b] ?? []), ...(attentionMask?.[b] ?? new Array<number>(T).fill(1))];
      for (let j = 0; j < Hk; j++) for (let s = 0; s < S; s++) keys[(b * Hk + j) * S + s] = row[s] === 1 ? 1 : 0;
      if (row.some((m) => m !== 1)) anyPad = true;
      let pos = past ? past.positions[b] : 0; // next position of row b
      for (let t = 0; t < T; t++) {
        const real = row[P + t] === 1;
        positions[b * T + t] = real ? pos : 0;
        if (real) pos++;
      }
      maxPos = Math.max(maxPos, pos);
    }
    const { cos, sin, half } = denseRopeAt(this.config, positions, maxPos);
    const inputs = {
      cos: tensor(cos, [B, T, half]),
      sin: tensor(sin, [B, T, half]),
      keyMask: anyPad ? keys : null,
    };
    return { ids, B, T, inputs };
  }
}

/** Which config keys give a dimension of `size`, to name them when a checkpoint shape disagrees. */
function denseShapeHint(c: DenseConfig, want: readonly number[], got: readonly number[]): string {
  if (want.length !== got.length) return '';
  const Dh = headDimOf(c);
  const sizes: [string, number][] = [
    ['hidden_size', c.hidden_size],
    ['intermediate_size', c.intermediate_size],
    ['vocab_size', c.vocab_size],
    ['num_attention_heads × head dim', c.num_attention_heads * Dh],
    ['num_key_value_heads × head dim', kvHeadsOf(c) * Dh],
    ['head dim', Dh],
  ];
  const parts = want.flatMap((w, i) => {
    if (w === got[i]) return [];
    const keys = sizes.filter(([, v]) => v === w).map(([k]) => k);
    return [
      `dim ${i} is ${got[i]} in the checkpoint but ${w} from the config${keys.length ? ` (${keys.join(' / ')} = ${w})` : ''}`,
    ];
  });
  return parts.length ? `: ${parts.join('; ')}` : '';
}

/** The budget check of loadModel / createModel for a dense config (see deepseek-v3/load-checks.ts). */
export function checkDenseBudget(config: DenseConfig, maxBytes = defaultMaxBytes(), where = 'model'): void {
  const sizes = `hidden_size ${config.hidden_size}, num_hidden_layers ${config.num_hidden_layers}, intermediate_size ${config.intermediate_size}, vocab_size ${config.vocab_size}`;
  checkParamBudget(denseSize(config), maxBytes, where, sizes);
}

/** A fresh dense model of a (validated, defaults filled) config. */
export function createDenseModel(
  config: DenseConfig | DenseConfigInput,
  options: { seed?: number; maxBytes?: number } = {},
): DenseModel {
  return new DenseModel(parseDenseConfig(config), options);
}

/**
 * Loads a dense model from an HF folder whose config.json was read (`raw`) and validated (`config`): the budget and
 * the checkpoint's tensor index are checked before anything is allocated.
 */
export async function loadDenseModel(
  dir: string,
  config: DenseConfig,
  options: { maxBytes?: number; checkFinite?: boolean } = {},
): Promise<DenseModel> {
  checkDenseBudget(config, options.maxBytes, `loadModel(${dir})`);
  const ckpt = await SafetensorsCheckpoint.open(dir);
  try {
    checkCheckpointAgainstParams(ckpt, denseHfParamsOf(config), {
      shapeHint: (want, got) => denseShapeHint(config, want, got),
      missingHint: (name) =>
        /\.(q|k|v|o)_proj\.bias$/.test(name)
          ? ' (check attention_bias)'
          : /\.(q|k)_norm\./.test(name)
            ? ' (q_norm / k_norm are Qwen3 tensors: check model_type)'
            : /^lm_head\./.test(name)
              ? ' (check tie_word_embeddings)'
              : /^model\.layers\.\d+\./.test(name)
                ? ' (check num_hidden_layers)'
                : '',
    });
    const model = new DenseModel(config, { init: false, maxBytes: options.maxBytes });
    await model.loadCheckpoint(ckpt, { checkFinite: options.checkFinite });
    return model;
  } finally {
    await ckpt.close();
  }
}
