/**
 * RoPE frequencies with YaRN scaling, the YaRN attention factors, and cos/sin tables, as plain JS.
 *
 * Follows HF `modeling_rope_utils._compute_yarn_parameters` and `DeepseekV3Attention.__init__`
 * (`transformers/models/deepseek_v3/modeling_deepseek_v3.py`), which match DeepSeek's `DeepseekV3YarnRotaryEmbedding`:
 *   inv_freq_i  = interp_i · (1 − γ_i) + extrap_i · γ_i, extrap_i = θ^(−2i/d), interp_i = extrap_i / s,
 *                 γ_i = 1 − clamp((i − low) / (high − low), 0, 1), [low, high] = YaRN correction range (β_fast, β_slow)
 *   cos/sin     × attention_factor = mscale(s, mscale) / mscale(s, mscale_all_dim)
 *   softmax     = qk_head_dim^−0.5 × mscale(s, mscale_all_dim)²  (when mscale_all_dim ≠ 0)
 *   mscale(s,m) = 0.1 · m · ln(s) + 1 for s > 1, else 1.
 * Arithmetic mirrors torch's float32 where it matters: inv_freq is rounded to float32 and the angle pos · inv_freq is a
 * float32 product (exact in float64, then rounded), so tables agree with HF's bit-for-bit up to libm's cos/sin.
 *
 * Leaves out: dynamic / linear / llama3 / longrope scaling. `factor` is taken from the config (current HF); older HF
 * versions recomputed it as max_position_embeddings / original_max_position_embeddings — identical for DeepSeek's
 * own configs, where the two agree.
 */
import { ValueError } from '../../errors.js';
import type { DeepseekV3Config } from './config.js';

/** YaRN's magnitude scaling: 0.1·m·ln(s) + 1 for s > 1, else 1. */
export function yarnGetMscale(scale: number, mscale = 1): number {
  if (scale <= 1) return 1;
  return 0.1 * mscale * Math.log(scale) + 1;
}

/** The fractional dimension whose wavelength makes `numRotations` turns over `maxPos` positions. */
function correctionDim(numRotations: number, dim: number, base: number, maxPos: number): number {
  return (dim * Math.log(maxPos / (numRotations * 2 * Math.PI))) / (2 * Math.log(base));
}

/** The YaRN correction range [low, high] of rotary dims (HF `find_correction_range`). */
export function yarnCorrectionRange(
  betaFast: number,
  betaSlow: number,
  dim: number,
  base: number,
  originalMaxPos: number,
  truncate = true,
): [number, number] {
  let low = correctionDim(betaFast, dim, base, originalMaxPos);
  let high = correctionDim(betaSlow, dim, base, originalMaxPos);
  if (truncate) {
    low = Math.floor(low);
    high = Math.ceil(high);
  }
  return [Math.max(low, 0), Math.min(high, dim - 1)];
}

/** Inverse frequencies (float32, length qk_rope_head_dim/2) and the cos/sin attention factor. */
export function ropeInvFreq(config: DeepseekV3Config): { invFreq: Float32Array; attentionFactor: number } {
  const dim = config.qk_rope_head_dim;
  const base = config.rope_theta;
  const half = dim / 2;
  // torch: base ** (arange(0, dim, 2).float() / dim) in float32, then reciprocal in float32.
  const posFreq = (i: number) => Math.fround(base ** Math.fround((2 * i) / dim));
  const invFreq = new Float32Array(half);
  const rs = config.rope_scaling;
  if (rs === null) {
    for (let i = 0; i < half; i++) invFreq[i] = 1 / posFreq(i);
    return { invFreq, attentionFactor: 1 };
  }
  const factor = rs.factor;
  const attentionFactor =
    rs.attention_factor ??
    (rs.mscale && rs.mscale_all_dim
      ? yarnGetMscale(factor, rs.mscale) / yarnGetMscale(factor, rs.mscale_all_dim)
      : yarnGetMscale(factor));
  const [low, highRaw] = yarnCorrectionRange(
    rs.beta_fast || 32,
    rs.beta_slow || 1,
    dim,
    base,
    rs.original_max_position_embeddings,
    rs.truncate ?? true,
  );
  const high = low === highRaw ? highRaw + 0.001 : highRaw; // HF: prevent a zero-width ramp
  for (let i = 0; i < half; i++) {
    const pf = posFreq(i);
    const extrap = Math.fround(1 / pf);
    const interp = Math.fround(1 / Math.fround(factor * pf));
    const ramp = Math.fround(Math.min(1, Math.max(0, Math.fround((i - low) / (high - low)))));
    const extrapFactor = Math.fround(1 - ramp);
    invFreq[i] = Math.fround(Math.fround(interp * Math.fround(1 - extrapFactor)) + Math.fround(extrap * extrapFactor));
  }
  return { invFreq, attentionFactor };
}

/** Softmax scale of MLA: qk_head_dim^−0.5, times mscale(s, mscale_all_dim)² under YaRN with mscale_all_dim ≠ 0. */
export function softmaxScale(config: DeepseekV3Config): number {
  let scale = (config.qk_nope_head_dim + config.qk_rope_head_dim) ** -0.5;
  const rs = config.rope_scaling;
  if (rs?.mscale_all_dim) {
    const m = yarnGetMscale(rs.factor, rs.mscale_all_dim);
    scale *= m * m;
  }
  return scale;
}

/** cos/sin tables for positions 0..maxPos−1, each `[maxPos, qk_rope_head_dim / 2]` row-major, × attention factor. */
export function ropeTables(
  config: DeepseekV3Config,
  maxPos: number = config.max_position_embeddings,
): { cos: Float32Array; sin: Float32Array; shape: [number, number] } {
  if (!Number.isInteger(maxPos) || maxPos <= 0) {
    throw new ValueError(`ropeTables: maxPos must be a positive integer, got ${maxPos}`);
  }
  const { invFreq, attentionFactor } = ropeInvFreq(config);
  const half = invFreq.length;
  const att = Math.fround(attentionFactor);
  const cos = new Float32Array(maxPos * half);
  const sin = new Float32Array(maxPos * half);
  for (let p = 0; p < maxPos; p++) {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(p * invFreq[i]); // [T, D/2]: float32 product, as torch's matmul of inv_freq × positions
      cos[p * half + i] = Math.fround(Math.fround(Math.cos(angle)) * att);
      sin[p * half + i] = Math.fround(Math.fround(Math.sin(angle)) * att);
    }
  }
  return { cos, sin, shape: [maxPos, half] };
}
