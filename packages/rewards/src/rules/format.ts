/**
 * formatReward: R1-Zero's format reward (DeepSeek-R1 §2.2.2: "puts its thinking process between `<think>` and
 * `</think>` tags"), made strict. 1 only when the completion is exactly one non-empty `<think>…</think>` block followed
 * by exactly one non-empty `<answer>…</answer>` block with nothing but whitespace around them; else 0.
 * The `boxed` mode asks instead for one `<think>` block followed by a final answer holding exactly one `\boxed{…}`.
 *
 * Why strict (the loopholes TRL/open-r1's regex leaves open): text after `</answer>` (the model hides a second answer),
 * repeated blocks, tags nested inside a body, and tags disguised with look-alike characters (`＜answer＞` in full
 * width, Cyrillic `а`, zero-width joiners, upper case) — these are folded to ASCII before counting, so a disguised
 * second tag is still a second tag. Tags inside code fences count too: the answer extractor downstream does not know
 * about fences, so a tag in a fence is still a tag it would see.
 *
 * R1-style prefill: when generation starts after a `<think>` already in the prompt, pass `prefill: '<think>'` (or
 * `prefillFromPrompt: true`) and the reward judges prefix + completion.
 *
 * Leaves out: partial credit (see tagCountReward for the open-r1 ¼-per-tag shaping).
 */
import { z } from 'zod';
import { defineReward, type Reward, textOf } from '../reward.js';

export const FormatOptions = z.object({
  thinkTag: z.string().min(1).default('think').describe('Name of the reasoning tag: <think>…</think>.'),
  answerTag: z.string().min(1).default('answer').describe('Name of the answer tag: <answer>…</answer> (mode "tags").'),
  mode: z
    .enum(['tags', 'boxed'])
    .default('tags')
    .describe(
      '"tags": <think>…</think><answer>…</answer>; "boxed": <think>…</think> then an answer with one \\boxed{}.',
    ),
  prefill: z
    .string()
    .default('')
    .describe('Text the generation was prefilled with (e.g. "<think>\\n", R1 style); judged as prefix + completion.'),
  prefillFromPrompt: z
    .boolean()
    .default(false)
    .describe('When the prompt text ends with the opening think tag, judge "<think>" + completion (R1 prefill).'),
  name: z.string().default('format').describe('Reward name (metric key).'),
});
export type FormatOptions = z.input<typeof FormatOptions>;

// Look-alikes that NFKC does not fold: Cyrillic and Greek letters that render like the Latin ones in tag names.
const CONFUSABLES: Record<string, string> = {
  а: 'a',
  е: 'e',
  о: 'o',
  р: 'p',
  с: 'c',
  у: 'y',
  х: 'x',
  і: 'i',
  ј: 'j',
  ѕ: 's',
  к: 'k',
  м: 'm',
  н: 'h',
  т: 't',
  в: 'b',
  ԝ: 'w',
  һ: 'h',
  ո: 'n',
  α: 'a',
  ε: 'e',
  ι: 'i',
  κ: 'k',
  ν: 'v',
  ο: 'o',
  ρ: 'p',
  τ: 't',
  υ: 'u',
  χ: 'x',
  '‹': '<',
  '›': '>',
  '〈': '<',
  '〉': '>',
  '⟨': '<',
  '⟩': '>',
  '˂': '<',
  '˃': '>',
  '∕': '/',
  '⁄': '/',
};
const INVISIBLE = /[\u00ad\u200b-\u200f\u2060-\u2064\ufeff]/g;

/** Folds look-alike characters to ASCII (NFKC, confusables, invisibles removed, lower case) for tag counting. */
export function foldLookalikes(text: string): string {
  const nfkc = text.normalize('NFKC').replace(INVISIBLE, '').toLowerCase();
  let out = '';
  for (const ch of nfkc) out += CONFUSABLES[ch] ?? ch;
  return out;
}

function count(haystack: string, needle: string): number {
  let n = 0;
  for (let i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + needle.length)) n++;
  return n;
}

