import { accuracyReward, scoreRewards } from '@aha/rewards';
import { describe, expect, it } from 'vitest';
import {
  addDigits,
  additionCompletion,
  additionProblems,
  additionTrace,
  generateAddition,
  scoreAddition,
  verifyAddition,
} from './addition.js';
import { extractAnswer, splitOf } from './common.js';
import { generateCountdown, scoreCountdown, verifyCountdown, verifyCountdownAnswer } from './countdown.js';
import { evaluateExpression } from './expression.js';

describe('extractAnswer', () => {
  it.each<[string, string | null, string]>([
    ['<think>x</think> <answer> 42 </answer>', '42', 'trimmed content'],
    ['<answer>1</answer> then <answer>2</answer>', '2', 'the last block counts'],
    ['<answer>1', null, 'an unclosed tag is no answer'],
    ['no tags at all', null, 'no tags'],
    ['<answer>\n3 + 4\n</answer>', '3 + 4', 'multi-line'],
  ])('%s → %s (%s)', (text, want) => {
    expect(extractAnswer(text)).toBe(want);
  });
});

describe('addition', () => {
  it('addDigits agrees with BigInt on random operands, and carries are right', () => {
    expect(addDigits('4821', '379')).toMatchObject({ sum: '5200' });
    expect(addDigits('999', '1').steps).toEqual([
      '1st digit from the right: 9 + 1 = 10, write 0, carry 1.',
      '2nd digit from the right: 9 + 0 + 1 = 10, write 0, carry 1.',
      '3rd digit from the right: 9 + 0 + 1 = 10, write 0, carry 1.',
      'The last carry 1 becomes the leading digit.',
    ]);
    expect(addDigits('0', '0').sum).toBe('0');
    const big = ['12345678901234567890', '98765432109876543210'];
    expect(addDigits(big[0], big[1]).sum).toBe((BigInt(big[0]) + BigInt(big[1])).toString());
  });

  it('generates rows whose solution is the true sum, deterministically by seed', () => {
    const rows = generateAddition({ count: 200, seed: 3, digits: { min: 1, max: 6 } });
    for (const r of rows) {
      expect(r.solution).toBe((BigInt(r.operands[0]) + BigInt(r.operands[1])).toString());
      expect(r.prompt).toBe(`What is ${r.operands[0]} + ${r.operands[1]}?`);
      expect(r.operands.every((d) => d === '0' || !d.startsWith('0'))).toBe(true);
    }
    expect(generateAddition({ count: 200, seed: 3, digits: { min: 1, max: 6 } })).toEqual(rows);
    expect(generateAddition({ count: 200, seed: 4, digits: { min: 1, max: 6 } })).not.toEqual(rows);
  });

  it('train and held-out splits are disjoint (commuted pairs included) and each is duplicate-free', () => {
    const key = (r: { operands: [string, string] }) => [...r.operands].sort().join('+');
    const train = generateAddition({ count: 1500, seed: 1, digits: { min: 1, max: 2 } });
    const test = generateAddition({ count: 300, seed: 1, split: 'test', digits: { min: 1, max: 2 } });
    const trainKeys = new Set(train.map(key));
    expect(trainKeys.size).toBe(1500);
    expect(new Set(test.map(key)).size).toBe(300);
    expect(test.filter((r) => trainKeys.has(key(r)))).toEqual([]);
  });

  it('a too-small problem space is a clear error, not a hang', () => {
    // 1-digit pairs: 55 unordered problems in total, ~10% of them held out
    expect(() => generateAddition({ count: 100, seed: 0, split: 'test', digits: { min: 1, max: 1 } })).toThrow(
      /found only \d+ distinct 'test' problems of 100/,
    );
  });

  it('trace: a reference completion with carries in <think> and the sum in <answer>, scoring 1', () => {
    const [r] = generateAddition({ count: 1, seed: 5, trace: true, digits: { min: 3, max: 3 } });
    expect(r.completion).toMatch(/^<think>\nAdd \d{3} and \d{3} column by column\.\n1st digit from the right: /);
    expect(r.completion).toMatch(new RegExp(`</think>\\n<answer>${r.solution}</answer>$`));
    expect(scoreAddition(r.completion!, r)).toBe(1);
  });

  it.each([
    ['<answer>5200</answer>', 1, 'exact'],
    ['<answer> 05200 </answer>', 1, 'leading zero and spaces'],
    ['<answer>5,200</answer>', 0, 'separators are not the number asked for'],
    ['<answer>5200.</answer>', 0, 'trailing punctuation'],
    ['<answer>= 5200</answer>', 0, 'extra text inside the tags'],
    ['5200', 0, 'no answer tags'],
    ['<answer>5201</answer>', 0, 'wrong sum'],
  ])('scoreAddition(%s) = %d (%s)', (completion, want) => {
    expect(scoreAddition(completion, { solution: '5200' })).toBe(want);
  });

  it('rejects bad digit ranges', () => {
    expect(() => generateAddition({ count: 1, seed: 0, digits: { min: 0, max: 2 } })).toThrow(/1 <= min <= max/);
  });
});

