/**
 * The MLA latent KV cache (DeepSeek-V3 paper §2.1.1, eq. 9 and 11): per layer it stores only the compressed latent
 * c_KV (after kv_a_layernorm, [B, S, kv_lora_rank]) and the roped shared key k^R ([B, S, qk_rope_head_dim]) —
 * (d_c + d_h^R) floats per token instead of 2·n_h·d_h — and the absorbed decode path attends over them directly.
 * Buffers are preallocated to the generation's maximum length; `append` writes the new positions in place.
 * Leaves out: paging, eviction, per-row lengths (rows stay aligned by left padding).
 */
import { ValueError } from '../../errors.js';
import { narrow } from '../../nn/functional.js';
import { Tensor } from '../../tensor.js';

export class LatentLayerCache {
  /** [B, capacity, kv_lora_rank] */
  private readonly kv: Float32Array;
  /** [B, capacity, qk_rope_head_dim] */
  private readonly pe: Float32Array;
  length = 0;

  constructor(
    readonly batch: number,
    readonly capacity: number,
    readonly latentDim: number,
    readonly ropeDim: number,
  ) {
    this.kv = new Float32Array(batch * capacity * latentDim);
    this.pe = new Float32Array(batch * capacity * ropeDim);
  }

  /**
   * Appends latent [B, T, c] and k_pe [B, T, r] (values only: the cache is inference state, outside autograd) and
   * returns views of everything cached so far: [B, S, c] and [B, S, r].
   */
  append(latent: Tensor, kPe: Tensor): { latent: Tensor; kPe: Tensor } {
    const T = latent.shape[1];
    if (this.length + T > this.capacity) {
      throw new ValueError(`LatentLayerCache: ${this.length} + ${T} positions exceed the capacity ${this.capacity}`);
    }
    write(this.kv, latent.values(), this.batch, this.capacity, this.latentDim, this.length, T);
    write(this.pe, kPe.values(), this.batch, this.capacity, this.ropeDim, this.length, T);
    this.length += T;
    return {
      latent: narrow(new Tensor(this.kv, [this.batch, this.capacity, this.latentDim]), 1, 0, this.length),
      kPe: narrow(new Tensor(this.pe, [this.batch, this.capacity, this.ropeDim]), 1, 0, this.length),
    };
  }

  /** Cached floats per token (for reporting the cache's size against a full K/V cache). */
  get floatsPerToken(): number {
    return this.latentDim + this.ropeDim;
  }
}

function write(dst: Float32Array, src: Float32Array, B: number, cap: number, D: number, at: number, T: number): void {
  for (let b = 0; b < B; b++) dst.set(src.subarray(b * T * D, (b + 1) * T * D), (b * cap + at) * D);
}

/** One latent cache per decoder layer. */
export class LatentKvCache {
  readonly layers: LatentLayerCache[];
  constructor(numLayers: number, batch: number, capacity: number, latentDim: number, ropeDim: number) {
    this.layers = Array.from({ length: numLayers }, () => new LatentLayerCache(batch, capacity, latentDim, ropeDim));
  }
  /** Positions cached so far. */
  get length(): number {
    return this.layers[0]?.length ?? 0;
  }
}
