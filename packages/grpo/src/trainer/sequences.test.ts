// The fused policy log-probs (hidden states → linearLogProbs) against the unfused reference (full logits →
// tokenLogprobs / tokenEntropy) on a tiny model: log-probs, entropies and every parameter gradient, with and
// without tied embeddings, at a sampling temperature ≠ 1 and on left/right-padded batches.
import { noGrad, Tensor, tokenEntropy } from '@aha/core';
import { describe, expect, it } from 'vitest';
import { completionLogits, completionLogprobs, tinyModel } from './__fixtures__/tiny.js';
import { logprobsNoGrad, maskedEntropy, packSequences, policyLogprobs, type SequencePair } from './sequences.js';

const pairs: SequencePair[] = [
  { promptIds: [256, 72, 105, 32], completionIds: [259, 50, 260, 257] },
  { promptIds: [256, 87, 104, 97, 116, 63], completionIds: [261, 55, 262] },
  { promptIds: [256, 49, 43], completionIds: [51, 52, 53, 54, 257] },
];

// Largest difference relative to the largest reference magnitude.
function scaledError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= diff)) diff = d;
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff === 0 ? 0 : diff / scale; // both all-zero (e.g. an expert only padding reached) is a match
}

describe('policyLogprobs (fused LM head)', () => {
  for (const tied of [false, true]) {
    it(`equals the full-logits path in log-probs, entropy and gradients (tie_word_embeddings: ${tied})`, () => {
      const model = tinyModel(5, { tie_word_embeddings: tied });
      const packed = packSequences(pairs, 258);
      const T = 0.7;
      const [B, C] = [pairs.length, packed.completionLength];
      const weights = new Tensor(
        Float32Array.from({ length: B * C }, (_, i) => Math.sin(1.3 * i + 0.2)),
        [B, C],
      );
      const gradsOf = () => model.parameters().map((p) => p.grad?.toFloat32Array() ?? null);

      const fused = policyLogprobs(model, packed, T, { withEntropy: true });
      fused.logprobs.backward(weights);
      const fusedGrads = gradsOf();
      for (const p of model.parameters()) p.grad = null;

      const logits = completionLogits(model, packed);
      const ref = completionLogprobs(logits, packed, T);
      ref.backward(weights);
      const refEntropy = tokenEntropy(logits, { temperature: T }).toFloat32Array();

      expect(fused.logprobs.shape).toEqual([B, C]);
      expect(scaledError(fused.logprobs.toFloat32Array(), ref.toFloat32Array())).toBeLessThan(1e-5);
      expect(scaledError(fused.entropy!, refEntropy)).toBeLessThan(5e-5);
      let compared = 0;
      model.parameters().forEach((p, i) => {
        expect(fusedGrads[i] === null, p.name).toBe(p.grad === null);
        if (!p.grad) return;
        expect(scaledError(fusedGrads[i]!, p.grad.toFloat32Array()), p.name).toBeLessThan(1e-4);
        compared++;
      });
      expect(compared).toBeGreaterThan(20);

      const mask = packed.completionMask;
      const h = maskedEntropy(fused.entropy!, mask);
      expect(h.n).toBe(4 + 3 + 5);
      expect(h.sum).toBeCloseTo(
        refEntropy.reduce((s, v, i) => s + (mask[i] ? v : 0), 0),
        4,
      );
    });
  }

  it('no-grad chunks of π_old give the per-pair log-probs of one full batch', () => {
    const model = tinyModel(6);
    const packed = packSequences(pairs, 258);
    const full = noGrad(() => completionLogprobs(completionLogits(model, packed), packed, 0.9).toFloat32Array());
    const chunked = logprobsNoGrad(model, pairs, 258, 0.9, 2);
    pairs.forEach((p, b) => {
      expect(chunked[b]).toHaveLength(p.completionIds.length);
      chunked[b].forEach((v, j) => {
        expect(v).toBeCloseTo(full[b * packed.completionLength + j], 4);
      });
    });
  });
});
