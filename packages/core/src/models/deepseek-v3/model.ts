/**
 * DeepSeek-V3 causal LM (HF `DeepseekV3ForCausalLM`): embed_tokens → L decoder blocks (MLA + dense MLP / DeepSeekMoE)
 * → norm → lm_head, plus the MTP modules as extra training objective (paper §2.2), the auxiliary-loss-free routing
 * bias update (§2.1.2), HF-layout save/load, and generation with the latent KV cache (generate.ts).
 * Parameter names are HF tensor names (`model.layers.3.mlp.experts.7.up_proj.weight`), see hf-names.ts.
 * Left-padded batches: `attentionMask` marks real tokens; position ids count real tokens per row (HF's
 * `cumsum(mask) − 1`); attention is causal over the keys the mask marks real (the fused op takes the [B, S] key
 * mask, no [B, 1, T, S] additive mask is built).
 * Letters: B batch, T positions, S keys (past + new), D hidden, V vocab.
 * Leaves out: FP8 weights, tensor/expert parallelism, attention dropout.
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
import { add, linear, mul, narrow } from '../../nn/functional.js';
import { Embedding, InitRng, Linear, Module, ModuleList, RMSNorm } from '../../nn/module.js';
import { linearCrossEntropy } from '../../ops/linear-cross-entropy.js';
import { type Tensor, tensor } from '../../tensor.js';
import {
  type DeepseekV3Config,
  type DeepseekV3ConfigInput,
  deepseekV3ConfigToJson,
  parseDeepseekV3Config,
  readDeepseekV3Config,
} from './config.js';
import { DeepseekV3DecoderLayer } from './decoder-layer.js';
import { type GenerateOptions, type Generation, generate } from './generate.js';
import { LatentKvCache } from './kv-cache.js';
import {
  checkCheckpointAgainstConfig,
  checkFiniteWeights,
  checkModelBudget,
  requireArchitectureKeys,
} from './load-checks.js';
import type { AttentionImpl, AttentionInputs } from './mla.js';
import { DeepseekV3MoE, type MoeStats } from './moe.js';
import { DeepseekV3MTPLayer } from './mtp.js';
import { ropeTables } from './rope.js';

/** Options of `forward` / `forwardWithMtp` / `loss`. */
export interface ForwardOptions {
  /** [B, T] 1 = real token, 0 = padding (left padding). Default: all ones. */
  attentionMask?: number[][];
  /** Attention implementation; default `model.attnImpl` ('naive'). Both give the same logits. */
  impl?: AttentionImpl;
  /** α of the sequence-wise balance loss (paper eq. 17); 0 = off (DeepSeek-V3 uses a tiny α, e.g. 1e-4). */
  balanceAlpha?: number;
}

/** Options of `loss`. */
export interface LossOptions extends ForwardOptions {
  /** λ, the weight of the MTP loss (paper eq. 25: λ/D · Σ_k L_MTP^k); DeepSeek-V3 used 0.3 then 0.1. */
  mtpWeight?: number;
  /** Target id to skip (default −100); padding positions of `attentionMask` are skipped too. */
  ignoreIndex?: number;
}

/** The terms of the training loss; `loss` is their sum. */
export interface LossOutput {
  loss: Tensor;
  lmLoss: Tensor;
  mtpLoss: Tensor | null;
  balanceLoss: Tensor | null;
}

class DeepseekV3Backbone extends Module {
  readonly embed_tokens: Embedding;
  readonly layers: ModuleList<DeepseekV3DecoderLayer>;
  readonly decoderLayers: DeepseekV3DecoderLayer[];
  readonly mtpLayers: DeepseekV3MTPLayer[];
  readonly norm: RMSNorm;
  constructor(c: DeepseekV3Config, rng: InitRng) {
    super();
    this.embed_tokens = this.child(
      'embed_tokens',
      new Embedding(c.vocab_size, c.hidden_size, { rng, std: c.initializer_range }),
    );
    this.decoderLayers = Array.from({ length: c.num_hidden_layers }, (_, i) => new DeepseekV3DecoderLayer(c, i, rng));
    this.mtpLayers = Array.from(
      { length: c.num_nextn_predict_layers },
      (_, k) => new DeepseekV3MTPLayer(c, c.num_hidden_layers + k, rng),
    );
    this.layers = this.child(
      'layers',
      new ModuleList<DeepseekV3DecoderLayer>([...this.decoderLayers, ...this.mtpLayers]),
    );
    this.norm = this.child('norm', new RMSNorm(c.hidden_size, c.rms_norm_eps));
  }
}

