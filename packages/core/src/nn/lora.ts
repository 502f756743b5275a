/**
 * LoRA (Hu et al. 2021) as PEFT applies it: each targeted Linear y = W x + b gains two small children, lora_A
 * [r, in] and lora_B [out, r], and computes y = W x + b + (alpha / r) · B (A (dropout(x))). A starts
 * Kaiming-uniform(a = √5) (uniform in ±1/√in, as PEFT's default `init_lora_weights = true`), B starts at zero, so an
 * adapted model first computes exactly the base model. Every other parameter is frozen (`requiresGrad = false`), so
 * `model.parameters()` — what the trainers hand their optimizer — lists only the adapters.
 * The children are registered under the Linear, so their dotted names are PEFT's saved names without the
 * `base_model.model.` prefix (`model.layers.0.self_attn.q_proj.lora_A.weight`); models/lora/peft.ts reads and writes
 * PEFT's files. `mergeLora` folds W += (alpha / r) · B · A and drops the adapters, leaving a plain model.
 * Leaves out: rsLoRA / DoRA / bias training, per-module rank patterns, several named adapters, a frozen base in half
 * precision (later slices).
 */
import { AhaError, ValueError } from '../errors.js';
import { Mulberry32 } from '../random.js';
import { type Tensor, tensor } from '../tensor.js';
import { linear, mul } from './functional.js';
import { Linear, type LinearAdapter, type Module } from './module.js';

/** What `applyLora` takes (PEFT's LoraConfig keys, camel-cased). */
export interface LoraOptions {
  /** Rank of A and B (PEFT `r`). */
  r: number;
  /** Scale numerator: the update is (alpha / r) · B A (PEFT `lora_alpha`; default r, i.e. scale 1). */
  alpha?: number;
  /** Dropout probability on the adapter's input in training mode (PEFT `lora_dropout`; default 0). */
  dropout?: number;
  /**
   * Module names to adapt, matched as PEFT's list form of `target_modules`: a Linear whose dotted path equals a
   * name or ends with `.name` (e.g. 'q_proj' adapts every layer's q_proj).
   */
  targetModules: readonly string[];
  /** Seed of A's initialisation and of the dropout masks (default 0). */
  seed?: number;
}

/** The LoRA settings a model carries after `applyLora` (what `saveLoraAdapter` writes). */
export interface LoraState {
  r: number;
  alpha: number;
  dropout: number;
  targetModules: string[];
  /** Dotted paths of the adapted Linears, in model order. */
  adapted: string[];
}

const STATE = new WeakMap<Module, LoraState>();

/** One adapter on one Linear: lora_A / lora_B are registered as the Linear's children. */
export class LoraAdapter implements LinearAdapter {
  constructor(
    readonly host: Linear,
    readonly lora_A: Linear,
    readonly lora_B: Linear,
    readonly scaling: number,
    readonly dropout: number,
    private readonly rng: Mulberry32,
  ) {}

  /** x [..., in] → (alpha / r) · B A dropout(x) [..., out]. Dropout only in training mode (`host.training`). */
  forward(x: Tensor): Tensor {
    let xin = x;
    if (this.dropout > 0 && this.host.training) {
      const keep = 1 / (1 - this.dropout);
      const m = new Float32Array(x.numel);
      for (let i = 0; i < m.length; i++) m[i] = this.rng.next() < this.dropout ? 0 : keep;
      xin = mul(x, tensor(m, x.shape));
    }
    return mul(linear(linear(xin, this.lora_A.weight), this.lora_B.weight), this.scaling); // [..., out]
  }
}

/** Linears LoRA may not adapt: their weights are read directly (fused LM head + loss, MoE expert kernel, MLA absorb). */
const NOT_ADAPTABLE: { re: RegExp; why: string }[] = [
  { re: /(^|\.)lm_head$|shared_head\.head$/, why: 'the LM head is fused into the loss (linearCrossEntropy)' },
  { re: /\.experts\.\d+\./, why: 'routed experts run in the fused MoE kernel, which reads the weights directly' },
  { re: /(^|\.)kv_b_proj$/, why: "MLA's absorbed attention reads kv_b_proj's weight directly" },
];

function linearsOf(model: Module): [string, Linear][] {
  return model.namedModules().filter((e): e is [string, Linear] => e[1] instanceof Linear && !e[0].includes('lora_'));
}

/** The settings of the adapters on `model`, or null when none are attached. */
export function loraStateOf(model: Module): LoraState | null {
  const s = STATE.get(model);
  return s ? { ...s, targetModules: [...s.targetModules], adapted: [...s.adapted] } : null;
}

/**
 * Attaches LoRA adapters to the Linears `targetModules` names and freezes every other parameter. Returns the adapted
 * paths. A target matching no Linear is a ValueError listing the Linear names there are.
 */
