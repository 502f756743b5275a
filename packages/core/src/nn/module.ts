/**
 * A small Module base and the three leaf layers every transformer needs: Linear (HF layout [out, in]), RMSNorm and
 * Embedding. Parameters and buffers are registered under their attribute names, so the dotted path of a parameter
 * is its Hugging Face tensor name (`model.layers.0.self_attn.q_a_proj.weight`) when attribute names follow HF, which
 * is what makes checkpoints move both ways without a renaming layer.
 * Follows torch.nn.Module in spirit; leaves out hooks, devices, dtypes and `apply`.
 */
import { ValueError } from '../errors.js';
import { Mulberry32 } from '../random.js';
import { type Tensor, zeros } from '../tensor.js';
import { add, embedding, linear, rmsNorm } from './functional.js';

/** A seeded normal sampler (mulberry32 + Box–Muller), so `createModel(config, { seed })` is reproducible. */
export class InitRng {
  private readonly gen: Mulberry32;
  private spare: number | null = null;
  /** @param fill false = leave weights at zero (loading a checkpoint overwrites them anyway). */
  constructor(
    seed: number,
    readonly fill = true,
  ) {
    this.gen = new Mulberry32(seed);
  }
  /** Uniform in [0, 1). */
  uniform(): number {
    return this.gen.next();
  }
  /** Standard normal. */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    const u = Math.max(this.uniform(), 1e-12);
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
  /** A trainable leaf of the given shape with N(0, std²) values. */
  normalTensor(shape: number[], std: number): Tensor {
    const t = zeros(shape);
    const v = t.storage;
    if (this.fill) for (let i = 0; i < v.length; i++) v[i] = this.normal() * std;
    return t.requiresGrad_();
  }
}

/** Base class: registers parameters, buffers and child modules by name; names are HF tensor names. */
export class Module {
  /** Training mode (dropout-free model, so it only affects what subclasses choose, e.g. load counting). */
  training = true;
  private readonly _params = new Map<string, Tensor>();
  private readonly _buffers = new Map<string, Tensor>();
  private readonly _children = new Map<string, Module>();

  /** Registers a trainable tensor under `name` and returns it. */
  protected param(name: string, t: Tensor): Tensor {
    t.requiresGrad_(true);
    this._params.set(name, t);
    return t;
  }

  /** Registers a non-trainable tensor that is saved with the checkpoint (e.g. the routing bias). */
  protected buffer(name: string, t: Tensor): Tensor {
    this._buffers.set(name, t);
    return t;
  }

  /** Registers a child module under `name` and returns it. */
  protected child<M extends Module>(name: string, m: M): M {
    this._children.set(name, m);
    return m;
  }

  /** All parameters with their dotted (HF) names, depth-first in registration order. */
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, t] of this._params) out.push([prefix + n, t]);
    for (const [n, m] of this._children) out.push(...m.namedParameters(`${prefix}${n}.`));
    return out;
  }

  /** All buffers with their dotted names. */
  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, t] of this._buffers) out.push([prefix + n, t]);
    for (const [n, m] of this._children) out.push(...m.namedBuffers(`${prefix}${n}.`));
    return out;
  }

  /**
   * The trainable tensors (each gets `.grad` after `backward()`): the parameters whose `requiresGrad` is set, so a
   * model with frozen weights (LoRA, nn/lora.ts) hands its optimizer only what trains. `namedParameters` lists all.
   */
  parameters(): Tensor[] {
    return this.namedParameters()
      .filter(([, t]) => t.requiresGrad)
      .map(([, t]) => t);
  }

  /** Every module with its dotted path ('' = this one), depth-first (LoRA matches target names against these). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix.replace(/\.$/, ''), this]];
    for (const [n, m] of this._children) out.push(...m.namedModules(`${prefix}${n}.`));
    return out;
  }

  /** Adds, replaces or (m = null) removes a child after construction (LoRA attaches / drops lora_A and lora_B). */
  setChild(name: string, m: Module | null): void {
    if (m) this._children.set(name, m);
    else this._children.delete(name);
  }

  /** Parameters and buffers by name: what a checkpoint holds. */
  stateDict(): Map<string, Tensor> {
    return new Map([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /** Sets training mode here and in all children; returns `this`. */
  train(flag = true): this {
    this.training = flag;
    for (const m of this._children.values()) m.train(flag);
    return this;
  }

  /** Same as `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /** Writes each tensor's HF name into `tensor.name` (for error messages and optimizer state). */
  nameTensors(prefix = ''): void {
    for (const [n, t] of [...this.namedParameters(prefix), ...this.namedBuffers(prefix)]) t.name = n;
  }
}

/** A list of modules named 0, 1, 2, … (HF `nn.ModuleList`). */
export class ModuleList<M extends Module> extends Module {
  readonly items: M[];
  constructor(items: M[], startIndex = 0) {
    super();
    this.items = items;
    items.forEach((m, i) => {
      this.child(String(startIndex + i), m);
    });
  }
}

/** What a Linear adds to its output when adapted (a LoRA adapter, nn/lora.ts): delta(x) [..., out]. */
export interface LinearAdapter {
  forward(x: Tensor): Tensor;
}

/** y = x · Wᵀ (+ b) (+ adapter(x)), weight [out, in] as in HF. */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias?: Tensor;
  /** Set by `applyLora` (nn/lora.ts), cleared by `mergeLora`; null = a plain Linear. */
  adapter: LinearAdapter | null = null;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: { bias?: boolean; rng?: InitRng; std?: number } = {},
  ) {
    super();
    if (!Number.isInteger(inFeatures) || !Number.isInteger(outFeatures) || inFeatures < 1 || outFeatures < 1) {
      throw new ValueError(`Linear: inFeatures ${inFeatures} and outFeatures ${outFeatures} must be positive integers`);
    }
    const w = options.rng
      ? options.rng.normalTensor([outFeatures, inFeatures], options.std ?? 0.02)
      : zeros([outFeatures, inFeatures]);
    this.weight = this.param('weight', w);
    if (options.bias) this.bias = this.param('bias', zeros([outFeatures]));
  }
  forward(x: Tensor): Tensor {
    const y = linear(x, this.weight, this.bias); // [..., out]
    return this.adapter ? add(y, this.adapter.forward(x)) : y;
  }
}

/** Root-mean-square norm over the last dim with a learned scale (initialised to ones). */
export class RMSNorm extends Module {
  readonly weight: Tensor;
  constructor(
    readonly dim: number,
    readonly eps = 1e-6,
  ) {
    super();
    const w = zeros([dim]);
    w.storage.fill(1);
    this.weight = this.param('weight', w);
  }
  forward(x: Tensor): Tensor {
    return rmsNorm(x, this.weight, this.eps);
  }
}

/** Token embedding table [V, D]. */
export class Embedding extends Module {
  readonly weight: Tensor;
  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: { rng?: InitRng; std?: number } = {},
  ) {
    super();
    const w = options.rng
      ? options.rng.normalTensor([numEmbeddings, embeddingDim], options.std ?? 0.02)
      : zeros([numEmbeddings, embeddingDim]);
    this.weight = this.param('weight', w);
  }
  /** ids [B, T] (row-major) → [B, T, D]. */
  forward(ids: Int32Array, idsShape: number[]): Tensor {
    return embedding(this.weight, ids, idsShape);
  }
}
