import { describe, expect, it } from 'vitest';
import { parseDeepseekV3Config } from './config.js';
import { ropeInvFreq, ropeTables, softmaxScale, yarnCorrectionRange, yarnGetMscale } from './rope.js';

// DeepSeek-V3's own rope block: s = 40, β_fast 32, β_slow 1, mscale = mscale_all_dim = 1, 4096 pretrained positions.
const v3 = parseDeepseekV3Config({
  max_position_embeddings: 163840,
  rope_scaling: {
    type: 'yarn',
    factor: 40,
    original_max_position_embeddings: 4096,
    beta_fast: 32,
    beta_slow: 1,
    mscale: 1,
    mscale_all_dim: 1,
  },
});

describe('YaRN rope', () => {
  it('mscale is 0.1·m·ln(s) + 1 above s = 1 and 1 otherwise', () => {
    expect(yarnGetMscale(40, 1)).toBeCloseTo(1.3688879, 6);
    expect(yarnGetMscale(40, 0.6)).toBeCloseTo(0.1 * 0.6 * Math.log(40) + 1, 12);
    expect(yarnGetMscale(1, 5)).toBe(1);
    expect(yarnGetMscale(0.5)).toBe(1);
  });

  it('correction range for DeepSeek-V3 is dims [10, 23] of 64', () => {
    // low = floor(64·ln(4096/(32·2π)) / (2·ln 1e4)) = floor(10.47); high = ceil(64·ln(4096/2π) / (2·ln 1e4)) = ceil(22.51)
    expect(yarnCorrectionRange(32, 1, 64, 10000, 4096)).toEqual([10, 23]);
    const [lo, hi] = yarnCorrectionRange(32, 1, 64, 10000, 4096, false);
    expect(lo).toBeCloseTo((64 * Math.log(4096 / (64 * Math.PI))) / (2 * Math.log(10000)), 12);
    expect(hi).toBeCloseTo((64 * Math.log(4096 / (2 * Math.PI))) / (2 * Math.log(10000)), 12);
    expect(yarnCorrectionRange(1e6, 1e-6, 8, 10000, 4096)).toEqual([0, 7]); // clamped to [0, dim − 1]
  });

  it('inv_freq extrapolates below the range, interpolates (÷ s) above it, and blends linearly inside', () => {
    const { invFreq, attentionFactor } = ropeInvFreq(v3);
    expect(invFreq.length).toBe(32);
    expect(attentionFactor).toBe(1); // mscale / mscale_all_dim = 1 / 1
    const extrap = (i: number) => 1 / 10000 ** ((2 * i) / 64);
    for (let i = 0; i < 32; i++) {
      const ramp = Math.min(1, Math.max(0, (i - 10) / (23 - 10)));
      const want = (extrap(i) / 40) * ramp + extrap(i) * (1 - ramp);
      expect(Math.abs(invFreq[i] - want) / want).toBeLessThan(2e-6);
    }
    expect(invFreq[5]).toBeCloseTo(extrap(5), 6);
    expect(invFreq[30] / extrap(30)).toBeCloseTo(1 / 40, 6);
  });

  it('without scaling inv_freq is θ^(−2i/d) and the softmax scale is qk_head_dim^−0.5', () => {
    const c = parseDeepseekV3Config({ qk_rope_head_dim: 8, qk_nope_head_dim: 8, rope_theta: 500 });
    const { invFreq, attentionFactor } = ropeInvFreq(c);
    expect(attentionFactor).toBe(1);
    expect(Array.from(invFreq)).toEqual([0, 1, 2, 3].map((i) => Math.fround(1 / Math.fround(500 ** (i / 4)))));
    expect(softmaxScale(c)).toBeCloseTo(1 / 4, 12);
  });

  it('softmax scale carries mscale(s, mscale_all_dim)², and cos/sin carry mscale ratio', () => {
    const m = 0.1 * Math.log(40) + 1;
    expect(softmaxScale(v3)).toBeCloseTo(192 ** -0.5 * m * m, 12);
    const c = parseDeepseekV3Config({
      rope_scaling: {
        type: 'yarn',
        factor: 4,
        original_max_position_embeddings: 1024,
        mscale: 0.8,
        mscale_all_dim: 0.4,
      },
    });
    const { attentionFactor } = ropeInvFreq(c);
    expect(attentionFactor).toBeCloseTo((0.08 * Math.log(4) + 1) / (0.04 * Math.log(4) + 1), 12);
    const noAll = parseDeepseekV3Config({
      rope_scaling: { type: 'yarn', factor: 4, original_max_position_embeddings: 1024, mscale: 0.8, mscale_all_dim: 0 },
    });
    expect(ropeInvFreq(noAll).attentionFactor).toBeCloseTo(0.1 * Math.log(4) + 1, 12); // falls back to mscale(s)
    expect(softmaxScale(noAll)).toBeCloseTo(192 ** -0.5, 12);
    const forced = parseDeepseekV3Config({
      rope_scaling: { type: 'yarn', factor: 4, original_max_position_embeddings: 1024, attention_factor: 0.5 },
    });
    expect(ropeInvFreq(forced).attentionFactor).toBe(0.5);
  });

  it('tables hold cos/sin(pos · inv_freq) × attention factor, [maxPos, d/2] row-major', () => {
    const c = parseDeepseekV3Config({
      qk_rope_head_dim: 8,
      rope_scaling: { type: 'yarn', factor: 4, original_max_position_embeddings: 16, mscale: 1, mscale_all_dim: 0.5 },
    });
    const { invFreq, attentionFactor } = ropeInvFreq(c);
    const { cos, sin, shape } = ropeTables(c, 33);
    expect(shape).toEqual([33, 4]);
    expect(attentionFactor).not.toBe(1);
    for (const p of [0, 1, 7, 32]) {
      for (let i = 0; i < 4; i++) {
        expect(cos[p * 4 + i]).toBeCloseTo(Math.cos(p * invFreq[i]) * attentionFactor, 5);
        expect(sin[p * 4 + i]).toBeCloseTo(Math.sin(p * invFreq[i]) * attentionFactor, 5);
      }
    }
    expect(() => ropeTables(c, 0)).toThrow(/maxPos/);
  });
});
