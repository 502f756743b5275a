import { describe, expect, it } from 'vitest';
import { createRewardContext } from '../reward.js';
import { checkFormat, type FormatOptions, formatReward } from './format.js';

const ok = '<think>\n2 + 2 is 4.\n</think>\n<answer>\n4\n</answer>';

// [reason, completion, expected reward, options?]
const cases: [string, string, 0 | 1, FormatOptions?][] = [
  ['the canonical R1 shape', ok, 1],
  ['whitespace around and between blocks is fine', `  \n${ok}\n\n`, 1],
  ['no newlines inside the tags is fine', '<think>x</think><answer>4</answer>', 1],
  ['loophole: trailing text after </answer> (hides a second answer)', `${ok}\nActually 5.`, 0],
  ['loophole: two answer blocks', `${ok}\n<answer>5</answer>`, 0],
  ['loophole: answer only inside the think block', '<think>so <answer>4</answer></think>', 0],
  ['loophole: empty think block', '<think>  \n </think><answer>4</answer>', 0],
  ['empty answer block', '<think>x</think><answer> </answer>', 0],
  ['text before <think>', `Sure! ${ok}`, 0],
  ['text between </think> and <answer>', '<think>x</think> so <answer>4</answer>', 0],
  ['nested think tag', '<think>a <think>b</think></think><answer>4</answer>', 0],
  ['two think blocks', '<think>a</think><think>b</think><answer>4</answer>', 0],
  ['answer before think', '<answer>4</answer><think>x</think>', 0],
  ['missing answer block', '<think>x</think>4', 0],
  [
    'loophole: tags inside a code fence still count (second answer)',
    '<think>```\n<answer>3</answer>\n```</think><answer>4</answer>',
    0,
  ],
  ['loophole: the whole thing inside a code fence', `\`\`\`\n${ok}\n\`\`\``, 0],
  ['loophole: full-width look-alike second answer tag', `<think>x</think><answer>4</answer>＜answer＞5＜/answer＞`, 0],
  [
    'loophole: Cyrillic а in a disguised answer tag inside think',
    '<think><аnswer>5</аnswer></think><answer>4</answer>',
    0,
  ],
  ['loophole: zero-width joiner inside a second tag', '<think>x <ans\u200bwer>5</think><answer>4</answer>', 0],
  ['loophole: upper-case second tag', '<think>x <ANSWER>5</ANSWER></think><answer>4</answer>', 0],
  ['look-alike instead of the real tags: no real answer block', '<think>x</think>＜answer＞4＜/answer＞', 0],
  ['configurable tags', '<reasoning>x</reasoning><final>4</final>', 1, { thinkTag: 'reasoning', answerTag: 'final' }],
  ['default tags are not accepted when others are configured', ok, 0, { thinkTag: 'reasoning', answerTag: 'final' }],
  [
    'R1 prefill: the prompt ended with <think>, completion starts inside it',
    'x\n</think>\n<answer>4</answer>',
    1,
    { prefill: '<think>\n' },
  ],
  [
    'R1 prefill: completion repeats <think> → two think tags',
    '<think>x</think><answer>4</answer>',
    0,
    { prefill: '<think>' },
  ],
  [
    'boxed: think then an answer with one \\boxed{}',
    '<think>x</think>The answer is $\\boxed{\\frac{1}{2}}$.',
    1,
    { mode: 'boxed' },
  ],
  ['boxed: answer only inside the think block', '<think>\\boxed{4}</think>', 0, { mode: 'boxed' }],
  ['boxed: two boxed answers', '<think>x</think>\\boxed{4} or \\boxed{5}', 0, { mode: 'boxed' }],
  ['boxed: empty \\boxed{}', '<think>x</think>\\boxed{ }', 0, { mode: 'boxed' }],
  ['boxed: unbalanced braces', '<think>x</think>\\boxed{\\frac{1}{2}', 0, { mode: 'boxed' }],
  ['boxed: empty think', '<think></think>\\boxed{4}', 0, { mode: 'boxed' }],
];

describe('formatReward', () => {
  it.each(cases)('%s', async (_reason, completion, expected, options) => {
    const reward = formatReward(options);
    const [value] = await reward.score([{ prompt: 'q', completion }], createRewardContext());
    expect(value).toBe(expected);
    expect(checkFormat((options?.prefill ?? '') + completion, options).ok).toBe(expected === 1);
  });

  it('gives the reason a completion failed', () => {
    expect(checkFormat(`${ok} extra`).reason).toBe('text after </answer>');
    expect(checkFormat('<think>a</think><answer>1</answer><answer>2</answer>').reason).toBe(
      '<answer> appears 2 times, expected once',
    );
  });

  it('prefillFromPrompt reads the prefix from the prompt (string or chat messages)', async () => {
    const reward = formatReward({ prefillFromPrompt: true });
    const completion = 'x</think><answer>4</answer>';
    const scores = await reward.score(
      [
        { prompt: 'Solve 2+2.\nAssistant: <think>\n', completion },
        { prompt: [{ role: 'assistant', content: '<think>' }], completion },
        { prompt: 'Solve 2+2.', completion },
      ],
      createRewardContext(),
    );
    expect(scores).toEqual([1, 1, 0]);
  });
});
