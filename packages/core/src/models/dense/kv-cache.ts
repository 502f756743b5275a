/**
 * The grouped-query KV cache of the dense families: per layer, the roped keys and the values of the Hk key/value
 * heads ([B, Hk, capacity, Dh] each), so a GQA model caches Hk/H of what a per-query-head cache would. Buffers are
 * preallocated to the generation's maximum length; `append` writes the new positions in place.
 * Leaves out: paging, eviction, per-row lengths (rows stay aligned by left padding), half-precision storage.
 */
import { ValueError } from '../../errors.js';
import { Tensor } from '../../tensor.js';

export class GqaLayerCache {
  private readonly k: Float32Array;
  private readonly v: Float32Array;
  length = 0;

  constructor(
    readonly batch: number,
    readonly kvHeads: number,
    readonly capacity: number,
    readonly headDim: number,
  ) {
    this.k = new Float32Array(batch * kvHeads * capacity * headDim);
    this.v = new Float32Array(batch * kvHeads * capacity * headDim);
  }

  /**
   * Appends k, v [B, Hk, T, Dh] (values only: inference state, outside autograd) and returns views of every cached
   * position with the K/V heads folded into the batch, as the attention reads them: [B·Hk, 1, S, Dh] each, strided
   * over the buffers (no copy of the cache per step).
   */
  append(k: Tensor, v: Tensor): { k: Tensor; v: Tensor } {
    const T = k.shape[2];
    if (this.length + T > this.capacity) {
      throw new ValueError(`GqaLayerCache: ${this.length} + ${T} positions exceed the capacity ${this.capacity}`);
    }
    const rows = this.batch * this.kvHeads;
    const D = this.headDim;
    for (const [dst, src] of [
      [this.k, k.values()],
      [this.v, v.values()],
    ] as const) {
      for (let r = 0; r < rows; r++)
        dst.set(src.subarray(r * T * D, (r + 1) * T * D), (r * this.capacity + this.length) * D);
    }
    this.length += T;
    const shape = [rows, 1, this.length, D];
    const strides = [this.capacity * D, this.capacity * D, D, 1];
    return { k: new Tensor(this.k, shape, strides), v: new Tensor(this.v, shape, strides) };
  }
}

/** One GQA cache per decoder layer. */
export class GqaKvCache {
  readonly layers: GqaLayerCache[];
  constructor(numLayers: number, batch: number, kvHeads: number, capacity: number, headDim: number) {
    this.layers = Array.from({ length: numLayers }, () => new GqaLayerCache(batch, kvHeads, capacity, headDim));
  }
  /** Positions cached so far. */
  get length(): number {
    return this.layers[0]?.length ?? 0;
  }
}
