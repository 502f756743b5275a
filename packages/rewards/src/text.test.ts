import { describe, expect, it } from 'vitest';
import { answerPart, codeBlocks, thinkPart } from './text.js';

describe('thinkPart', () => {
  const cases: [string, string, string | undefined][] = [
    ['body of the think block', '<think>plan</think><answer>4</answer>', 'plan'],
    ['R1 prefill: no opening tag, everything before </think>', 'plan</think>4', 'plan'],
    ['unfinished reasoning runs to the end', '<think>still going', 'still going'],
    ['no think tags at all', 'just an answer', undefined],
  ];
  it.each(cases)('%s', (_reason, text, expected) => expect(thinkPart(text)).toBe(expected));
});

describe('answerPart', () => {
  const cases: [string, string, string][] = [
    ['the answer block body', '<think>x</think><answer>4</answer>', '4'],
    ['text after </think> when there is no answer block', '<think>x</think> so 4', ' so 4'],
    ['an answer block inside the think block is ignored', '<think><answer>3</answer></think><answer>4</answer>', '4'],
    ['answer only inside the think block → empty', '<think><answer>3</answer></think>', ''],
    ['no tags: the whole text', 'The answer is 4', 'The answer is 4'],
    ['the last answer block wins', '<answer>3</answer><answer>4</answer>', '4'],
  ];
  it.each(cases)('%s', (_reason, text, expected) => expect(answerPart(text)).toBe(expected));
});

describe('codeBlocks', () => {
  it('lists fenced blocks with their language, including an unclosed last one', () => {
    const text = 'a\n```Python\nprint(1)\n```\nb\n~~~js\nx()\n~~~\n```\nopen';
    expect(codeBlocks(text)).toEqual([
      { language: 'python', code: 'print(1)' },
      { language: 'js', code: 'x()' },
      { language: '', code: 'open' },
    ]);
  });
  it('a longer fence is not closed by a shorter one', () => {
    expect(codeBlocks('````md\n```js\ninner\n```\n````')).toEqual([{ language: 'md', code: '```js\ninner\n```' }]);
  });
});
