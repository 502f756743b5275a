/**
 * A reward model: the DeepSeek-V3 backbone with a linear value head on the final hidden state of each sequence's last
 * real token, HF `*ForSequenceClassification` style (`LlamaForSequenceClassification`: `score` = Linear(hidden,
 * num_labels, bias=False), pooled at the last non-pad position). Tensor names are `model.*` (the backbone, HF
 * `DeepseekV3Model`) + `score.weight` [num_labels, hidden]; config.json is the DeepSeek-V3 config plus `num_labels`,
 * `id2label`/`label2id` and `architectures: ["DeepseekV3ForSequenceClassification"]`.
 * Letters: B batch, T positions, D hidden, L labels.
 * Leaves out: the LM head and the MTP modules (a reward model does not predict tokens; they are neither trained nor
 * saved), a score bias (HF has none), regression/multi-label `problem_type` switches (the losses live in losses.ts).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AhaError,
  createModel,
  type DeepseekV3Config,
  type DeepseekV3ConfigInput,
  DeepseekV3Model,
  type FloatDType,
  InitRng,
  indexSelect,
  linear,
  type Model,
  noGrad,
  parseDeepseekV3Config,
  reshape,
  SafetensorsCheckpoint,
  ShapeError,
  type Tensor,
  type TensorToWrite,
  ValueError,
  writeSafetensorsCheckpoint,
  zeros,
} from '@aha/core';

/** HF architecture name written to config.json. */
export const REWARD_MODEL_ARCHITECTURE = 'DeepseekV3ForSequenceClassification';

/** Options of `createRewardModel` / `RewardModel.fromBackbone`. */
export interface RewardModelOptions {
  /** Outputs of the value head: 1 for a scalar reward (pairwise RM, binary safety logit). Default 1. */
  numLabels?: number;
  /** Names of the outputs (HF `id2label`), e.g. `['unsafe']`; default `LABEL_0`, `LABEL_1`, … */
  labels?: string[];
  /** Seed of the value-head init N(0, initializer_range²). */
  seed?: number;
}

/** The backbone + value head. Create with `createRewardModel`, `RewardModel.fromBackbone` or `loadRewardModel`. */
export class RewardModel {
  /** [L, D] value head, HF name `score.weight`. */
  readonly score: Tensor;
  readonly labels: string[];

  constructor(
    /** The causal LM whose `model.*` backbone is used; its LM head and MTP modules are ignored. */
    readonly backbone: DeepseekV3Model,
    score: Tensor,
    labels?: string[],
  ) {
    const D = backbone.config.hidden_size;
    if (score.shape.length !== 2 || score.shape[1] !== D || score.shape[0] < 1)
      throw new ShapeError(`RewardModel: score must be [num_labels, ${D}], got [${score.shape.join(', ')}]`);
    this.score = score.requiresGrad_();
    this.score.name = 'score.weight';
    const L = score.shape[0];
    this.labels = labels ?? Array.from({ length: L }, (_, i) => `LABEL_${i}`);
    if (this.labels.length !== L)
      throw new ValueError(`RewardModel: labels has ${this.labels.length} names but num_labels is ${L}`);
  }

  /**
   * A reward model on an existing (e.g. SFT) model's backbone — the usual starting point (InstructGPT, DeepSeek-R1):
   * the backbone tensors are shared, not copied, and a fresh value head is drawn.
   */
  static fromBackbone(backbone: Model, options: RewardModelOptions = {}): RewardModel {
    // Dense (Llama / Qwen) backbones have no sequence-classification head here yet: say so instead of failing later.
    if (!(backbone instanceof DeepseekV3Model)) {
      throw new AhaError(
        'config',
        'RewardModel.fromBackbone: the backbone must be a DeepSeek-V3 model (dense Llama / Qwen backbones are not supported yet)',
      );
    }
    const L = options.numLabels ?? 1;
    if (!(Number.isInteger(L) && L >= 1)) throw new ValueError(`RewardModel: numLabels must be ≥ 1, got ${L}`);
    const { hidden_size, initializer_range } = backbone.config;
    const w = new InitRng(options.seed ?? 0).normalTensor([L, hidden_size], initializer_range); // [L, D]
    return new RewardModel(backbone, w, options.labels);
  }

  get config(): DeepseekV3Config {
    return this.backbone.config;
  }

  get numLabels(): number {
    return this.score.shape[0];
  }

  /** Backbone tensors that the reward model uses: decoder layers, embedding and final norm (no LM head, no MTP). */
  private backboneTensors(): [string, Tensor][] {
    const L = this.config.num_hidden_layers;
    return [...this.backbone.stateDict()].filter(([name]) => {
      if (!name.startsWith('model.')) return false; // lm_head.weight
      const layer = /^model\.layers\.(\d+)\./.exec(name);
      return !layer || Number(layer[1]) < L;
    });
  }

  /** Parameters and buffers by HF name: what `save` writes and a training checkpoint stores. */
  stateDict(): Map<string, Tensor> {
    return new Map([...this.backboneTensors(), ['score.weight', this.score]]);
  }