describe('evaluateExpression', () => {
  it('respects precedence and parentheses, exactly', () => {
    const v = (s: string) => {
      const r = evaluateExpression(s);
      if (!r.ok) throw new Error(r.detail);
      return r.value.q === 1n ? Number(r.value.p) : `${r.value.p}/${r.value.q}`;
    };
    expect(v('2 + 3 * 4')).toBe(14);
    expect(v('(2 + 3) * 4')).toBe(20);
    expect(v('10 - 4 - 3')).toBe(3); // left-assoc
    expect(v('48 / 4 / 2')).toBe(6);
    expect(v('7 / 3 * 3')).toBe(7); // exact rationals: no 6.999…
    expect(v('1 / 3')).toBe('1/3');
    expect(v('2 - 5')).toBe(-3);
  });

  it.each([
    ['2 +', 'unparseable'],
    ['(2 + 3', 'unparseable'],
    ['2 3', 'unparseable'],
    ['-2 + 5', 'unparseable'],
    ['2 ** 3', 'unparseable'],
    ['1.5 * 2', 'unparseable'],
    ['process.exit(1)', 'unparseable'],
    ['', 'unparseable'],
    ['4 / (2 - 2)', 'division_by_zero'],
    [`${'('.repeat(30)}1${')'.repeat(30)}`, 'too_deep'],
    ['1+'.repeat(150) + '1', 'too_long'],
  ])('%s → %s', (text, error) => {
    const r = evaluateExpression(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toBe(error);
  });
});

describe('Countdown', () => {
  it('every generated problem is solvable by its own solution, using only its numbers', () => {
    const rows = generateCountdown({ count: 300, seed: 11 });
    for (const r of rows) {
      expect(r.numbers.length).toBeGreaterThanOrEqual(3);
      expect(r.numbers.length).toBeLessThanOrEqual(4);
      expect(r.target).toBeGreaterThanOrEqual(1);
      expect(r.target).toBeLessThanOrEqual(999);
      expect(verifyCountdown(r.solution, r.numbers, r.target, { requireAll: true })).toEqual({ verdict: 'ok' });
      expect(r.prompt).toContain(`[${r.numbers.join(', ')}]`);
    }
    expect(generateCountdown({ count: 300, seed: 11 })).toEqual(rows);
  });

  it('train and held-out splits are disjoint', () => {
    const key = (r: { numbers: number[]; target: number }) =>
      `${[...r.numbers].sort((a, b) => a - b).join(',')}=${r.target}`;
    const train = new Set(generateCountdown({ count: 1000, seed: 1 }).map(key));
    const test = generateCountdown({ count: 200, seed: 1, split: 'test' }).map(key);
    expect(train.size).toBe(1000);
    expect(test.filter((k) => train.has(k))).toEqual([]);
    for (const k of test) expect(splitOf(k, 0.1)).toBe('test');
  });

  // Table: expression, numbers, target, verdict, why
  it.each([
    ['(3 + 5) * 2', [2, 3, 5], 16, 'ok', 'all numbers, right value'],
    ['3 * 5 + 7', [3, 5, 7, 9], 22, 'ok', 'at most once: 9 may stay unused'],
    ['3 * 5 + 7 = 22', [3, 5, 7], 22, 'ok', 'a trailing "= target" is tolerated'],
    ['(8 / 3) * 3', [3, 3, 8], 8, 'ok', 'a fractional intermediate is fine when exact'],
    ['22', [3, 5, 7], 22, 'number_not_given', 'loophole: answering the target itself'],
    ['5 * 5 - 3', [3, 5, 7], 22, 'number_reused', 'loophole: using 5 twice'],
    ['35 - 13', [3, 5, 1], 22, 'number_not_given', 'loophole: concatenating digits'],
    ['3 * 5 + 8', [3, 5, 7], 22, 'number_not_given', 'a number that is not given'],
    ['3 * 5 + 6', [3, 5, 6], 22, 'wrong_value', 'valid numbers, wrong value'],
    ['7 / (5 - 5)', [5, 5, 7], 22, 'division_by_zero', 'division by zero'],
    ['3 * 5 + 7 = 23', [3, 5, 7], 22, 'unparseable', 'a wrong "= N" is not stripped'],
    ['require("fs")', [3, 5, 7], 22, 'unparseable', 'code is not an expression'],
  ])('%s with %j → %s (%s)', (expr, numbers, target, verdict) => {
    expect(verifyCountdown(expr, numbers, target).verdict).toBe(verdict);
  });

  it('requireAll demands every number', () => {
    expect(verifyCountdown('3 * 5 + 7', [3, 5, 7, 9], 22, { requireAll: true }).verdict).toBe('missing_numbers');
  });

  it('scoreCountdown reads the last <answer>', () => {
    const row = { numbers: [3, 5, 7], target: 22 };
    expect(scoreCountdown('<think>try 3*5=15, 15+7=22</think><answer>3*5+7</answer>', row)).toBe(1);
    expect(scoreCountdown('<answer>3*5+7</answer><answer>22</answer>', row)).toBe(0);
    expect(scoreCountdown('3*5+7', row)).toBe(0);
  });

  it('rejects a target range no generated expression can reach', () => {
    expect(() =>
      generateCountdown({ count: 1, seed: 0, numberRange: { min: 1, max: 2 }, targetRange: { min: 900, max: 999 } }),
    ).toThrow(/widen targetRange/);
  });
});

describe('compact addition layout (the R1-Zero main job)', () => {
  it('writes the column trace right to left with carries, and the sum in <answer>', () => {
    expect(additionTrace('47', '385')).toBe('7+5=12 4+8+1=13 0+3+1=4');
    expect(additionCompletion({ prompt: '47+385=', solution: '432', operands: ['47', '385'] })).toBe(
      '<think>7+5=12 4+8+1=13 0+3+1=4</think><answer>432</answer>',
    );
    const test = additionProblems({ count: 50, seed: 3, split: 'test', minDigits: 2, maxDigits: 3 });
    const train = additionProblems({ count: 500, seed: 3, split: 'train', minDigits: 2, maxDigits: 3 });
    const trainPrompts = new Set(train.map((p) => p.prompt));
    expect(test.some((p) => trainPrompts.has(p.prompt))).toBe(false);
    for (const p of test) expect(BigInt(p.operands[0]) + BigInt(p.operands[1])).toBe(BigInt(p.solution));
    // The same problems as generateAddition, in another layout.
    const english = generateAddition({ count: 50, seed: 3, split: 'test', digits: { min: 2, max: 3 } });
    expect(test.map((p) => p.solution)).toEqual(english.map((r) => r.solution));
  });

  it('pad: zero-pads operands to maxDigits and traces every printed column', () => {
    const padded = additionProblems({ count: 20, seed: 3, split: 'test', minDigits: 1, maxDigits: 3, pad: true });
    for (const p of padded) expect(p.prompt).toMatch(/^\d{3}\+\d{3}=$/);
    expect(additionCompletion({ prompt: '047+005=', solution: '52', operands: ['47', '5'] })).toBe(
      '<think>7+5=12 4+0+1=5 0+0=0</think><answer>52</answer>',
    );
  });
});

describe('verify-shaped scorers: the task rule, usable as accuracyReward({ verify }) without adapters', () => {
  const [, cd] = generateCountdown({ count: 2, seed: 4 }); // target 22 from [29, 12, 5]: not itself a number
  it.each<[string, typeof verifyAddition, string | undefined, string, string]>([
    ['addition: right sum', verifyAddition, '432', '<think>x</think><answer>0432</answer>', 'equal'],
    ['addition: wrong sum', verifyAddition, '432', '<answer>433</answer>', 'not_equal'],
    ['addition: text around the number', verifyAddition, '432', '<answer>= 432</answer>', 'not_equal'],
    [
      'addition: no gold (a general prompt) is not judged',
      verifyAddition,
      undefined,
      '<answer>1</answer>',
      'unparseable',
    ],
    [
      'countdown: the reference solution',
      verifyCountdownAnswer,
      cd.solution,
      `<answer>${cd.solution}</answer>`,
      'equal',
    ],
    ['countdown: the target alone', verifyCountdownAnswer, cd.solution, `<answer>${cd.target}</answer>`, 'not_equal'],
    ['countdown: bad gold', verifyCountdownAnswer, '1 +', '<answer>1</answer>', 'unparseable'],
  ])('%s', async (_why, verify, gold, completion, verdict) => {
    expect((await verify(gold, completion)).verdict).toBe(verdict);
  });

  it('agrees with scoreAddition through accuracyReward on generated problems', async () => {
    const problems = additionProblems({ count: 6, seed: 1, split: 'train', minDigits: 1, maxDigits: 3 });
    const completions = problems.map((p, i) => (i % 2 ? additionCompletion(p) : '<answer>-1</answer>'));
    const reward = accuracyReward({ verify: verifyAddition, answerOnly: false });
    const [result] = await scoreRewards(
      reward,
      problems.map((p, i) => ({ prompt: p.prompt, solution: p.solution, completion: completions[i] })),
    );
    expect(result.values).toEqual(completions.map((c, i) => scoreAddition(c, problems[i])));
  });
});
