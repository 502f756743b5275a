import { describe, expect, it } from 'vitest';
import { createRewardContext } from '../reward.js';
import { type LanguageOptions, languageConsistencyReward, languageCounts } from './language.js';

const think = (body: string) => `<think>${body}</think><answer>42</answer>`;

// [reason, language, completion, expected share (null = nothing to judge), options?]
const cases: [string, string, string, number | null, Partial<LanguageOptions>?][] = [
  ['all-English reasoning in en', 'en', think('First add the numbers, then check the result.'), 1],
  ['all-Chinese reasoning in zh', 'zh', think('我们先把两个数相加，然后检查结果。'), 1],
  ['English reasoning judged for zh scores 0', 'zh', think('Let me add them.'), 0],
  ['mixed: one English word among Chinese words', 'zh', think('我们 check 结果'), 2 / 3],
  [
    'ja accepts Han + Hiragana + Katakana (mixed-script rule)',
    'ja',
    think('まず数字を足して、テストで確認します。'),
    1,
  ],
  ['ja: an English word does not count (まず / 確認 / wait)', 'ja', think('まず確認 wait'), 2 / 3],
  ['ko: Hangul words count, Han (hanja) does not', 'ko', think('먼저 숫자를 더합니다 漢字'), 3 / 4],
  ['ru: Cyrillic words count, Latin do not', 'ru', think('Сначала сложим числа, wait'), 3 / 4],
  ['numbers are not words', 'en', think('Add 12 and 30 to get 42.'), 1],
  ['LaTeX is excluded', 'zh', think('所以 $\\frac{a}{b} = x + y$ 成立 \\[ \\sum_{i} x_i \\]'), 1],
  ['code is excluded', 'zh', think('代码如下：\n```python\nprint("hello world")\n```\n结束'), 1],
  ['a lone Latin letter is a math variable in zh', 'zh', think('设 x 为 未知数'), 1],
  ['only the think block is judged', 'zh', '<think>思考</think><answer>The answer is forty-two.</answer>', 1],
  ['no think tag: the whole completion is judged', 'en', 'just English words here', 1],
  ['nothing countable → null (does not apply)', 'en', think('12 + 30 = 42'), null],
  [
    'whole completion when scope is completion',
    'zh',
    '<think>思考</think><answer>answer</answer>',
    0.5,
    { scope: 'completion' },
  ],
];

describe('languageConsistencyReward', () => {
  it.each(cases)('%s', async (_reason, language, completion, expected, options) => {
    const reward = languageConsistencyReward({ language, ...options });
    const [value] = await reward.score([{ prompt: 'q', completion }], createRewardContext());
    if (expected === null) expect(value).toBeNull();
    else expect(value).toBeCloseTo(expected, 12);
  });

  it('counts words, not characters', () => {
    expect(languageCounts('wait wait wait 我', 'zh')).toEqual({ target: 1, total: 4 });
    expect(languageCounts('hello 世界', 'en')).toEqual({ target: 1, total: 2 });
  });

  it('asks for scripts for a language it has no table for', () => {
    expect(() => languageConsistencyReward({ language: 'xx' })).toThrow(/no script table for language 'xx'/);
    expect(languageConsistencyReward({ language: 'xx', scripts: ['Latin'] }).name).toBe('language_consistency');
  });
});
