/**
 * Rotary frequencies of the dense families, as HF `modeling_rope_utils` computes them (float32 arithmetic where torch
 * uses float32, so tables agree with HF's up to libm's cos/sin):
 *   default  inv_freq_i = 1 / θ^(2i/d)
 *   linear   inv_freq_i / factor
 *   dynamic  θ' = θ · (s·L/L₀ − (s − 1))^(d/(d−2)) when L = the call's longest position + 1 exceeds L₀ =
 *            max_position_embeddings; plain RoPE otherwise (HF recomputes per forward from max(position_ids) + 1)
 *            — with a KV cache, cached keys keep the rotation of the call that cached them, as in HF, so past
 *            max_position_embeddings cached decoding and a full forward differ for dynamic RoPE (by design)
 *   llama3   wavelengths 2π/inv_freq above L₀/low_freq_factor are divided by factor, those below L₀/high_freq_factor
 *            kept, the band between blended with smooth = (L₀/wavelen − low) / (high − low).
 * The cos/sin rows use the 'half' layout (rotate_half) of HF's Llama/Qwen; attention factor 1 for all three.
 * Leaves out: yarn / longrope for the dense families (a ConfigError at parse time).
 */
import type { DenseConfig } from './config.js';
import { headDimOf } from './config.js';

/** Inverse frequencies (float32, head_dim / 2) for a call whose longest position + 1 is `seqLen`. */
export function denseInvFreq(config: DenseConfig, seqLen = 0): Float32Array {
  const dim = headDimOf(config);
  const half = dim / 2;
  const rs = config.rope_scaling;
  let base = config.rope_theta;
  if (rs?.type === 'dynamic' && seqLen > config.max_position_embeddings) {
    const L0 = config.max_position_embeddings;
    base = base * ((rs.factor * seqLen) / L0 - (rs.factor - 1)) ** (dim / (dim - 2));
  }
  // torch: 1.0 / (base ** (arange(0, dim, 2).float() / dim)), float32 throughout.
  const inv = new Float32Array(half);
  for (let i = 0; i < half; i++) inv[i] = Math.fround(1 / Math.fround(base ** Math.fround((2 * i) / dim)));
  if (rs?.type === 'linear') {
    for (let i = 0; i < half; i++) inv[i] = Math.fround(inv[i] / rs.factor);
  } else if (rs?.type === 'llama3') {
    const L0 = rs.original_max_position_embeddings;
    const lowWavelen = L0 / rs.low_freq_factor;
    const highWavelen = L0 / rs.high_freq_factor;
    for (let i = 0; i < half; i++) {
      const f = inv[i];
      const wavelen = Math.fround((2 * Math.PI) / f);
      const scaled = wavelen > lowWavelen ? Math.fround(f / rs.factor) : f;
      if (!(wavelen < highWavelen) && !(wavelen > lowWavelen)) {
        const smooth = Math.fround(
          Math.fround(Math.fround(L0 / wavelen) - rs.low_freq_factor) / (rs.high_freq_factor - rs.low_freq_factor),
        );
        inv[i] = Math.fround(
          Math.fround(Math.fround((1 - smooth) * scaled) / rs.factor) + Math.fround(smooth * scaled),
        );
      } else {
        inv[i] = scaled;
      }
    }
  }
  return inv;
}

/** cos/sin [N, head_dim / 2] at the given positions (`seqLen` selects dynamic RoPE's base). */
export function denseRopeAt(
  config: DenseConfig,
  positions: Int32Array,
  seqLen: number,
): { cos: Float32Array; sin: Float32Array; half: number } {
  const inv = denseInvFreq(config, seqLen);
  const half = inv.length;
  const cos = new Float32Array(positions.length * half);
  const sin = new Float32Array(positions.length * half);
  for (let n = 0; n < positions.length; n++) {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(positions[n] * inv[i]); // float32 product, as torch's inv_freq @ positions
      cos[n * half + i] = Math.fround(Math.cos(angle));
      sin[n * half + i] = Math.fround(Math.sin(angle));
    }
  }
  return { cos, sin, half };
}
