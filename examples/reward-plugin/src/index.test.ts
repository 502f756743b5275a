import { combineRewards, formatReward, scoreRewards } from '@aha/rewards';
import { describe, expect, it } from 'vitest';
import { unitReward } from './index.js';

describe('unitReward (a plugin reward)', () => {
  // [reason, completion, unit, expected]
  const cases: [string, string, string | undefined, number | null][] = [
    ['states the unit in the answer', '<think>v = d/t</think><answer>12 m/s</answer>', 'm/s', 1],
    ['case-insensitive', '<think>x</think><answer>3 KG</answer>', 'kg', 1],
    ['wrong unit', '<think>x</think><answer>12 km/h</answer>', 'm/s', 0],
    ['loophole: unit only in the reasoning', '<think>in m/s</think><answer>12</answer>', 'm/s', 0],
    ['a longer word containing the unit does not count', '<think>x</think><answer>12 kgs</answer>', 'kg', 0],
    ['no unit column → does not apply', '<think>x</think><answer>12</answer>', undefined, null],
  ];
  it.each(cases)('%s', async (_reason, completion, unit, expected) => {
    const [r] = await scoreRewards(unitReward(), [{ prompt: 'q', completion, ...(unit ? { unit } : {}) }]);
    expect(r.values).toEqual([expected]);
  });

  it('combines with the built-in rewards; a null part is skipped in the weighted sum', async () => {
    const total = combineRewards([{ reward: formatReward() }, { reward: unitReward(), weight: 0.5 }]);
    const [r] = await scoreRewards(total, [
      { prompt: 'q', completion: '<think>x</think><answer>4 m</answer>', unit: 'm' },
      { prompt: 'q', completion: '<think>x</think><answer>4</answer>' },
    ]);
    expect(r.values).toEqual([1.5, 1]);
    expect(r.components?.map((c) => c.name)).toEqual(['format', 'unit']);
  });

  it('rejects a dataset whose unit column has the wrong type, naming the reward and column', async () => {
    await expect(scoreRewards(unitReward(), [{ prompt: 'q', completion: 'x', unit: 3 }])).rejects.toThrow(
      /reward 'unit': column 'unit' has a number \(3\) in sample 0/,
    );
  });
});
