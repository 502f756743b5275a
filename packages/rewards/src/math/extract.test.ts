// Table tests for final-answer extraction (think/answer tags, boxes, phrases, trailing expressions) and its linear cost.
import { describe, expect, it } from 'vitest';
import { extractAnswer, extractGold, lastBoxed } from './extract.js';

describe('extractAnswer', () => {
  const table: [completion: string, expected: string | undefined, reason: string][] = [
    ['\\boxed{5}', '5', 'a box'],
    ['so \\boxed{\\frac{1}{2}} done', '\\frac{1}{2}', 'nested braces inside the box'],
    ['\\boxed{3} then \\boxed{4}', '4', 'the last box counts'],
    ['\\fbox{7}', '7', 'fbox'],
    ['\\boxed 9 and more', '9', 'box without braces'],
    ['<think>\\boxed{1}</think> \\boxed{2}', '2', 'after </think>'],
    ['<think>\\boxed{1}</think> no answer here.', undefined, 'a box only inside the think block does not count'],
    ['<think>reasoning \\boxed{1}', undefined, 'an unclosed think block has no answer part'],
    ['<think>x</think><answer>x = 4</answer>', 'x = 4', 'answer tag content'],
    ['<answer>1</answer> <answer>2</answer>', '2', 'last answer tag'],
    ['The final answer is $12$.', '12', 'final answer phrase with math'],
    ['Answer: 3.5. Next we check.', '3.5', 'answer colon, sentence end after a decimal'],
    ['Work...\n#### 1,200', '1,200', 'GSM8K marker'],
    ['We find that $x = 7$.', 'x = 7', 'trailing inline math'],
    ['the sum is 41 apples', '41', 'last number of the last line'],
    ['no numbers at all', undefined, 'nothing to extract'],
    ['', undefined, 'empty'],
    ['\\boxed{}', undefined, 'empty box'],
  ];
  for (const [completion, expected, reason] of table) {
    it(`${reason}: ${JSON.stringify(completion)}`, () => {
      expect(extractAnswer(completion)).toBe(expected);
    });
  }

  it('stays linear on a 1 MB completion without markers', () => {
    const text = `${'a'.repeat(1_000_000)} 42`;
    expect(extractAnswer(text)).toBe('42');
  });

  it('returns undefined for an unbalanced box and does not scan past it forever', () => {
    expect(lastBoxed(`\\boxed{${'{'.repeat(100_000)}`)).toBeUndefined();
  });
});

describe('extractGold', () => {
  it('reads the last box of a worked solution', () => {
    expect(extractGold('We get $x=2$, so \\boxed{2}.')).toBe('2');
  });
  it('reads GSM8K gold after ####', () => {
    expect(extractGold('48/2 = 24\n#### 72')).toBe('72');
  });
  it('strips math delimiters', () => {
    expect(extractGold('$\\frac{1}{2}$')).toBe('\\frac{1}{2}');
  });
  it('has no answer for an empty box', () => {
    expect(extractGold('\\boxed{}')).toBeUndefined();
  });
});
