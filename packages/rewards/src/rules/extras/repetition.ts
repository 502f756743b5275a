/**
 * repetitionPenaltyReward: n-gram repetition penalty (Yeo et al. 2025, §4; open-r1 `get_repetition_penalty_reward`):
 *   r = (1 − |unique n-grams| / |n-grams|) · P_max,   P_max ≤ 0
 * over lower-cased whitespace-separated words; fewer than n words → 0.
 *
 * Leaves out: open-r1's Chinese word splitting with jieba (split text without spaces with `segment: 'intl'`, which
 * uses Intl.Segmenter word boundaries instead).
 */
import { ValueError } from '@aha/errors';
import { z } from 'zod';
import { defineReward, type Reward, textOf } from '../../reward.js';

export const RepetitionOptions = z.object({
  ngramSize: z.number().int().positive().default(3).describe('n, the n-gram size.'),
  maxPenalty: z.number().default(-1).describe('P_max ≤ 0: the value when every n-gram repeats.'),
  segment: z
    .enum(['whitespace', 'intl'])
    .default('whitespace')
    .describe('Word splitting: whitespace (open-r1) or Intl.Segmenter.'),
  name: z.string().default('repetition_penalty').describe('Reward name (metric key).'),
});
export type RepetitionOptions = z.input<typeof RepetitionOptions>;

/** 1 − unique/total over the n-grams of `words` (0 when there are fewer than n words). */
export function repetitionRate(words: readonly string[], n: number): number {
  if (words.length < n) return 0;
  const seen = new Set<string>();
  let total = 0;
  for (let i = 0; i + n <= words.length; i++) {
    seen.add(words.slice(i, i + n).join('\u0000'));
    total++;
  }
  return 1 - seen.size / total;
}

/** n-gram repetition penalty (see the file comment). */
export function repetitionPenaltyReward(options: RepetitionOptions = {}): Reward {
  const o = RepetitionOptions.parse(options);
  if (o.maxPenalty > 0) throw new ValueError(`repetitionPenaltyReward: maxPenalty must be ≤ 0, got ${o.maxPenalty}`);
  const words = (text: string): string[] =>
    o.segment === 'whitespace'
      ? text.toLowerCase().split(/\s+/).filter(Boolean)
      : [...new Intl.Segmenter(undefined, { granularity: 'word' }).segment(text.toLowerCase())]
          .filter((s) => s.isWordLike)
          .map((s) => s.segment);
  return defineReward({
    name: o.name,
    async score(samples) {
      return samples.map((s) => {
        const text = textOf(s.completion);
        return text === '' ? 0 : repetitionRate(words(text), o.ngramSize) * o.maxPenalty;
      });
    },
  });
}
