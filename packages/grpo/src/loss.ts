/**
 * The GRPO loss family over token log-probabilities (DeepSeekMath §4.1.1 / DeepSeek-R1 §2.2.1, with the variants
 * that later work introduced: DAPO's clip-higher and token-level normalisation, Dr. GRPO's constant normaliser, BNPO).
 *
 *   ρ_t = exp(log π_θ(o_t) − log π_old(o_t))
 *   ℓ_t = −min(ρ_t·Â, clip(ρ_t, 1 − ε_low, 1 + ε_high)·Â) + β·KL_t
 *   KL_t = exp(r_t − l_t) − (r_t − l_t) − 1, r = log π_ref, l = log π_θ   (Schulman's k3 estimator, ≥ 0)
 *
 * Aggregation (`lossType`), with m the completion mask:
 *   grpo    — mean over sequences of (Σ_t m·ℓ / Σ_t m)            (the paper: per-sequence mean, then batch mean)
 *   bnpo    — Σ m·ℓ / Σ m over the micro-batch                    (token-level)
 *   dr_grpo — Σ m·ℓ / (B · L_max)                                 (a constant normaliser: no length bias)
 *   dapo    — Σ m·ℓ / N_tokens, N_tokens = active tokens of the whole optimizer step (all micro-batches)
 * Optional truncated importance sampling (for rollouts from an engine whose log-probs differ from the trainer's):
 * ℓ_t is multiplied by min(exp(log π_old − log π_sampler), C).
 * Leaves out: sequence-level ratios (GSPO) — not needed for the R1 recipe.
 */
import { AhaError, add, clamp, div, exp, minimum, mul, neg, sub, sum, Tensor } from '@aha/core';

const fmtShapeOf = (t: Tensor) => `[${t.shape.join(', ')}]`;

export type GrpoLossType = 'grpo' | 'bnpo' | 'dr_grpo' | 'dapo';

export interface GrpoLossInputs {
  /** log π_θ of the sampled tokens, with grad: [B, L]. */
  logprobs: Tensor;
  /** log π_old (the policy that sampled; equal to logprobs' values at μ = 1): [B, L], no grad. */
  oldLogprobs: Tensor;
  /** log π_ref, needed when β > 0: [B, L]. */
  refLogprobs?: Tensor;
  /** Â per sequence: [B]. */
  advantages: number[];
  /** 1 for completion tokens that count, 0 for padding / masked (truncated) completions: [B, L]. */
  mask: Tensor;
  /** Log-probs reported by the sampling engine, for truncated importance sampling: [B, L]. */
  samplerLogprobs?: Tensor;
}

export interface GrpoLossOptions {
  lossType: GrpoLossType;
  /** ε_low: lower clip range of the ratio (0.2 in the papers). */
  epsilonLow: number;
  /** ε_high: upper clip range (DAPO's clip-higher uses 0.28; = ε_low for symmetric clipping). */
  epsilonHigh: number;
  /** β: KL coefficient (0 → no KL term, no reference model needed). */
  beta: number;
  /** L_max for dr_grpo (default: the mask's length). */
  maxCompletionLength?: number;
  /** N_tokens for dapo: active tokens of the whole optimizer step (default: this micro-batch's). */
  tokensInStep?: number;
  /** C: cap of the truncated importance-sampling weight (used when samplerLogprobs is given). */
  tisCap?: number;
}

export interface GrpoLossStats {
  /** Mean KL_t over active tokens (0 when β = 0 and no reference is given). */
  kl: number;
  /** Share of active tokens whose ratio was clipped below (ρ < 1 − ε_low with Â < 0). */
  clipLow: number;
  /** Share of active tokens clipped above (ρ > 1 + ε_high with Â > 0). */
  clipHigh: number;
  /** Active tokens in this micro-batch. */
  tokens: number;
}

