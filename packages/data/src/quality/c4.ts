/**
 * C4 cleaning rules (Raffel et al. 2020, "Exploring the Limits of Transfer Learning with a Unified Text-to-Text
 * Transformer", §2.2): line rules edit a page (keep lines ending in terminal punctuation with at least `minLineWords`
 * words; drop lines mentioning javascript, cookie/privacy/terms boilerplate; strip citation markers like "[1]"), page
 * rules drop it ("lorem ipsum", a curly brace, fewer than `minSentences` sentences left). Defaults are the paper's.
 * Leaves out: the "bad words" list (that is the content step's job), the three-sentence dedup of C4 (dedup steps).
 */
import { z } from 'zod';

export const C4Schema = z
  .strictObject({
    terminalPunctuation: z
      .boolean()
      .default(true)
      .describe('Keep only lines ending in . ! ? " (or CJK 。！？) (C4: on).'),
    minLineWords: z.number().int().min(0).default(3).describe('Fewest words a kept line has (C4: 3).'),
    minSentences: z
      .number()
      .int()
      .min(0)
      .default(5)
      .describe('Fewest sentences a page keeps after line rules (C4: 5).'),
    dropJavascriptLines: z.boolean().default(true).describe('Remove lines containing "javascript" (C4: on).'),
    dropPolicyLines: z
      .boolean()
      .default(true)
      .describe(
        'Remove lines with "terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies" (C4: on).',
      ),
    dropLoremIpsum: z.boolean().default(true).describe('Drop pages containing "lorem ipsum" (C4: on).'),
    dropCurlyBraces: z.boolean().default(true).describe('Drop pages containing "{" (code; C4: on).'),
    stripCitations: z
      .boolean()
      .default(true)
      .describe('Remove Wikipedia-style citation markers "[1]", "[citation needed]" (C4: on).'),
  })
  .describe('C4 line and page rules (Raffel et al. 2020, §2.2).');
export type C4Options = z.input<typeof C4Schema>;

const TERMINAL = /[.!?"”。！？]$/;
const POLICY = /terms of use|privacy policy|cookie policy|uses cookies|use of cookies|use cookies/i;
const CITATION = /\[\d+\]|\[citation needed\]|\[edit\]/gi;
const SENTENCE_END = /[.!?。！？]+(?=\s|$|["”])/g;

/** C4 on one page: `{ drop: reason }`, or the (possibly edited) text. */
export function c4Clean(text: string, o: z.output<typeof C4Schema>): { drop: string } | { text: string } {
  const lower = text.toLowerCase();
  if (o.dropLoremIpsum && lower.includes('lorem ipsum')) return { drop: 'c4:lorem-ipsum' };
  if (o.dropCurlyBraces && text.includes('{')) return { drop: 'c4:curly-brace' };
  const kept: string[] = [];
  for (const raw of text.split('\n')) {
    let line = o.stripCitations ? raw.replace(CITATION, '') : raw;
    line = line.trimEnd();
    if (line.trim() === '') {
      if (kept.length && kept[kept.length - 1] !== '') kept.push('');
      continue;
    }
    const t = line.trim();
    if (o.terminalPunctuation && !TERMINAL.test(t)) continue;
    const cjk = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u.test(t);
    if (!cjk && t.split(/\s+/).length < o.minLineWords) continue;
    if (o.dropJavascriptLines && /javascript/i.test(t)) continue;
    if (o.dropPolicyLines && POLICY.test(t)) continue;
    kept.push(line);
  }
  while (kept.length && kept[kept.length - 1] === '') kept.pop();
  const out = kept.join('\n');
  const sentences = out.match(SENTENCE_END)?.length ?? 0;
  if (sentences < o.minSentences) return { drop: 'c4:too-few-sentences' };
  return { text: out };
}