/** Why a completion passes or fails the format check; `formatReward` is 1 exactly when `ok`. */
export interface FormatCheck {
  ok: boolean;
  reason: string;
}

/** The format check itself (exported for tests and for dataset filters). */
export function checkFormat(text: string, options: FormatOptions = {}): FormatCheck {
  const o = FormatOptions.parse(options);
  const [thinkOpen, thinkClose] = [`<${o.thinkTag}>`, `</${o.thinkTag}>`];
  const [answerOpen, answerClose] = [`<${o.answerTag}>`, `</${o.answerTag}>`];
  const folded = foldLookalikes(text);
  const tags = o.mode === 'tags' ? [thinkOpen, thinkClose, answerOpen, answerClose] : [thinkOpen, thinkClose];
  for (const tag of tags) {
    const real = count(text, tag);
    const all = count(folded, foldLookalikes(tag));
    if (all > real) return { ok: false, reason: `disguised ${tag} (look-alike characters or case)` };
    if (real !== 1) return { ok: false, reason: `${tag} appears ${real} times, expected once` };
  }
  const t0 = text.indexOf(thinkOpen);
  const t1 = text.indexOf(thinkClose);
  if (text.slice(0, t0).trim() !== '') return { ok: false, reason: `text before ${thinkOpen}` };
  if (t1 < t0) return { ok: false, reason: `${thinkClose} before ${thinkOpen}` };
  const think = text.slice(t0 + thinkOpen.length, t1);
  if (think.trim() === '') return { ok: false, reason: 'empty think block' };
  const rest = text.slice(t1 + thinkClose.length);
  if (o.mode === 'boxed') return checkBoxed(rest);
  const a0 = rest.indexOf(answerOpen);
  const a1 = rest.indexOf(answerClose);
  if (a0 < 0 || a1 < a0) return { ok: false, reason: `${answerOpen}…${answerClose} is not after ${thinkClose}` };
  if (rest.slice(0, a0).trim() !== '') return { ok: false, reason: `text between ${thinkClose} and ${answerOpen}` };
  if (rest.slice(a1 + answerClose.length).trim() !== '') return { ok: false, reason: `text after ${answerClose}` };
  if (rest.slice(a0 + answerOpen.length, a1).trim() === '') return { ok: false, reason: 'empty answer block' };
  return { ok: true, reason: 'one think block then one answer block' };
}

function checkBoxed(answer: string): FormatCheck {
  if (answer.trim() === '') return { ok: false, reason: 'no answer after the think block' };
  const folded = foldLookalikes(answer);
  const n = count(answer, '\\boxed{');
  if (count(folded, '\\boxed{') > n) return { ok: false, reason: 'disguised \\boxed{' };
  if (n !== 1) return { ok: false, reason: `\\boxed{} appears ${n} times after the think block, expected once` };
  const start = answer.indexOf('\\boxed{') + '\\boxed{'.length;
  let depth = 1;
  let i = start;
  for (; i < answer.length && depth > 0; i++) {
    if (answer[i] === '{') depth++;
    else if (answer[i] === '}') depth--;
  }
  if (depth !== 0) return { ok: false, reason: 'unbalanced braces in \\boxed{}' };
  if (answer.slice(start, i - 1).trim() === '') return { ok: false, reason: 'empty \\boxed{}' };
  return { ok: true, reason: 'one think block then an answer with one \\boxed{}' };
}

/** The reasoning/answer format reward (see the file comment): 1 when `checkFormat` passes, else 0. */
export function formatReward(options: FormatOptions = {}): Reward {
  const o = FormatOptions.parse(options);
  return defineReward({
    name: o.name,
    async score(samples) {
      return samples.map((s) => {
        let prefix = o.prefill;
        if (!prefix && o.prefillFromPrompt && textOf(s.prompt).trimEnd().endsWith(`<${o.thinkTag}>`))
          prefix = `<${o.thinkTag}>`;
        return checkFormat(prefix + textOf(s.completion), o).ok ? 1 : 0;
      });
    },
  });
}