function checkInputs(x: GrpoLossInputs, o: GrpoLossOptions): [number, number] {
  const [b, l] = x.logprobs.shape;
  const want = `[${b}, ${l}]`;
  if (x.logprobs.ndim !== 2)
    throw new AhaError('shape', `grpoLoss: logprobs must be [B, L], got ${fmtShapeOf(x.logprobs)}`);
  for (const [name, t] of [
    ['oldLogprobs', x.oldLogprobs],
    ['refLogprobs', x.refLogprobs],
    ['mask', x.mask],
    ['samplerLogprobs', x.samplerLogprobs],
  ] as const) {
    if (t && (t.ndim !== 2 || t.shape[0] !== b || t.shape[1] !== l)) {
      throw new AhaError('shape', `grpoLoss: ${name} is ${fmtShapeOf(t)}, logprobs is ${want}`);
    }
  }
  if (x.advantages.length !== b) {
    throw new AhaError('shape', `grpoLoss: ${x.advantages.length} advantages for a batch of ${b} sequences`);
  }
  if (!x.advantages.every(Number.isFinite)) throw new AhaError('value', 'grpoLoss: advantages must be finite');
  if (o.beta > 0 && !x.refLogprobs) throw new AhaError('value', 'grpoLoss: beta > 0 needs refLogprobs');
  if (!(o.epsilonLow >= 0 && o.epsilonLow < 1 && o.epsilonHigh >= 0)) {
    throw new AhaError('value', `grpoLoss: need 0 ≤ ε_low < 1 and ε_high ≥ 0, got ${o.epsilonLow}, ${o.epsilonHigh}`);
  }
  return [b, l];
}

/** The GRPO loss and its diagnostics (clip fractions, KL). */
export function grpoLossWithStats(x: GrpoLossInputs, o: GrpoLossOptions): { loss: Tensor; stats: GrpoLossStats } {
  const [b, l] = checkInputs(x, o);
  const adv = new Tensor(Float32Array.from(x.advantages), [b, 1]); // [B, 1]
  const old = x.oldLogprobs.detach();
  const ratio = exp(sub(x.logprobs, old)); // [B, L]
  const unclipped = mul(ratio, adv);
  const clipped = mul(clamp(ratio, 1 - o.epsilonLow, 1 + o.epsilonHigh), adv);
  let perToken = neg(minimum(unclipped, clipped)); // [B, L]
  let klMean = 0;
  const maskValues = x.mask.values();
  const tokens = maskValues.reduce((s, v) => s + v, 0);
  if (x.refLogprobs) {
    const delta = sub(x.refLogprobs.detach(), x.logprobs); // r − l
    const kl = sub(sub(exp(delta), delta), 1); // [B, L]
    const klv = kl.values();
    let s = 0;
    for (let i = 0; i < klv.length; i++) s += klv[i] * maskValues[i];
    klMean = tokens > 0 ? s / tokens : 0;
    if (o.beta > 0) perToken = add(perToken, mul(kl, o.beta));
  }
  if (x.samplerLogprobs) {
    const cap = o.tisCap ?? 2;
    const w = exp(sub(old, x.samplerLogprobs.detach())).values();
    const capped = Float32Array.from(w, (v) => Math.min(v, cap));
    perToken = mul(perToken, new Tensor(capped, [b, l]));
  }
  const masked = mul(perToken, x.mask); // [B, L]
  let loss: Tensor;
  switch (o.lossType) {
    case 'grpo': {
      const lengths = new Float32Array(b);
      for (let i = 0; i < b; i++) {
        let n = 0;
        for (let t = 0; t < l; t++) n += maskValues[i * l + t];
        lengths[i] = Math.max(n, 1);
      }
      const perSeq = div(sum(masked, 1), new Tensor(lengths, [b])); // [B]
      loss = div(sum(perSeq), b);
      break;
    }
    case 'bnpo':
      loss = div(sum(masked), Math.max(tokens, 1));
      break;
    case 'dr_grpo':
      loss = div(sum(masked), b * (o.maxCompletionLength ?? l));
      break;
    case 'dapo':
      loss = div(sum(masked), Math.max(o.tokensInStep ?? tokens, 1));
      break;
    default:
      throw new AhaError('value', `grpoLoss: unknown lossType "${o.lossType as string}"`);
  }
  // Diagnostics from the values, no graph.
  const rv = ratio.values();
  let low = 0;
  let high = 0;
  for (let i = 0; i < b; i++) {
    for (let t = 0; t < l; t++) {
      const k = i * l + t;
      if (!maskValues[k]) continue;
      if (rv[k] < 1 - o.epsilonLow && x.advantages[i] < 0) low++;
      if (rv[k] > 1 + o.epsilonHigh && x.advantages[i] > 0) high++;
    }
  }
  const share = (n: number) => (tokens > 0 ? n / tokens : 0);
  return { loss, stats: { kl: klMean, clipLow: share(low), clipHigh: share(high), tokens } };
}

/** The GRPO loss (scalar) — DESIGN.md contract. See the file header for the formulas. */
export function grpoLoss(x: GrpoLossInputs, o: GrpoLossOptions): Tensor {
  return grpoLossWithStats(x, o).loss;
}
