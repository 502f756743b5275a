// Table tests for the shaping rewards; expected values are worked out by hand from each paper's formula.
import { describe, expect, it } from 'vitest';
import { createRewardContext, defineReward, type Sample } from '../../reward.js';
import { scoreRewards } from '../../runner.js';
import { cosineLengthReward, cosineScaled } from './cosine.js';
import { kimiLengthRewards, lengthReward } from './length.js';
import { overlongReward, softOverlong } from './overlong.js';
import { reasoningStepsReward } from './reasoning-steps.js';
import { repetitionPenaltyReward } from './repetition.js';
import { tagCountReward } from './tag-count.js';

const one = async (
  reward: { score: (s: Sample[], c: ReturnType<typeof createRewardContext>) => Promise<unknown[]> },
  sample: Partial<Sample>,
) => (await reward.score([{ prompt: 'q', completion: '', ...sample }], createRewardContext()))[0];

// A stand-in accuracy: correct when the completion contains "RIGHT", does not apply when it contains "N/A".
const oracle = defineReward({
  name: 'oracle',
  score: async (s) =>
    s.map((x) => (String(x.completion).includes('N/A') ? null : String(x.completion).includes('RIGHT') ? 1 : 0)),
});

describe('tagCountReward: r = ¼ Σ [count(tag) = 1]', () => {
  const cases: [string, string, number][] = [
    ['all four tags once', '<think>\nx\n</think>\n<answer>\n4\n</answer>', 1],
    ['no tags', 'just text', 0],
    ['missing the newline after <answer> loses that quarter', '<think>\nx\n</think>\n<answer>4\n</answer>', 0.75],
    [
      'loophole: two answer blocks lose both answer quarters',
      '<think>\nx\n</think>\n<answer>\n4\n</answer>\n<answer>\n5\n</answer>',
      0.5,
    ],
  ];
  it.each(cases)('%s', async (_reason, completion, expected) => {
    expect(await one(tagCountReward(), { completion })).toBe(expected);
  });
  it('bare tags without the newline requirement', async () => {
    expect(await one(tagCountReward({ newlines: false }), { completion: '<think>x</think><answer>4</answer>' })).toBe(
      1,
    );
  });
});

describe('reasoningStepsReward: r = min(1, k/3)', () => {
  const cases: [string, string, number][] = [
    ['three "Step n:" markers', 'Step 1: a. Step 2: b. Step 3: c.', 1],
    ['five markers still cap at 1', 'Step 1: a Step 2: b Step 3: c Step 4: d Step 5: e', 1],
    ['First, / Next, → k = 2', 'First, add. Next, check.', 2 / 3],
    ['"^\\d+\\." matches only at the very start (no multiline, as open-r1)', '1. a\n2. b', 1 / 3],
    ['bullets "\\n-" count', 'plan\n- a\n- b', 2 / 3],
    ['no structure', 'the answer is 4', 0],
  ];
  it.each(cases)('%s', async (_reason, completion, expected) => {
    expect(await one(reasoningStepsReward(), { completion })).toBeCloseTo(expected, 12);
  });
});

describe('lengthReward (Kimi k1.5): λ = 0.5 − (len − min)/(max − min); correct → λ, wrong → min(0, λ)', () => {
  it('follows the formula within a group', () => {
    // lengths 10, 20, 30 → λ = 0.5, 0, −0.5
    expect(kimiLengthRewards([10, 20, 30], [true, true, true])).toEqual([0.5, 0, -0.5]);
    expect(kimiLengthRewards([10, 20, 30], [false, false, false])).toEqual([0, 0, -0.5]);
    expect(kimiLengthRewards([10, 40], [true, null])).toEqual([0.5, null]);
    expect(kimiLengthRewards([7, 7], [true, false])).toEqual([0, 0]); // max = min → 0
  });

  it('groups by prompt and judges correctness with the accuracy reward', async () => {
    const samples: Sample[] = [
      { prompt: 'a', completion: 'RIGHT' }, // len 5, group a: min 5, max 9
      { prompt: 'a', completion: 'RIGHT.xxx' }, // len 9 → λ = −0.5
      { prompt: 'a', completion: 'wrong' }, // len 5 → λ = 0.5, wrong → 0
      { prompt: 'b', completion: 'RIGHT' }, // alone in its group → 0
      { prompt: 'c', completion: 'N/A' }, // accuracy does not apply → null
    ];
    const [r] = await scoreRewards(lengthReward({ accuracy: oracle }), samples);
    expect(r.values).toEqual([0.5, -0.5, 0, 0, null]);
  });
});