/** Per-forward inputs derived from tokens and the mask. */
interface Prepared {
  ids: Int32Array; // [B, T]
  B: number;
  T: number;
  inputs: AttentionInputs;
}

/** The DeepSeek-V3 causal LM. Create with `createModel(config, { seed })` or `loadModel(dir)`. */
export class DeepseekV3Model extends Module {
  readonly model: DeepseekV3Backbone;
  readonly lm_head: Linear | null;
  /** Attention path of `forward` when not given per call: 'naive' (per-head K/V) or 'absorb' (latent). */
  attnImpl: AttentionImpl = 'naive';
  private rope: { cos: Float32Array; sin: Float32Array; length: number } = {
    cos: new Float32Array(0),
    sin: new Float32Array(0),
    length: 0,
  };

  /**
   * @param options.maxBytes memory budget for the parameters (float32 bytes; default 90% of the machine's memory):
   *   a config beyond it is a ConfigError before anything is allocated.
   */
  constructor(
    readonly config: DeepseekV3Config,
    options: { seed?: number; init?: boolean; maxBytes?: number } = {},
  ) {
    checkModelBudget(config, options.maxBytes, 'DeepseekV3Model');
    super();
    const rng = new InitRng(options.seed ?? 0, options.init ?? true);
    this.model = this.child('model', new DeepseekV3Backbone(config, rng));
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

  /** The MoE blocks of the decoder and MTP layers. */
  moeLayers(): DeepseekV3MoE[] {
    return this.model.layers.items.map((l) => l.mlp).filter((m): m is DeepseekV3MoE => m instanceof DeepseekV3MoE);
  }

  /** Trainable tensors, each once (a tied head is not listed twice). */
  override parameters(): Tensor[] {
    return [...new Set(super.parameters())];
  }

  /** tokens [B][T] → logits [B, T, V]; the autograd entry for training. */
  forward(tokens: number[][], options: ForwardOptions = {}): Tensor {
    const p = this.prepare(tokens, options.attentionMask, options.impl);
    const stats = this.stats(options.balanceAlpha);
    const hidden = this.body(p, stats);
    return this.head(hidden);
  }

  /**
   * Main logits, the logits of each MTP depth k = 1…D (`mtpLogits[k−1]` is [B, T−k, V]; position i predicts
   * token i + k + 1) and the balance loss when `balanceAlpha` > 0.
   */
  forwardWithMtp(
    tokens: number[][],
    options: ForwardOptions = {},
  ): { logits: Tensor; mtpLogits: Tensor[]; balanceLoss: Tensor | null } {
    const { hidden, mtpHidden, balanceLoss } = this.hiddenWithMtp(tokens, options);
    return { logits: this.head(hidden), mtpLogits: mtpHidden.map((h) => this.head(h)), balanceLoss };
  }

  /**
   * Next-token cross-entropy of `tokens` (mean over real, non-ignored targets) + λ · MTP loss + balance loss.
   * The LM head is fused with the loss (`linearCrossEntropy`): no [B, T, V] logits are held, same values as
   * `crossEntropy(forwardWithMtp(...).logits, ...)`.
   */
  loss(tokens: number[][], options: LossOptions = {}): LossOutput {
    const ignore = options.ignoreIndex ?? -100;
    const { hidden, mtpHidden, balanceLoss } = this.hiddenWithMtp(tokens, options);
    const [B, T] = [tokens.length, tokens[0]?.length ?? 0];
    const targetsAt = (shift: number, n: number): Int32Array => {
      const t = new Int32Array(B * n).fill(ignore);
      for (let b = 0; b < B; b++)
        for (let i = 0; i + shift < T && i < n; i++) {
          const m = options.attentionMask?.[b];
          const real = !m || (m[i] === 1 && m[i + shift] === 1); // a pad position predicts nothing
          if (real) t[b * n + i] = tokens[b][i + shift];
        }
      return t;
    };
    const lmLoss = linearCrossEntropy(hidden, this.headWeight, targetsAt(1, T), { ignoreIndex: ignore });
    let loss = lmLoss;
    let mtpLoss: Tensor | null = null;
    if (mtpHidden.length > 0) {
      for (let j = 0; j < mtpHidden.length; j++) {
        const n = mtpHidden[j].shape[1];
        const l = linearCrossEntropy(mtpHidden[j], this.headWeight, targetsAt(j + 2, n), { ignoreIndex: ignore });
        mtpLoss = mtpLoss ? add(mtpLoss, l) : l;
      }
      mtpLoss = mul(mtpLoss!, 1 / this.config.num_nextn_predict_layers);
      loss = add(loss, mul(mtpLoss, options.mtpWeight ?? 0.3));
    }
    if (balanceLoss) loss = add(loss, balanceLoss);
    return { loss, lmLoss, mtpLoss, balanceLoss };
  }

  /** The main hidden states [B, T, D] and each MTP depth's normed hidden [B, T−k, D]: the LM head's inputs. */
  private hiddenWithMtp(
    tokens: number[][],
    options: ForwardOptions,
  ): { hidden: Tensor; mtpHidden: Tensor[]; balanceLoss: Tensor | null } {
    const p = this.prepare(tokens, options.attentionMask, options.impl);
    const stats = this.stats(options.balanceAlpha);
    const hidden = this.body(p, stats); // [B, T, D] after the final norm
    const mtpHidden: Tensor[] = [];
    let prev = hidden;
    this.model.mtpLayers.forEach((layer, j) => {
      const k = j + 1;
      const n = p.T - k;
      if (n <= 0) return;
      const shifted = tokens.map((row) => row.slice(k)); // t_{i+k}
      const emb = this.model.embed_tokens.forward(Int32Array.from(shifted.flat()), [p.B, n]); // [B, n, D]
      const mask = options.attentionMask?.map((row) => row.slice(0, n));
      const sub = this.prepare(
        tokens.map((row) => row.slice(0, n)),
        mask,
        options.impl,
      );
      const h = layer.step(emb, narrow(prev, 1, 0, n), sub.inputs, stats); // [B, n, D]
      mtpHidden.push(layer.shared_head.norm.forward(h)); // [B, n, D]
      prev = h;
    });
    return { hidden, mtpHidden, balanceLoss: this.sumBalance(stats) };
  }

  /**
   * Auxiliary-loss-free load balancing (paper §2.1.2): after an optimizer step, nudge each MoE layer's
   * e_score_correction_bias by γ · sign(mean load − load) using the loads counted in training forwards since the
   * previous call. Returns each MoE layer's loads.
   */
  updateRoutingBias(gamma: number): Float64Array[] {
    if (!(gamma >= 0)) throw new ValueError(`updateRoutingBias: gamma must be ≥ 0, got ${gamma}`);
    return this.moeLayers().map((m) => m.updateRoutingBias(gamma));
  }

  /** Samples completions; see `GenerateOptions`. Runs without recording a graph. */
  generate(prompts: number[][], options: GenerateOptions = {}): Promise<Generation[]> {
    return generate(this, prompts, options);
  }

  /** Writes config.json + model.safetensors (HF layout; sharded above 5 GB) to `dir`. */
  async save(dir: string, options: { dtype?: FloatDType } = {}): Promise<void> {
    const tensors = new Map<string, TensorToWrite>();
    for (const [name, t] of this.stateDict()) tensors.set(name, { data: t.toFloat32Array(), shape: t.shape });
    for (const layer of this.model.mtpLayers) {
      // DeepSeek's checkpoints carry each MTP module's own copy of the embedding and head.
      const p = `model.layers.${layer.layerIdx}`;
      const emb = this.model.embed_tokens.weight;
      tensors.set(`${p}.embed_tokens.weight`, { data: emb.toFloat32Array(), shape: emb.shape });
      tensors.set(`${p}.shared_head.head.weight`, {
        data: this.headWeight.toFloat32Array(),
        shape: this.headWeight.shape,
      });
    }
    await writeSafetensorsCheckpoint(dir, tensors, options);
    await writeFile(join(dir, 'config.json'), deepseekV3ConfigToJson(this.config));
  }

  /**
   * Copies every tensor of an open checkpoint into this model (shapes must match). With `checkFinite` (default) a
   * NaN / ±Inf weight is a ValueError naming the tensor and the first bad index.
   */
  async loadCheckpoint(ckpt: SafetensorsCheckpoint, options: { checkFinite?: boolean } = {}): Promise<void> {
    const mtpStart = this.config.num_hidden_layers;
    for (const [name, t] of this.stateDict()) {
      if (!ckpt.has(name)) {
        // HF's save_pretrained drops the MTP layers; a fresh MTP module is then kept.
        const layer = /^model\.layers\.(\d+)\./.exec(name);
        if (layer && Number(layer[1]) >= mtpStart) continue;
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

  /** A latent KV cache for `batch` rows of up to `capacity` positions (what `decode` fills). */
  newCache(batch: number, capacity: number): LatentKvCache {
    const c = this.config;
    return new LatentKvCache(c.num_hidden_layers, batch, capacity, c.kv_lora_rank, c.qk_rope_head_dim);
  }

  /**
   * Logits [B, T, V] of new `tokens` following the positions already in `cache` (absorbed MLA over the latent
   * cache). `past` describes those positions: their mask [B][P] and each row's next position id.
   */
  decode(
    tokens: number[][],
    attentionMask: number[][],
    cache: LatentKvCache,
    past?: { keyMask: number[][]; positions: number[] },
  ): Tensor {
    const P = past?.keyMask[0]?.length ?? 0;
    if (cache.length !== P)
      throw new ValueError(`decode: cache holds ${cache.length} positions but past describes ${P}`);
    const p = this.prepare(tokens, attentionMask, 'absorb', past);
    return this.head(this.body(p, undefined, cache));
  }

  // ---- internals ----

  /** Builds ids, positions, rope tables and the mask for a rectangular batch, with `past` cached positions. */
  prepare(
    tokens: number[][],
    attentionMask?: number[][],
    impl?: AttentionImpl,
    past?: { keyMask: number[][]; positions: number[] },
  ): Prepared {
    const B = tokens.length;
    const T = tokens[0]?.length ?? 0;
    if (B === 0 || T === 0) throw new ShapeError(`forward: tokens must be a non-empty [B][T] array, got [${B}][${T}]`);
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
    }
    const ids = new Int32Array(B * T);
    const V = this.config.vocab_size;
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T; t++) {
        const id = tokens[b][t];
        if (!Number.isInteger(id) || id < 0 || id >= V)
          throw new IndexError(`forward: token ${id} at [${b}][${t}] is outside the vocabulary [0, ${V})`);
        ids[b * T + t] = id;
      }
    const P = past?.keyMask[0].length ?? 0;
    const keyMask = Array.from({ length: B }, (_, b) => [
      ...(past?.keyMask[b] ?? []),
      ...(attentionMask?.[b] ?? new Array(T).fill(1)),
    ]);
    const positions = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      let pos = past ? past.positions[b] : 0; // next position of row b
      for (let t = 0; t < T; t++) {
        const real = keyMask[b][P + t] === 1;
        positions[b * T + t] = real ? pos : 0;
        if (real) pos++;
      }
    }
    // Causal masking is the attention op's own (queries are the last T of S); it needs only the padding keys.
    const keys = Uint8Array.from(keyMask.flat(), (m) => (m === 1 ? 1 : 0)); // [B·S]
    const { cos, sin } = this.ropeAt(positions, B, T);
    const tokenMask = attentionMask ? Uint8Array.from(attentionMask.flat(), (m) => (m === 1 ? 1 : 0)) : null;
    const inputs = { cos, sin, keyMask: keys.includes(0) ? keys : null, impl: impl ?? this.attnImpl, tokenMask };
    return { ids, B, T, inputs };
  }

  /** Runs the embedding, the decoder layers and the final norm: hidden [B, T, D]. */
  body(p: Prepared, stats?: MoeStats, cache?: LatentKvCache): Tensor {
    let h = this.model.embed_tokens.forward(p.ids, [p.B, p.T]); // [B, T, D]
    this.model.decoderLayers.forEach((layer, i) => {
      h = layer.forward(h, p.inputs, cache?.layers[i], stats); // [B, T, D]
    });
    return this.model.norm.forward(h); // [B, T, D]
  }

  /** hidden [B, T, D] → logits [B, T, V]. */
  head(hidden: Tensor): Tensor {
    return linear(hidden, this.headWeight); // [B, T, V]
  }

  private stats(alpha: number | undefined): MoeStats | undefined {
    if (!alpha) return undefined;
    if (!(alpha > 0)) throw new ValueError(`balanceAlpha must be ≥ 0, got ${alpha}`);
    return { balanceAlpha: alpha, balanceLosses: [] };
  }

  private sumBalance(stats?: MoeStats): Tensor | null {
    if (!stats || stats.balanceLosses.length === 0) return null;
    return stats.balanceLosses.reduce((a, b) => add(a, b));
  }

  /** cos/sin [B, T, Dr/2] at the given positions (tables grown on demand). */
  private ropeAt(positions: Int32Array, B: number, T: number): { cos: Tensor; sin: Tensor } {
    const half = this.config.qk_rope_head_dim / 2;
    let maxPos = 0;
    for (const p of positions) maxPos = Math.max(maxPos, p + 1);
    if (maxPos > this.rope.length) {
      const length = Math.max(maxPos, Math.min(this.config.max_position_embeddings, 4096));
      const t = ropeTables(this.config, length);
      this.rope = { cos: t.cos, sin: t.sin, length };
    }
    const cos = new Float32Array(B * T * half);
    const sin = new Float32Array(B * T * half);
    for (let i = 0; i < B * T; i++) {
      cos.set(this.rope.cos.subarray(positions[i] * half, (positions[i] + 1) * half), i * half);
      sin.set(this.rope.sin.subarray(positions[i] * half, (positions[i] + 1) * half), i * half);
    }
    return { cos: tensor(cos, [B, T, half]), sin: tensor(sin, [B, T, half]) };
  }

  /**
   * tokens [B][T] → hidden states [B, T, D] after the final norm, without the LM head: the input of value and
   * reward heads (HF `DeepseekV3Model` output `last_hidden_state`). Same masking/positions as `forward`; the MoE
   * balance loss is not computed here.
   */
  forwardHidden(tokens: number[][], options: Omit<ForwardOptions, 'balanceAlpha'> = {}): Tensor {
    return this.body(this.prepare(tokens, options.attentionMask, options.impl)); // [B, T, D]
  }
}

/** The model type returned by `createModel` / `loadModel`. */
export type Model = DeepseekV3Model;

/**
 * A freshly initialised model: weights ~ N(0, initializer_range²), norms 1, biases and routing bias 0, the same for
 * the same `seed`. `config` is validated and its defaults filled (HF key names).
 * @param options.maxBytes memory budget for the parameters (default 90% of the machine's memory); a config beyond it
 *   is a ConfigError (estimated bytes vs budget) before anything is allocated.
 */
export function createModel(
  config: DeepseekV3Config | DeepseekV3ConfigInput,
  options: { seed?: number; maxBytes?: number } = {},
): Model {
  return new DeepseekV3Model(parseDeepseekV3Config(config), options);
}

/** Options of `loadModel`. */
export interface LoadModelOptions {
  /** Memory budget for the parameters in bytes (float32); default 90% of the machine's memory. */
  maxBytes?: number;
  /** Refuse NaN / ±Inf weights, naming the tensor and the first bad index (default true). */
  checkFinite?: boolean;
}

/**
 * Loads config.json + model.safetensors (or a sharded index) from an HF-layout folder; f32/bf16/f16 weights. Before
 * anything is allocated, config.json must state the architecture keys (`ARCHITECTURE_KEYS`), the parameters must fit
 * `maxBytes`, and the config must agree with the checkpoint's tensor index (names, shapes, dtypes).
 */
export async function loadModel(dir: string, options: LoadModelOptions = {}): Promise<Model> {
  const configPath = join(dir, 'config.json');
  const config = await readDeepseekV3Config(configPath, { check: (raw) => requireArchitectureKeys(raw, configPath) });
  checkModelBudget(config, options.maxBytes, `loadModel(${dir})`);
  const ckpt = await SafetensorsCheckpoint.open(dir);
  try {
    checkCheckpointAgainstConfig(ckpt, config);
    // Every tensor is overwritten, so skip the random init, unless MTP layers are missing (HF-saved checkpoints).
    const mtpMissing =
      config.num_nextn_predict_layers > 0 && !ckpt.has(`model.layers.${config.num_hidden_layers}.eh_proj.weight`);
    const model = new DeepseekV3Model(config, { init: mtpMissing, maxBytes: options.maxBytes });
    await model.loadCheckpoint(ckpt, { checkFinite: options.checkFinite });
    return model;
  } finally {
    await ckpt.close();
  }
}
