/**
 * Text normalisation for keyword matching, so trivial obfuscations do not slip past the filter: Unicode NFKC
 * (full-width, ligatures, circled and mathematical letters → plain), case folding, removal of invisible characters
 * (zero-width spaces/joiners, soft hyphen, BOM, variation selectors, tag characters, other format characters),
 * removal of combining diacritics ("Zalgo" text, accents), folding of Cyrillic/Greek look-alikes to Latin, "leet"
 * digits/symbols between letters (b0mb → bomb), and whitespace runs to one space.
 *
 * Every output character remembers where it came from (`origin`, a UTF-16 index into the input), so a match in the
 * normalised text maps back to a span of the original text.
 *
 * Works per code point (NFKC of each code point on its own): compositions across code points are not needed because
 * combining diacritics are dropped anyway. Runs in time linear in the input (a leet run is decided once, per-code-point
 * folds are cached). Leaves out: the full Unicode confusables table (UTS #39) — the look-alike
 * map covers the Cyrillic/Greek letters that pass for Latin in practice; full case folding (JS has only
 * `toLowerCase`; ß → ss and final sigma are added by hand); images of text, homophones, pinyin spellings of Chinese.
 */
import { z } from 'zod';

/** Which folds to apply (all on by default). */
export const NormalizeOptionsSchema = z.object({
  caseFold: z.boolean().default(true).describe('Lower-case (plus ß → ss, final sigma → σ).'),
  stripMarks: z.boolean().default(true).describe('Drop combining diacritical marks (accents, Zalgo stacking).'),
  lookalikes: z.boolean().default(true).describe('Fold Cyrillic/Greek letters that look like Latin ones to Latin.'),
  leet: z
    .boolean()
    .default(true)
    .describe('Map 0 1 3 4 5 7 @ $ to o i e a s t a s when a letter stands next to them (b0mb → bomb).'),
});
export type NormalizeOptions = z.input<typeof NormalizeOptionsSchema>;

/** Normalised text and, for each of its UTF-16 units, the UTF-16 index in the source it came from. */
export interface NormalizedText {
  text: string;
  origin: number[];
}

// Invisible characters: format controls (zero-width space/joiners, bidi marks, soft hyphen, BOM, word joiner,
// invisible operators, tag characters), variation selectors, the combining grapheme joiner, Hangul fillers.
const INVISIBLE = /^(?:\u034f|\u1160|\p{Variation_Selector}|[\p{Cf}\u115f\u3164\uffa0])$/u;
// Combining diacritical marks (the blocks used for accents and Zalgo text). Other scripts' marks (Devanagari vowel
// signs, …) are letters of their words and stay.
const DIACRITIC = /[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]/gu;

/** Cyrillic and Greek letters (after lower-casing) that are drawn like a Latin letter. */
const LOOKALIKE: Record<string, string> = {
  а: 'a',
  в: 'b',
  е: 'e',
  ё: 'e',
  к: 'k',
  м: 'm',
  н: 'h',
  о: 'o',
  р: 'p',
  с: 'c',
  т: 't',
  у: 'y',
  х: 'x',
  ѕ: 's',
  і: 'i',
  ї: 'i',
  ј: 'j',
  һ: 'h',
  ӏ: 'l',
  ԁ: 'd',
  ԛ: 'q',
  ԝ: 'w',
  α: 'a',
  β: 'b',
  ε: 'e',
  η: 'n',
  ι: 'i',
  κ: 'k',
  μ: 'm',
  ν: 'v',
  ο: 'o',
  ρ: 'p',
  τ: 't',
  υ: 'u',
  χ: 'x',
  ϲ: 'c',
};

/** Leet substitutions, applied only next to a letter so plain numbers stay numbers. */
const LEET = new Map(Object.entries({ '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', $: 's' }));

const LETTER = /^\p{L}$/u;

/**
 * Folded form of each code point seen, per set of options (bit mask), so each distinct code point pays for NFKC/NFD
 * and the regular expressions once. Capped so a text of many distinct code points cannot grow it without bound.
 */
