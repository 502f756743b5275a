/**
 * Training-side sequences of GRPO: prompt + completion packed into one batch (prompt left-padded, completion
 * right-padded, so every completion starts at the same column), and the per-token log-probabilities of the
 * completion under a model at the sampling temperature (TRL `_get_per_token_logps`: logits / T, then the log-softmax
 * of the sampled token). The logits that predict completion token j sit at column P − 1 + j (P = padded prompt
 * length), so the forward runs on all but the last column. Training and the no-grad π_old / π_ref passes use the
 * LM head fused with the log-softmax (`linearLogProbs` on the hidden states: no [B, C, V] logits are held, and the
 * entropy metric comes from the same pass); the same numbers through the full logits, the reference the fused path
 * is tested against, are in testing.ts.
 * Leaves out: packing several prompts into one row (padding-free batches); tiny models do not need it.
 */
import { linearLogProbs, type Model, narrow, noGrad, type Tensor } from '@aha/core';

/** One prompt + completion pair as token ids. */
export interface SequencePair {
  promptIds: readonly number[];
  completionIds: readonly number[];
}

/** A padded batch. */
export interface PackedBatch {
  /** [B, P + C − 1] model input (the last column is never an input). */
  input: number[][];
  /** [B, P + C − 1] 1 = real token. */
  attentionMask: number[][];
  /** Completion targets, padding as 0: [B · C]. */
  targets: Int32Array;
  /** 1 = a real completion token: [B · C]. */
  completionMask: Float32Array;
  /** P: padded prompt length. */
  promptLength: number;
  /** C: padded completion length (≥ 1). */
  completionLength: number;
}

/** Packs pairs: prompt left-padded to the longest prompt, completion right-padded to the longest completion. */
export function packSequences(pairs: readonly SequencePair[], padId: number): PackedBatch {
  const P = Math.max(1, ...pairs.map((p) => p.promptIds.length));
  const C = Math.max(1, ...pairs.map((p) => p.completionIds.length));
  const B = pairs.length;
  const input: number[][] = [];
  const attentionMask: number[][] = [];
  const targets = new Int32Array(B * C);
  const completionMask = new Float32Array(B * C);
  pairs.forEach((p, b) => {
    const lead = P - p.promptIds.length;
    const row = new Array<number>(P + C).fill(padId);
    const mask = new Array<number>(P + C).fill(0);
    for (let i = 0; i < p.promptIds.length; i++) {
      row[lead + i] = p.promptIds[i];
      mask[lead + i] = 1;
    }
    for (let j = 0; j < p.completionIds.length; j++) {
      row[P + j] = p.completionIds[j];
      mask[P + j] = 1;
      targets[b * C + j] = p.completionIds[j];
      completionMask[b * C + j] = 1;
    }
    input.push(row.slice(0, P + C - 1));
    attentionMask.push(mask.slice(0, P + C - 1));
  });
  return { input, attentionMask, targets, completionMask, promptLength: P, completionLength: C };
}

/**
 * log π(completion token) at temperature T, [B, C] (with grad when recording is on), and with `withEntropy` the
 * entropy (nats) of each position's distribution [B · C], through the fused LM head: the model runs to its hidden
 * states and `linearLogProbs` walks the vocabulary in chunks. Padding positions hold token 0's log-prob (mask them).
 * T ≤ 0 (greedy sampling) scores at T = 1.
 */
export function policyLogprobs(
  model: Model,
  batch: PackedBatch,
  temperature: number,
  options: { withEntropy?: boolean } = {},
): { logprobs: Tensor; entropy: Float32Array | null } {
  const hidden = model.forwardHidden(batch.input, { attentionMask: batch.attentionMask }); // [B, P + C − 1, D]
  const completion = narrow(hidden, 1, batch.promptLength - 1, batch.completionLength); // [B, C, D]
  const { logprobs, entropy } = linearLogProbs(completion, model.headWeight, batch.targets, {
    temperature: temperature > 0 ? temperature : 1,
    withEntropy: options.withEntropy ?? false,
  });
  return { logprobs, entropy: entropy ? entropy.values() : null }; // [B, C], [B · C]
}

/** Sum and count of per-token values (e.g. entropies [B · C]) over the masked completion tokens. */
export function maskedEntropy(entropy: Float32Array, mask: Float32Array): { sum: number; n: number } {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    sum += entropy[i];
    n++;
  }
  return { sum, n };
}

/** log-probs [B][C] of the pairs under `model`, without recording a graph, in chunks of `chunk` rows. */
export function logprobsNoGrad(
  model: Model,
  pairs: readonly SequencePair[],
  padId: number,
  temperature: number,
  chunk: number,
): number[][] {
  const out: number[][] = [];
  noGrad(() => {
    for (let s = 0; s < pairs.length; s += chunk) {
      const part = pairs.slice(s, s + chunk);
      const batch = packSequences(part, padId);
      const lp = policyLogprobs(model, batch, temperature).logprobs.values(); // [b · C]
      part.forEach((p, b) => {
        out.push(
          Array.from(lp.subarray(b * batch.completionLength, b * batch.completionLength + p.completionIds.length)),
        );
      });
    }
  });
  return out;
}
