// Gradients of the full GRPO objective (tiny DeepSeek-V3 → completion log-probs at temperature T → clipped ratio +
// β·k3 KL → aggregation) checked against central finite differences of the same float32 loss. A float64 reference is
// not available here, so the tolerance is generous and only entries with a clear gradient are compared.
import { noGrad, Tensor } from '@aha/core';
import { describe, expect, it } from 'vitest';
import type { LossType } from '../config.js';
import { grpoLossWithStats } from '../loss.js';
import { completionLogits, completionLogprobs, tinyModel } from './__fixtures__/tiny.js';
import { packSequences, type SequencePair } from './sequences.js';

const T = 0.8;
const pairs: SequencePair[] = [
  { promptIds: [256, 72, 105, 32], completionIds: [259, 50, 260, 257] },
  { promptIds: [256, 87, 104, 97, 116, 63], completionIds: [261, 55, 262] },
  { promptIds: [256, 49, 43], completionIds: [51, 52, 53, 54, 257] },
  { promptIds: [256, 50, 43, 50, 61], completionIds: [52] },
];
const advantages = [1.1, -0.6, 0.4, -0.9];

describe('GRPO objective through a tiny model: analytic vs finite-difference gradients', () => {
  for (const lossType of ['grpo', 'dapo'] as LossType[]) {
    it(`${lossType}, β = 0.1, ε = (0.2, 0.28), π_old and π_ref off-policy`, () => {
      const model = tinyModel(11);
      const packed = packSequences(pairs, 258);
      const [B, C] = [pairs.length, packed.completionLength];
      // π_old and π_ref: the current log-probs shifted by fixed offsets, so ratios differ from 1 and KL from 0.
      const base = noGrad(() => completionLogprobs(completionLogits(model, packed), packed, T).toFloat32Array());
      const shift = (scale: number) =>
        new Tensor(
          Float32Array.from(base, (v, i) => v + scale * Math.sin(1.7 * i + 0.3)),
          [B, C],
        );
      const oldLogprobs = shift(0.15);
      const refLogprobs = shift(-0.4);
      const mask = new Tensor(packed.completionMask, [B, C]);
      const lossOf = () =>
        grpoLossWithStats(
          {
            logprobs: completionLogprobs(completionLogits(model, packed), packed, T),
            oldLogprobs,
            refLogprobs,
            advantages,
            mask,
          },
          { lossType, epsilonLow: 0.2, epsilonHigh: 0.28, beta: 0.1, tokensInStep: 20 },
        ).loss;

      const named = new Map(model.namedParameters());
      const names = [
        'lm_head.weight',
        'model.embed_tokens.weight',
        'model.layers.0.self_attn.kv_a_proj_with_mqa.weight',
        'model.layers.0.mlp.down_proj.weight',
      ];
      for (const p of model.parameters()) p.grad = null;
      const loss = lossOf();
      loss.backward();
      let compared = 0;
      for (const name of names) {
        const p = named.get(name);
        expect(p, name).toBeDefined();
        const grad = p!.grad!.toFloat32Array();
        // the 3 entries with the largest gradient magnitude
        const idx = Array.from(grad.keys())
          .sort((a, b) => Math.abs(grad[b]) - Math.abs(grad[a]))
          .slice(0, 3);
        const values = p!.values();
        for (const i of idx) {
          const h = 4e-3;
          const keep = values[i];
          values[i] = keep + h;
          const up = noGrad(() => lossOf().item());
          values[i] = keep - h;
          const down = noGrad(() => lossOf().item());
          values[i] = keep;
          const fd = (up - down) / (2 * h);
          expect(Math.abs(fd - grad[i]), `${name}[${i}]: fd ${fd} vs analytic ${grad[i]}`).toBeLessThan(
            2e-3 + 0.05 * Math.abs(grad[i]),
          );
          compared++;
        }
      }
      expect(compared).toBe(12);
    });
  }
});