const foldCache = new Map<number, Map<number, readonly string[]>>();
const FOLD_CACHE_LIMIT = 1 << 16;

/** One code point folded by the per-character steps, as code points; whitespace becomes ' ' (runs collapse later). */
function foldCodePoint(cp: string, o: z.output<typeof NormalizeOptionsSchema>): string[] {
  if (INVISIBLE.test(cp)) return [];
  let s = cp.normalize('NFKC');
  if (o.stripMarks) s = s.normalize('NFD').replace(DIACRITIC, '').normalize('NFC');
  if (o.caseFold) s = s.toLowerCase().replace(/ß/g, 'ss').replace(/ς/g, 'σ');
  const out: string[] = [];
  for (const c of s) {
    const folded = o.lookalikes ? (LOOKALIKE[c] ?? c) : c;
    out.push(/^\s$/u.test(folded) ? ' ' : folded);
  }
  return out;
}

/**
 * Normalise `source` for matching (see the file comment). Keywords must go through the same function with the same
 * options, so both sides agree. Linear in the length of `source`.
 */
export function normalizeForMatching(source: string, options: NormalizeOptions = {}): NormalizedText {
  const o = NormalizeOptionsSchema.parse(options);
  const bits = (o.caseFold ? 1 : 0) | (o.stripMarks ? 2 : 0) | (o.lookalikes ? 4 : 0);
  const cache = foldCache.get(bits) ?? new Map<number, readonly string[]>();
  foldCache.set(bits, cache);
  const chars: string[] = []; // one code point each
  const origin: number[] = [];
  for (let i = 0; i < source.length; ) {
    const code = source.codePointAt(i)!;
    const width = code > 0xffff ? 2 : 1;
    let s = cache.get(code);
    if (s === undefined) {
      s = foldCodePoint(source.slice(i, i + width), o);
      if (cache.size < FOLD_CACHE_LIMIT) cache.set(code, s);
    }
    for (let k = 0; k < s.length; k++) {
      const c = s[k];
      if (c === ' ' && chars.length > 0 && chars[chars.length - 1] === ' ') continue; // whitespace run → one space
      chars.push(c);
      origin.push(i);
    }
    i += width;
  }
  if (o.leet) {
    // A maximal run of leet characters is mapped as a whole when a letter touches either end ("b00m", "b00", "00m"),
    // and left alone otherwise ("8055"). One pass over the runs: linear, where re-scanning the run around each
    // character was quadratic on long runs of digits.
    for (let k = 0; k < chars.length; ) {
      if (!LEET.has(chars[k])) {
        k++;
        continue;
      }
      let end = k + 1;
      while (end < chars.length && LEET.has(chars[end])) end++;
      if ((k > 0 && LETTER.test(chars[k - 1])) || (end < chars.length && LETTER.test(chars[end]))) {
        for (let x = k; x < end; x++) chars[x] = LEET.get(chars[x])!;
      }
      k = end;
    }
  }
  // Each entry of `chars` is one code point; expand origin to UTF-16 units.
  const units: number[] = [];
  for (let k = 0; k < chars.length; k++) {
    units.push(origin[k]);
    if (chars[k].length === 2) units.push(origin[k]);
  }
  return { text: chars.join(''), origin: units };
}

/** A letter or digit (the characters a "compact" view keeps). */
export const WORD_CHAR = /^[\p{L}\p{N}]$/u;

/** `WORD_CHAR.test(ch)` for one code point, without the regular expression for ASCII (most text). */
export function isWordChar(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if (c < 0x80) return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39);
  return WORD_CHAR.test(ch);
}

/** Scripts written without spaces between words: word-boundary checks do not apply to their characters. */
const UNSPACED =
  /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]$/u;

/** True when `ch` belongs to a script written without spaces (Chinese, Japanese, Thai, …). */
export function isUnspaced(ch: string): boolean {
  return UNSPACED.test(ch);
}
