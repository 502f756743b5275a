import { describe, expect, it } from 'vitest';
import { createRewardContext } from '../reward.js';
import { scoreRewards } from '../runner.js';
import { accuracyReward, type MathVerdict, type MathVerifier } from './accuracy.js';

// A stand-in for verifyMath: compares numbers written as plain decimals or simple fractions, inside \boxed{} or bare.
// Like verifyMath, it reports `unparseable` only when the gold is not a number (an unreadable answer is not_equal), and `timeout` for the text "slow".
const standIn: MathVerifier = async (gold, completion): Promise<MathVerdict> => {
  const num = (s: string) => {
    const m = /(-?\d+(?:\.\d+)?)(?:\s*\/\s*(\d+))?/.exec(s.match(/\\boxed\{([^}]*)\}/)?.[1] ?? s);
    return m ? Number(m[1]) / (m[2] ? Number(m[2]) : 1) : undefined;
  };
  if (completion.includes('slow')) return { verdict: 'timeout' };
  const g = num(gold);
  if (g === undefined) return { verdict: 'unparseable' };
  const a = num(completion);
  if (a === undefined) return { verdict: 'not_equal', gold };
  return { verdict: Math.abs(a - g) < 1e-9 ? 'equal' : 'not_equal', gold, answer: String(a) };
};

// [reason, completion, solution, expected]
const cases: [string, string, string, number | null][] = [
  ['correct answer in the answer block', '<think>2+2</think><answer>4</answer>', '4', 1],
  ['equivalent form (the verifier decides: 1/2 = 0.5)', '<think>x</think><answer>\\boxed{1/2}</answer>', '0.5', 1],
  ['wrong answer', '<think>x</think><answer>5</answer>', '4', 0],
  ['loophole: right answer only in the think block, wrong answer given', '<think>4</think><answer>5</answer>', '4', 0],
  ['loophole: answer only in the think block, nothing after', '<think>maybe 4</think>', '4', 0],
  ['no tags: the whole completion is the answer', 'The answer is 4', '4', 1],
  ['model answer unreadable → 0 (the model failed)', '<think>x</think><answer>four</answer>', '4', 0],
  [
    'loophole: two <answer> blocks (hedging) → 0 even when the last is right',
    '<think>x</think><answer>5</answer><answer>4</answer>',
    '4',
    0,
  ],
  ['loophole: two <answer> blocks, first right → 0', '<answer>4</answer>\n<answer>5</answer>', '4', 0],
  [
    'one <answer> block after a think block that mentions <answer> → verified',
    '<think>use <answer> tags</think><answer>4</answer>',
    '4',
    1,
  ],
  ['gold unparseable → null (cannot judge; open-r1 skips it)', '<think>x</think><answer>4</answer>', 'n/a', null],
];

describe('accuracyReward', () => {
  it.each(cases)('%s', async (_reason, completion, solution, expected) => {
    const [value] = await accuracyReward({ verify: standIn }).score(
      [{ prompt: 'q', completion, solution }],
      createRewardContext(),
    );
    expect(value).toBe(expected);
  });

  it('reports a verifier timeout as a timeout, not a 0', async () => {
    const [r] = await scoreRewards(accuracyReward({ verify: standIn }), [
      { prompt: 'q', completion: '<answer>slow</answer>', solution: '1' },
      { prompt: 'q', completion: '<answer>1</answer>', solution: '1' },
    ]);
    expect(r.details[0]).toMatchObject({ status: 'timeout', value: null });
    expect(r.details[1]).toEqual({ status: 'ok', value: 1 });
  });

  it('passes the time limit to the verifier', async () => {
    const seen: (number | undefined)[] = [];
    const spy: MathVerifier = async (_g, _c, opts) => {
      seen.push(opts?.timeoutMs);
      return { verdict: 'equal' };
    };
    await scoreRewards(accuracyReward({ verify: spy }), [{ prompt: 'q', completion: '1', solution: '1' }], {
      timeoutMs: 1234,
    });
    await accuracyReward({ verify: spy, timeoutMs: 50 }).score(
      [{ prompt: 'q', completion: '1', solution: '1' }],
      createRewardContext(),
    );
    expect(seen).toEqual([1234, 50]);
  });

  it('uses verifyMath by default: equal forms score 1, an unparseable gold is skipped (null), never 1', async () => {
    const batch = [
      { prompt: 'q', completion: '<think>half</think><answer>\\boxed{\\frac{1}{2}}</answer>', solution: '0.5' },
      { prompt: 'q', completion: '<think>x</think><answer>\\boxed{3}</answer>', solution: '4' },
      { prompt: 'q', completion: '<think>x</think><answer>\\boxed{3}</answer>', solution: '\\frac{' },
      { prompt: 'q', completion: '<think>x</think><answer>four</answer>', solution: '4' },
    ];
    expect(await accuracyReward().score(batch, createRewardContext())).toEqual([1, 0, null, 0]);
  });

  it('requires the solution column', async () => {
    await expect(scoreRewards(accuracyReward({ verify: standIn }), [{ prompt: 'q', completion: '1' }])).rejects.toThrow(
      /reward 'accuracy': column 'solution' is missing in sample 0/,
    );
  });
});