export function applyLora(model: Module, options: LoraOptions): string[] {
  if (STATE.has(model)) throw new ValueError('applyLora: the model already has LoRA adapters (mergeLora first)');
  const { r } = options;
  const alpha = options.alpha ?? r;
  const dropout = options.dropout ?? 0;
  if (!Number.isInteger(r) || r < 1) throw new ValueError(`applyLora: r must be a positive integer, got ${r}`);
  if (!(Number.isFinite(alpha) && alpha > 0)) throw new ValueError(`applyLora: alpha must be > 0, got ${alpha}`);
  if (!(dropout >= 0 && dropout < 1)) throw new ValueError(`applyLora: dropout must be in [0, 1), got ${dropout}`);
  const targets = [...options.targetModules];
  if (targets.length === 0) throw new ValueError('applyLora: targetModules is empty');
  const linears = linearsOf(model);
  const chosen: [string, Linear][] = [];
  for (const t of targets) {
    if (typeof t !== 'string' || t === '') throw new ValueError(`applyLora: target ${JSON.stringify(t)} is not a name`);
    const hits = linears.filter(([p]) => p === t || p.endsWith(`.${t}`));
    if (hits.length === 0) {
      const names = [...new Set(linears.map(([p]) => p.split('.').pop()))].sort();
      throw new ValueError(`applyLora: target "${t}" matches no Linear module; available: ${names.join(', ')}`);
    }
    for (const [p, m] of hits) {
      const bad = NOT_ADAPTABLE.find((b) => b.re.test(p));
      if (bad) throw new ValueError(`applyLora: "${p}" (target "${t}") cannot take LoRA: ${bad.why}`);
      if (!chosen.some(([, c]) => c === m)) chosen.push([p, m]);
    }
  }
  for (const [, t] of model.namedParameters()) t.requiresGrad_(false);
  const seed = options.seed ?? 0;
  const initRng = new Mulberry32(seed);
  chosen.forEach(([, lin], i) => {
    const A = new Linear(lin.inFeatures, r);
    const bound = 1 / Math.sqrt(lin.inFeatures); // kaiming_uniform_(a=√5): gain √(1/3), bound = gain·√3/√fan_in
    const a = A.weight.values();
    for (let j = 0; j < a.length; j++) a[j] = (2 * initRng.next() - 1) * bound;
    const B = new Linear(r, lin.outFeatures); // zeros
    lin.setChild('lora_A', A);
    lin.setChild('lora_B', B);
    lin.adapter = new LoraAdapter(lin, A, B, alpha / r, dropout, new Mulberry32(seed + 7919 * (i + 1)));
    A.train(lin.training);
    B.train(lin.training);
  });
  const state: LoraState = { r, alpha, dropout, targetModules: targets, adapted: chosen.map(([p]) => p) };
  STATE.set(model, state);
  model.nameTensors();
  // A plain HF checkpoint cannot hold adapters: `model.save` now refuses (instead of writing lora_* tensors no HF
  // loader takes) until mergeLora removes this instance override.
  const host = model as Module & { save?: unknown };
  if (typeof host.save === 'function') {
    host.save = () =>
      Promise.reject(
        new AhaError(
          'state',
          'save: the model has LoRA adapters; mergeLora(model) first, or saveLoraAdapter(model, dir)',
        ),
      );
  }
  return [...state.adapted];
}

/** The adapters of `model` by dotted path of their Linear (empty when none). */
export function loraAdaptersOf(model: Module): Map<string, LoraAdapter> {
  const out = new Map<string, LoraAdapter>();
  for (const [p, m] of linearsOf(model)) if (m.adapter instanceof LoraAdapter) out.set(p, m.adapter);
  return out;
}

/** The trainable parameters with their names (after `applyLora`: the lora_A / lora_B weights only). */
export function trainableParameters(model: Module): [string, Tensor][] {
  return model.namedParameters().filter(([, t]) => t.requiresGrad);
}

/**
 * Folds every adapter into its base weight (W += (alpha / r) · B · A), removes the adapters and unfreezes the base,
 * so `model.save(dir)` writes a plain HF checkpoint. A model without adapters is a ValueError.
 */
export function mergeLora(model: Module): void {
  if (!STATE.has(model)) throw new ValueError('mergeLora: the model has no LoRA adapters');
  for (const [, lin] of linearsOf(model)) {
    const ad = lin.adapter;
    if (!(ad instanceof LoraAdapter)) continue;
    const I = lin.inFeatures;
    const O = lin.outFeatures;
    const r = ad.lora_A.outFeatures;
    const A = ad.lora_A.weight.toFloat32Array(); // [r, I]
    const B = ad.lora_B.weight.toFloat32Array(); // [O, r]
    const W = lin.weight.values(); // [O, I]
    const row = new Float64Array(I);
    for (let o = 0; o < O; o++) {
      row.fill(0);
      for (let k = 0; k < r; k++) {
        const b = B[o * r + k];
        if (b === 0) continue;
        for (let i = 0; i < I; i++) row[i] += b * A[k * I + i];
      }
      for (let i = 0; i < I; i++) W[o * I + i] += ad.scaling * row[i];
    }
    lin.adapter = null;
    lin.setChild('lora_A', null);
    lin.setChild('lora_B', null);
  }
  STATE.delete(model);
  delete (model as Module & { save?: unknown }).save; // back to the class's save
  for (const [, t] of model.namedParameters()) t.requiresGrad_(true);
}
