/**
 * End-to-end training check: a ≈1.1M-parameter model (1 dense + 2 MoE layers, MTP on) memorises a fixed batch with
 * AdamW, the routing bias updated after every step, the way a pretraining loop drives the model.
 */
import { describe, expect, it } from 'vitest';
import { AdamW } from '../../optim/adamw.js';
import { rng } from '../../testing/gradcheck.js';
import { createModel } from './model.js';
import { TINY_CONFIG } from './testing.js';

describe('training', () => {
  it('overfits a fixed batch to near-zero loss with AdamW', () => {
    const model = createModel(
      {
        ...TINY_CONFIG,
        vocab_size: 256,
        hidden_size: 128,
        intermediate_size: 256,
        moe_intermediate_size: 64,
        q_lora_rank: 64,
        kv_lora_rank: 64,
        qk_nope_head_dim: 32,
        qk_rope_head_dim: 16,
        v_head_dim: 32,
        initializer_range: 0.02,
      },
      { seed: 0 },
    );
    const count = model.parameters().reduce((s, p) => s + p.numel, 0);
    expect(count).toBeGreaterThan(1_000_000);
    const r = rng(42);
    const batch = Array.from({ length: 4 }, () => Array.from({ length: 32 }, () => Math.floor(r() * 256)));
    const optimizer = new AdamW(model.parameters(), { lr: 3e-3, weightDecay: 0 });
    const first = model.loss(batch).lmLoss.item();
    let last = first;
    for (let step = 0; step < 120; step++) {
      const { loss, lmLoss } = model.loss(batch, { mtpWeight: 0.3 });
      loss.backward();
      optimizer.step();
      optimizer.zeroGrad();
      model.updateRoutingBias(1e-3);
      last = lmLoss.item();
      if (last < 0.02) break;
    }
    expect(first).toBeGreaterThan(5); // ≈ ln 256 = 5.55 at init
    expect(last).toBeLessThan(0.05);
  });
});
