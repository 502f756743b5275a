/**
 * languageConsistencyReward: DeepSeek-R1 §2.3.2 — "calculated as the proportion of target language words in the CoT",
 * added during reasoning RL to curb language mixing. Value = target-language words / counted words in the chain of
 * thought (the `<think>` body; the whole completion when there is no think tag), null when nothing is countable.
 *
 * How words are found and judged:
 * - Math, code, numbers and LaTeX are excluded first: fenced and inline code, `$…$`, `$$…$$`, `\(…\)`, `\[…\]`,
 *   `\begin…\end` environments, remaining `\commands`, URLs; then `Intl.Segmenter` (word granularity, the target
 *   locale, so Chinese/Japanese are split by ICU's dictionaries) gives word-like segments; segments without letters
 *   (numbers) are dropped.
 * - Each letter is classed by Unicode script (Han, Hiragana, Katakana, Hangul, Latin, Cyrillic, Greek, Arabic, Hebrew,
 *   Devanagari, Thai); Common/Inherited letters (e.g. the long-vowel mark ー) do not vote.
 * - Mixed-script rule: a word is in the target language when every classed letter is in a script the language
 *   accepts. `ja` accepts Han + Hiragana + Katakana, `zh` Han, `ko` Hangul, Latin-script languages Latin, and so on.
 *   A word mixing scripts outside that set (e.g. "GPU计算" for zh) does not count as target.
 * - A lone Latin letter (x, n) is taken for a math variable and skipped when the target is not a Latin-script language.
 *
 * Leaves out: language identification inside a script — `en` accepts any Latin-script word (French counts as English).
 * That is the check the paper's reward needs (it fights Chinese/English mixing), not a language classifier.
 */
import { ValueError } from '@aha/errors';
import { z } from 'zod';
import { defineReward, type Reward, textOf } from '../reward.js';
import { thinkPart } from '../text.js';

export type Script =
  | 'Han'
  | 'Hiragana'
  | 'Katakana'
  | 'Hangul'
  | 'Latin'
  | 'Cyrillic'
  | 'Greek'
  | 'Arabic'
  | 'Hebrew'
  | 'Devanagari'
  | 'Thai';

const SCRIPT_TESTS: [Script, RegExp][] = [
  ['Han', /\p{Script=Han}/u],
  ['Hiragana', /\p{Script=Hiragana}/u],
  ['Katakana', /\p{Script=Katakana}/u],
  ['Hangul', /\p{Script=Hangul}/u],
  ['Latin', /\p{Script=Latin}/u],
  ['Cyrillic', /\p{Script=Cyrillic}/u],
  ['Greek', /\p{Script=Greek}/u],
  ['Arabic', /\p{Script=Arabic}/u],
  ['Hebrew', /\p{Script=Hebrew}/u],
  ['Devanagari', /\p{Script=Devanagari}/u],
  ['Thai', /\p{Script=Thai}/u],
];

const LATIN = [
  'en',
  'fr',
  'de',
  'es',
  'it',
  'pt',
  'nl',
  'sv',
  'da',
  'no',
  'fi',
  'pl',
  'cs',
  'ro',
  'hu',
  'tr',
  'vi',
  'id',
];
const CYRILLIC = ['ru', 'uk', 'be', 'bg', 'sr', 'mk', 'kk'];

/** Scripts each language accepts (the mixed-script rule in the file comment). */
export const LANGUAGE_SCRIPTS: Record<string, readonly Script[]> = {
  zh: ['Han'],
  ja: ['Han', 'Hiragana', 'Katakana'],
  ko: ['Hangul'],
  el: ['Greek'],
  ar: ['Arabic'],
  fa: ['Arabic'],
  ur: ['Arabic'],
  he: ['Hebrew'],
  hi: ['Devanagari'],
  mr: ['Devanagari'],
  ne: ['Devanagari'],
  th: ['Thai'],
  ...Object.fromEntries(LATIN.map((l) => [l, ['Latin'] as const])),
  ...Object.fromEntries(CYRILLIC.map((l) => [l, ['Cyrillic'] as const])),
};