describe('cosineLengthReward: r = η_min + ½(η_max − η_min)(1 + cos(πL/L_max))', () => {
  // Defaults: correct 1.0 → 0.5 over [0, L_max]; wrong −0.5 → 0.
  const cases: [string, string, number][] = [
    ['correct, L = 0 → η_max = 1', 'RIGHT'.slice(0, 0), 1],
    ['correct, L = L_max/4 → 0.5 + 0.25(1 + cos(π/4))', 'RIGHT'.padEnd(250, '.'), 0.5 + 0.25 * (1 + Math.SQRT1_2)],
    ['correct, L = L_max → 0.5', 'RIGHT'.padEnd(1000, '.'), 0.5],
    ['correct, L > L_max is clipped to L_max', 'RIGHT'.padEnd(1500, '.'), 0.5],
    ['wrong, L = L_max/2 → −0.25', 'wrong'.padEnd(500, '.'), -0.25],
    ['wrong, L = L_max → 0 (long wrong answers penalised least)', 'wrong'.padEnd(1000, '.'), 0],
  ];
  it.each(cases)('%s', async (_reason, completion, expected) => {
    // L = 0 with a correct answer: the oracle needs "RIGHT", so measure length without it.
    const reward = cosineLengthReward({
      accuracy: completion === '' ? defineReward({ name: 'yes', score: async (s) => s.map(() => 1) }) : oracle,
    });
    expect(await one(reward, { completion })).toBeCloseTo(expected, 12);
  });
  it('cosineScaled hits both ends', () => {
    expect(cosineScaled(0, 10, 3, -1)).toBeCloseTo(3, 12);
    expect(cosineScaled(10, 10, 3, -1)).toBeCloseTo(-1, 12);
  });
});

describe('repetitionPenaltyReward: r = (1 − unique/total n-grams) · P_max', () => {
  const cases: [string, string, number][] = [
    ['no repeated trigram', 'the cat sat on the mat', 0],
    ['"a b c a b c": trigrams abc, bca, cab, abc → 1 − 3/4', 'a b c a b c', -0.25],
    ['"wait wait wait wait wait": 3 trigrams, 1 unique → 1 − 1/3', 'wait wait wait wait wait', -2 / 3],
    ['case-insensitive', 'A b C a B c', -0.25],
    ['fewer than n words → 0', 'hello world', 0],
    ['empty → 0', '', 0],
  ];
  it.each(cases)('%s', async (_reason, completion, expected) => {
    expect(await one(repetitionPenaltyReward(), { completion })).toBeCloseTo(expected, 12);
  });
  it('refuses a positive maximum penalty', () => {
    expect(() => repetitionPenaltyReward({ maxPenalty: 1 })).toThrow(/maxPenalty must be ≤ 0, got 1/);
  });
});

describe('overlongReward (DAPO eq. 13), L_max = 100, L_cache = 20', () => {
  const cases: [string, number, number][] = [
    ['well inside the limit → 0', 50, 0],
    ['at L_max − L_cache → 0', 80, 0],
    ['halfway through the cache → (80 − 90)/20 = −0.5', 90, -0.5],
    ['at L_max → −1', 100, -1],
    ['past L_max → −1', 130, -1],
  ];
  it.each(cases)('%s', async (_reason, tokens, expected) => {
    expect(softOverlong(tokens, 100, 20)).toBeCloseTo(expected, 12);
    const reward = overlongReward({ maxLength: 100, cacheLength: 20 });
    expect(await one(reward, { completion_ids: new Array(tokens).fill(1) })).toBeCloseTo(expected, 12);
    expect(await one(reward, { completionTokens: tokens })).toBeCloseTo(expected, 12);
  });
  it('uses countTokens, and reports an unknown length as an error rather than guessing', async () => {
    const words = overlongReward({ maxLength: 4, cacheLength: 2, countTokens: (t) => t.split(' ').length });
    expect(await one(words, { completion: 'a b c' })).toBeCloseTo(-0.5, 12);
    const [r] = await scoreRewards(overlongReward({ maxLength: 4, cacheLength: 2 }), [
      { prompt: 'q', completion: 'a' },
    ]);
    expect(r.details[0]).toMatchObject({ status: 'error', message: expect.stringMatching(/token length unknown/) });
  });
});
