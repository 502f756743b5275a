/**
 * Gopher quality and repetition rules (Rae et al. 2021, "Scaling Language Models: Methods, Analysis & Insights from
 * Training Gopher", Appendix A.1.1, Table A1): a document is removed when any measure falls outside its bound.
 * Words are whitespace-separated tokens; a paragraph is a blank-line-separated block. The defaults are the paper's.
 * Designed for space-separated languages: restrict it with `languages` (after the language step) for CJK corpora.
 * Leaves out: the paper's exact tokenizer (we split on whitespace), and per-language stop-word lists beyond English.
 */
import { z } from 'zod';

const frac = (def: number, what: string) =>
  z.number().min(0).max(1).default(def).describe(`${what} (Gopher default ${def}).`);

export const GopherSchema = z
  .strictObject({
    minWords: z.number().int().min(0).default(50).describe('Fewest words (Gopher default 50).'),
    maxWords: z.number().int().min(1).default(100_000).describe('Most words (Gopher default 100,000).'),
    minMeanWordLength: z.number().min(0).default(3).describe('Smallest mean word length in characters (Gopher 3).'),
    maxMeanWordLength: z.number().min(0).default(10).describe('Largest mean word length in characters (Gopher 10).'),
    maxSymbolWordRatio: frac(0.1, 'Most "#" and "..."/"…" per word'),
    maxBulletLines: frac(0.9, 'Largest share of lines starting with a bullet'),
    maxEllipsisLines: frac(0.3, 'Largest share of lines ending with an ellipsis'),
    minAlphaWords: frac(0.8, 'Smallest share of words with at least one letter'),
    minStopWords: z
      .number()
      .int()
      .min(0)
      .default(2)
      .describe('Fewest English stop words (the, be, to, of, and, that, have, with) present (Gopher 2); 0 = off.'),
    maxDuplicateLines: frac(0.3, 'Largest share of lines that repeat an earlier line'),
    maxDuplicateParagraphs: frac(0.3, 'Largest share of paragraphs that repeat an earlier one'),
    maxDuplicateLineChars: frac(0.2, 'Largest share of characters in repeated lines'),
    maxDuplicateParagraphChars: frac(0.2, 'Largest share of characters in repeated paragraphs'),
    maxTopNgramChars: z
      .tuple([z.number(), z.number(), z.number()])
      .default([0.2, 0.18, 0.16])
      .describe('Largest share of characters in the most frequent 2-, 3-, 4-gram (Gopher 0.20, 0.18, 0.16).'),
    maxDuplicateNgramChars: z
      .tuple([z.number(), z.number(), z.number(), z.number(), z.number(), z.number()])
      .default([0.15, 0.14, 0.13, 0.12, 0.11, 0.1])
      .describe('Largest share of characters in repeated 5- … 10-grams (Gopher 0.15, 0.14, 0.13, 0.12, 0.11, 0.10).'),
  })
  .describe('Gopher quality and repetition rules (Rae et al. 2021, App. A).');
export type GopherOptions = z.input<typeof GopherSchema>;

const STOP_WORDS = new Set(['the', 'be', 'to', 'of', 'and', 'that', 'have', 'with']);
const BULLET = /^\s*[•●○▪▫■□◦‣⁃*·-]\s/;
const ELLIPSIS_END = /(\.\.\.|…)\s*$/;

/** Share of characters covered by repeated units (counting every occurrence after the first), and share of units. */
function duplicateShare(units: readonly string[]): { count: number; chars: number } {
  const seen = new Set<string>();
  let dupCount = 0;
  let dupChars = 0;
  let chars = 0;
  for (const u of units) {
    chars += u.length;
    if (seen.has(u)) {
      dupCount++;
      dupChars += u.length;
    } else seen.add(u);
  }
  return { count: units.length ? dupCount / units.length : 0, chars: chars ? dupChars / chars : 0 };
}

/**
 * Numeric key of the n-gram of word ids starting at `i`: two 32-bit polynomial hashes packed into 53 bits, so
 * n-gram counting needs no string per position (collisions at this width are negligible within one document).
 */
function ngramKey(ids: Int32Array, i: number, n: number): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x1b873593;
  for (let k = i; k < i + n; k++) {
    h1 = Math.imul(h1 ^ ids[k], 0x01000193);
    h2 = Math.imul(h2 + ids[k], 0x5bd1e995) ^ (h2 >>> 15);
  }
  return (h1 >>> 0) * 2097152 + ((h2 >>> 0) >>> 11);
}