/** The script of one character, or undefined for Common/Inherited/unlisted scripts. */
export function scriptOf(ch: string): Script | undefined {
  for (const [script, re] of SCRIPT_TESTS) if (re.test(ch)) return script;
  return undefined;
}

/** Removes code, LaTeX, URLs: what is left is prose to judge. */
export function stripNonProse(text: string): string {
  return text
    .replace(/(```|~~~)[\s\S]*?(\1|$)/g, ' ')
    .replace(/`[^`\n]*`/g, ' ')
    .replace(/\$\$[\s\S]*?\$\$/g, ' ')
    .replace(/\$[^$\n]*\$/g, ' ')
    .replace(/\\\[[\s\S]*?\\\]/g, ' ')
    .replace(/\\\([\s\S]*?\\\)/g, ' ')
    .replace(/\\begin\{(\w+\*?)\}[\s\S]*?\\end\{\1\}/g, ' ')
    .replace(/\\[a-zA-Z]+/g, ' ')
    .replace(/https?:\/\/\S+/g, ' ')
    .replace(/<\/?[A-Za-z][\w-]*>/g, ' '); // markup tags such as <think>
}

/** Counts of target-language words and of all counted words in `text`. */
export function languageCounts(
  text: string,
  language: string,
  scripts?: readonly Script[],
): { target: number; total: number } {
  const accepted = new Set(scripts ?? LANGUAGE_SCRIPTS[language]);
  const latinTarget = accepted.has('Latin');
  const segmenter = new Intl.Segmenter(language, { granularity: 'word' });
  let target = 0;
  let total = 0;
  for (const { segment, isWordLike } of segmenter.segment(stripNonProse(text))) {
    if (!isWordLike) continue;
    const letters = [...segment].filter((ch) => /\p{L}/u.test(ch));
    const classes = letters.map(scriptOf).filter((s): s is Script => s !== undefined);
    if (classes.length === 0) continue; // numbers, symbols
    if (!latinTarget && letters.length === 1 && classes[0] === 'Latin') continue; // a math variable
    total++;
    if (classes.every((s) => accepted.has(s))) target++;
  }
  return { target, total };
}

export const LanguageOptions = z.object({
  language: z.string().min(2).describe('Target language (BCP 47 primary tag: zh, en, ja, ko, ru, …).'),
  scripts: z
    .array(z.enum(SCRIPT_TESTS.map(([s]) => s) as [Script, ...Script[]]))
    .optional()
    .describe('Scripts accepted as the target language; the table LANGUAGE_SCRIPTS gives the default.'),
  scope: z
    .enum(['think', 'completion'])
    .default('think')
    .describe('Judge the chain of thought (<think> body, whole completion when absent) or the whole completion.'),
  thinkTag: z.string().default('think').describe('Name of the reasoning tag.'),
  name: z.string().default('language_consistency').describe('Reward name (metric key).'),
});
export type LanguageOptions = z.input<typeof LanguageOptions>;

/** Language-consistency reward (see the file comment). */
export function languageConsistencyReward(options: LanguageOptions): Reward {
  const o = LanguageOptions.parse(options);
  const primary = o.language.toLowerCase().split('-')[0];
  if (!o.scripts && !LANGUAGE_SCRIPTS[primary])
    throw new ValueError(
      `languageConsistencyReward: no script table for language '${o.language}'; pass scripts: [...] (known: ${Object.keys(LANGUAGE_SCRIPTS).join(', ')})`,
    );
  return defineReward({
    name: o.name,
    async score(samples) {
      return samples.map((s) => {
        const completion = textOf(s.completion);
        const text = o.scope === 'think' ? (thinkPart(completion, o.thinkTag) ?? completion) : completion;
        const { target, total } = languageCounts(text, primary, o.scripts);
        return total === 0 ? null : target / total;
      });
    },
  });
}