  /** The trainable tensors (backbone without LM head/MTP, plus the value head). */
  parameters(): Tensor[] {
    return [...new Set([...this.backboneTensors().map(([, t]) => t), this.score])].filter((t) => t.requiresGrad);
  }

  /**
   * Values [B, L] at each row's last real token (the last position whose mask is 1; the last position when no mask).
   * Rows may be left- or right-padded. The autograd entry for training.
   */
  forward(tokens: number[][], options: { attentionMask?: number[][] } = {}): Tensor {
    const B = tokens.length;
    const T = tokens[0]?.length ?? 0;
    const last = new Int32Array(B);
    for (let b = 0; b < B; b++) {
      const m = options.attentionMask?.[b];
      let i = T - 1;
      if (m) while (i >= 0 && m[i] !== 1) i--;
      if (i < 0) throw new ValueError(`RewardModel.forward: row ${b} of attentionMask has no real token`);
      last[b] = b * T + i;
    }
    const hidden = this.backbone.forwardHidden(tokens, options); // [B, T, D]
    const pooled = indexSelect(reshape(hidden, [B * T, this.config.hidden_size]), 0, last); // [B, D]
    return linear(pooled, this.score); // [B, L]
  }

  /** `forward` without recording a graph; values as plain arrays [B][L]. */
  predict(tokens: number[][], options: { attentionMask?: number[][] } = {}): number[][] {
    const out = noGrad(() => this.forward(tokens, options));
    const v = out.toFloat32Array();
    const L = this.numLabels;
    return Array.from({ length: tokens.length }, (_, b) => Array.from(v.subarray(b * L, (b + 1) * L)));
  }

  /** config.json for this reward model (the backbone config + HF sequence-classification keys). */
  configJson(): Record<string, unknown> {
    const id2label = Object.fromEntries(this.labels.map((l, i) => [String(i), l]));
    const label2id = Object.fromEntries(this.labels.map((l, i) => [l, i]));
    return {
      ...this.config,
      architectures: [REWARD_MODEL_ARCHITECTURE],
      num_labels: this.numLabels,
      id2label,
      label2id,
    };
  }

  /** Writes config.json + model.safetensors (HF layout: `model.*` and `score.weight`). */
  async save(dir: string, options: { dtype?: FloatDType } = {}): Promise<void> {
    const tensors = new Map<string, TensorToWrite>();
    for (const [name, t] of this.stateDict()) tensors.set(name, { data: t.toFloat32Array(), shape: [...t.shape] });
    await writeSafetensorsCheckpoint(dir, tensors, options);
    await writeFile(join(dir, 'config.json'), `${JSON.stringify(this.configJson(), null, 2)}\n`);
  }
}

/** A fresh reward model: a new backbone from `config` (HF DeepseekV3Config keys) and a new value head. */
export function createRewardModel(
  config: DeepseekV3Config | DeepseekV3ConfigInput,
  options: RewardModelOptions = {},
): RewardModel {
  const backbone = createModel(config, { seed: options.seed ?? 0 });
  return RewardModel.fromBackbone(backbone, { ...options, seed: (options.seed ?? 0) + 1 });
}

/**
 * Loads a reward model saved by `RewardModel.save` (or by HF `save_pretrained` of a sequence-classification model
 * with DeepSeek-V3 names): config.json with `num_labels`, and `model.*` + `score.weight` tensors.
 */
export async function loadRewardModel(dir: string): Promise<RewardModel> {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
  } catch (err) {
    throw new AhaError('io', `loadRewardModel: cannot read ${join(dir, 'config.json')}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const { num_labels, id2label, label2id: _label2id, ...rest } = raw;
  const numLabels = num_labels === undefined ? 1 : Number(num_labels);
  if (!(Number.isInteger(numLabels) && numLabels >= 1))
    throw new ValueError(`loadRewardModel: num_labels in ${dir}/config.json must be ≥ 1, got ${String(num_labels)}`);
  const config = parseDeepseekV3Config({ ...rest, architectures: ['DeepseekV3ForCausalLM'] });
  const backbone = new DeepseekV3Model(config, { init: false });
  const labels =
    id2label && typeof id2label === 'object'
      ? Array.from({ length: numLabels }, (_, i) => String((id2label as Record<string, unknown>)[String(i)] ?? i))
      : undefined;
  const rm = new RewardModel(backbone, zeros([numLabels, config.hidden_size]), labels);
  const ckpt = await SafetensorsCheckpoint.open(dir);
  try {
    for (const [name, t] of rm.stateDict()) {
      if (!ckpt.has(name)) throw new AhaError('io', `loadRewardModel: ${dir} has no tensor "${name}"`);
      const { data, shape } = await ckpt.read(name);
      if (shape.join() !== t.shape.join())
        throw new ShapeError(
          `loadRewardModel: "${name}" is [${shape.join(', ')}] in ${dir} but the config needs [${t.shape.join(', ')}]`,
        );
      t.storage.set(data, t.offset);
    }
  } finally {
    await ckpt.close();
  }
  return rm;
}