/** Share of word characters in the most frequent n-gram (each occurrence counted). */
function topNgramShare(ids: Int32Array, lens: Int32Array, n: number, totalChars: number): number {
  if (ids.length < n || totalChars === 0) return 0;
  const counts = new Map<number, number>();
  let best = 0;
  let bestAt = 0;
  for (let i = 0; i + n <= ids.length; i++) {
    const key = ngramKey(ids, i, n);
    const c = (counts.get(key) ?? 0) + 1;
    counts.set(key, c);
    if (c > best) {
      best = c;
      bestAt = i;
    }
  }
  if (best < 2) return 0;
  let chars = 0;
  for (let k = bestAt; k < bestAt + n; k++) chars += lens[k];
  return (best * chars) / totalChars;
}

/** Share of word characters inside n-grams that occur more than once (each word counted once). */
function duplicateNgramShare(ids: Int32Array, lens: Int32Array, n: number, totalChars: number): number {
  if (ids.length < n || totalChars === 0) return 0;
  const first = new Map<number, number>();
  const covered = new Uint8Array(ids.length);
  for (let i = 0; i + n <= ids.length; i++) {
    const key = ngramKey(ids, i, n);
    const j = first.get(key);
    if (j === undefined) first.set(key, i);
    else {
      // overlapping occurrences ("a a a a") count once per word
      for (let k = 0; k < n; k++) {
        covered[i + k] = 1;
        covered[j + k] = 1;
      }
    }
  }
  let chars = 0;
  for (let i = 0; i < ids.length; i++) if (covered[i]) chars += lens[i];
  return chars / totalChars;
}

/** The first Gopher rule a text breaks (its name), or null. */
export function gopherCheck(text: string, options: GopherOptions = {}): string | null {
  const o = GopherSchema.parse(options);
  return gopherCheckParsed(text, o);
}

export function gopherCheckParsed(text: string, o: z.output<typeof GopherSchema>): string | null {
  const words = text.split(/\s+/).filter(Boolean);
  const n = words.length;
  if (n < o.minWords) return 'gopher:too-few-words';
  if (n > o.maxWords) return 'gopher:too-many-words';
  let chars = 0;
  let alpha = 0;
  const stops = new Set<string>();
  for (const w of words) {
    chars += w.length;
    if (/[A-Za-z]/.test(w) || /\p{L}/u.test(w)) alpha++;
    // only as many stop words as the rule needs; trailing punctuation ("the," "with.") stripped
    if (stops.size < o.minStopWords && w.length <= 6) {
      const lw = w.toLowerCase().replace(/[^a-z]+$/, '');
      if (STOP_WORDS.has(lw)) stops.add(lw);
    }
  }
  const symbols = (text.match(/#/g)?.length ?? 0) + (text.match(/\.\.\.|…/g)?.length ?? 0);
  const mean = n ? chars / n : 0;
  if (mean < o.minMeanWordLength || mean > o.maxMeanWordLength) return 'gopher:mean-word-length';
  if (n && symbols / n > o.maxSymbolWordRatio) return 'gopher:symbol-word-ratio';
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length) {
    if (lines.filter((l) => BULLET.test(l)).length / lines.length > o.maxBulletLines) return 'gopher:bullet-lines';
    if (lines.filter((l) => ELLIPSIS_END.test(l)).length / lines.length > o.maxEllipsisLines)
      return 'gopher:ellipsis-lines';
  }
  if (n && alpha / n < o.minAlphaWords) return 'gopher:alpha-words';
  if (o.minStopWords > 0 && stops.size < o.minStopWords) return 'gopher:stop-words';
  const dl = duplicateShare(lines.map((l) => l.trim()));
  if (dl.count > o.maxDuplicateLines) return 'gopher:duplicate-lines';
  if (dl.chars > o.maxDuplicateLineChars) return 'gopher:duplicate-line-chars';
  const paragraphs = text
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter(Boolean);
  const dp = duplicateShare(paragraphs);
  if (dp.count > o.maxDuplicateParagraphs) return 'gopher:duplicate-paragraphs';
  if (dp.chars > o.maxDuplicateParagraphChars) return 'gopher:duplicate-paragraph-chars';
  const dict = new Map<string, number>();
  const ids = new Int32Array(n);
  const lens = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const lw = words[i].toLowerCase();
    let id = dict.get(lw);
    if (id === undefined) {
      id = dict.size;
      dict.set(lw, id);
    }
    ids[i] = id;
    lens[i] = words[i].length;
  }
  for (let k = 0; k < 3; k++) {
    if (topNgramShare(ids, lens, k + 2, chars) > o.maxTopNgramChars[k]) return `gopher:top-${k + 2}gram`;
  }
  for (let k = 0; k < 6; k++) {
    const share = duplicateNgramShare(ids, lens, k + 5, chars);
    // a repeated (n+1)-gram contains a repeated n-gram: none at n means none above
    if (share === 0) break;
    if (share > o.maxDuplicateNgramChars[k]) return `gopher:duplicate-${k + 5}grams`;
  }
  return null;
}
