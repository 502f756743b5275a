/**
 * Stage 1 of risk control: a keyword filter. Per-category keyword lists (JSON or YAML) are compiled into one
 * Aho–Corasick automaton (text/aho-corasick.ts), matched against the normalised text (see text/normalize.ts) and,
 * for letters spelled apart ("b.o.m.b", "b o m b"), against a compact view that keeps only letters and digits.
 * Every hit maps back to a span of the original text.
 *
 * Rules: `wholeWord` categories need a word boundary on both sides of a hit, except next to characters of scripts
 * written without spaces (Chinese, Japanese, Thai), where any substring counts. A hit that lies inside one of its
 * category's `allow` phrases ("kill the process") is dropped. A compact-view hit counts only when the original span
 * had separators inside it and those separators are punctuation/symbols, or the space-separated pieces are at most
 * two characters long (spelled-out letters) — so "the rapist" does not match "therapist".
 *
 * Every step is linear in the text (plus the number of hits): normalisation, the automaton, and the allow-phrase check,
 * which sweeps hits and allow spans once in start order instead of scanning every allow span for every hit.
 *
 * This is DeepSeek's "keyword filter then model review" first stage; the lists themselves are the operator's (aha
 * ships only placeholder test terms). Leaves out: regular-expression rules, fuzzy (edit-distance) matching,
 * per-term severities (the action is per category).
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { SafetyError } from '../errors.js';
import { AhoCorasick } from '../text/aho-corasick.js';
import {
  isUnspaced,
  isWordChar,
  type NormalizedText,
  NormalizeOptionsSchema,
  normalizeForMatching,
  WORD_CHAR,
} from '../text/normalize.js';

/** What a hit in a category leads to: `block` at once, or `review` by the model judge. */
export type KeywordAction = 'block' | 'review';

/** One category of a keyword list. */
export const KeywordCategorySchema = z.object({
  id: z
    .string()
    .regex(/^[\w.-]+$/, 'letters, digits, _ . - only')
    .describe('Category id, e.g. "violence" (unique across the loaded lists).'),
  description: z.string().default('').describe('What the category covers.'),
  action: z
    .enum(['block', 'review'])
    .default('review')
    .describe('block: a hit blocks without model review; review: a hit sends the dialogue to the model judge.'),
  terms: z.array(z.string().min(1)).min(1).describe('Keywords and phrases (normalised like the text before matching).'),
  allow: z
    .array(z.string().min(1))
    .default([])
    .describe('Phrases that make a hit inside them harmless (e.g. "kill the process" for the term "kill").'),
  wholeWord: z
    .boolean()
    .default(true)
    .describe('Require word boundaries around hits (not applied next to Chinese/Japanese/Thai characters).'),
});
export type KeywordCategory = z.output<typeof KeywordCategorySchema>;

/** A keyword list file. */
export const KeywordListSchema = z.object({
  version: z.literal(1).default(1).describe('Format version of the list file.'),
  categories: z.array(KeywordCategorySchema).min(1).describe('The categories.'),
});
export type KeywordListInput = z.input<typeof KeywordListSchema>;

/** Options of the filter. */
export const KeywordFilterOptionsSchema = z.object({
  normalize: NormalizeOptionsSchema.prefault({}).describe('Which normalisation folds to apply (all on by default).'),
  matchSeparated: z
    .boolean()
    .default(true)
    .describe('Also match terms whose letters are spelled apart ("b.o.m.b", "b o m b").'),
  chunkSize: z
    .number()
    .int()
    .min(1)
    .default(4096)
    .describe(
      'Search long texts in overlapping chunks of this many UTF-16 units (bounds the work of one matcher call; the hits do not depend on it).',
    ),
});
export type KeywordFilterOptions = z.input<typeof KeywordFilterOptionsSchema>;

/** One keyword hit. */
export interface KeywordHit {
  category: string;
  action: KeywordAction;
  /** The term as listed. */
  term: string;
  /** The original text of the hit (`text.slice(start, end)`). */
  matched: string;
  /** UTF-16 span in the original text. */
  start: number;
  end: number;
  /** True when the hit needed normalisation (the matched text is not the term up to case). */
  obfuscated: boolean;
  /** 'normalized': found in the normalised text; 'separated': found with its letters spelled apart. */
  via: 'normalized' | 'separated';
}

/** The filter's verdict on a text. */
export interface KeywordResult {
  hits: KeywordHit[];
  /** Distinct categories hit, in list order. */
  categories: string[];
  /** The strongest action among the hits: 'block' > 'review' > 'none'. */
  action: KeywordAction | 'none';
}

interface Entry {
  category: number;
  term: string;
  wholeWord: boolean;
}

/** Parse and validate a keyword list object (from JSON/YAML). `source` names it in errors. */
export function parseKeywordList(value: unknown, source = 'keyword list'): z.output<typeof KeywordListSchema> {
  const r = KeywordListSchema.safeParse(value);
  if (!r.success) {
    const issues = r.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new SafetyError('invalid', `${source}: not a valid keyword list — ${issues.join('; ')}`);
  }
  return r.data;
}

/** Read a keyword list from a .json, .yaml or .yml file. */
export async function loadKeywordList(path: string): Promise<z.output<typeof KeywordListSchema>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new SafetyError(
      'invalid',
      `loadKeywordList: cannot read ${path}: ${(err as Error).message}`,
      {},
      { cause: err },
    );
  }
  const ext = extname(path).toLowerCase();
  let value: unknown;
  try {
    if (ext === '.json') value = JSON.parse(text);
    else if (ext === '.yaml' || ext === '.yml') value = parseYaml(text);
    else throw new Error(`unknown extension '${ext}' (use .json, .yaml or .yml)`);
  } catch (err) {
    throw new SafetyError('invalid', `loadKeywordList: ${path}: ${(err as Error).message}`, {}, { cause: err });
  }
  return parseKeywordList(value, path);
}

/** Keep letters and digits only; `origin[j]` = index in the normalised text. */
function compact(n: NormalizedText): { text: string; origin: number[] } {
  const kept: string[] = [];
  const origin: number[] = [];
  let i = 0;
  for (const ch of n.text) {
    if (isWordChar(ch)) {
      kept.push(ch);
      for (let u = 0; u < ch.length; u++) origin.push(i + u);
    }
    i += ch.length;
  }
  return { text: kept.join(''), origin };
}

function automaton<T>(patterns: { pattern: string; data: T }[]): AhoCorasick<T> | null {
  return patterns.length === 0 ? null : new AhoCorasick(patterns);
}

const isLow = (text: string, i: number) => i > 0 && i < text.length && /[\udc00-\udfff]/.test(text[i]);

/**
 * All matches in `text`, searched in chunks of `size` units that overlap by the longest pattern, so every match lies
 * whole in the chunk where it starts; matches starting in an overlap are kept by the earlier chunk only. Chunk edges
 * never split a surrogate pair.
 */
function searchChunked<T>(a: AhoCorasick<T>, text: string, size: number): { start: number; end: number; data: T }[] {
  const out: { start: number; end: number; data: T }[] = [];
  for (let from = 0; from < text.length; ) {
    let to = Math.min(text.length, from + size);
    if (isLow(text, to)) to++;
    let sliceEnd = Math.min(text.length, to + a.maxLength - 1);
    if (isLow(text, sliceEnd)) sliceEnd++;
    for (const m of a.search(text, from, sliceEnd, to)) out.push(m);
    from = to;
  }
  return out;
}

/** A span of the normalised text and the category it belongs to. */
interface Span {
  start: number;
  end: number;
  category: number;
}

/** Indices of `spans` in order of `start` (stable), by counting sort over the positions `0..n`: linear. */
function orderByStart(spans: readonly Span[], n: number): Int32Array {
  const first = new Int32Array(n + 2);
  for (const s of spans) first[s.start + 1]++;
  for (let p = 1; p < first.length; p++) first[p] += first[p - 1];
  const order = new Int32Array(spans.length);
  spans.forEach((s, i) => {
    order[first[s.start]++] = i;
  });
  return order;
}

/**
 * For each hit, whether an allow span of its category contains it. One sweep over both lists in start order, keeping
 * per category the furthest end of the allow spans started so far: a hit is inside one of them exactly when that end
 * reaches the hit's end. Linear in the text length plus the number of spans.
 */
function insideAllowed(hits: readonly Span[], allowed: readonly Span[], n: number, categories: number): boolean[] {
  const inside = new Array<boolean>(hits.length).fill(false);
  if (allowed.length === 0) return inside;
  const furthest = new Float64Array(categories).fill(-1);
  const allowOrder = orderByStart(allowed, n);
  let a = 0;
  for (const h of orderByStart(hits, n)) {
    const hit = hits[h];
    for (; a < allowOrder.length && allowed[allowOrder[a]].start <= hit.start; a++) {
      const span = allowed[allowOrder[a]];
      furthest[span.category] = Math.max(furthest[span.category], span.end);
    }
    inside[h] = furthest[hit.category] >= hit.end;
  }
  return inside;
}

/** The multi-category keyword filter. Build once, reuse for many texts. */
export class KeywordFilter {
  readonly categories: readonly KeywordCategory[];
  readonly #opts: z.output<typeof KeywordFilterOptionsSchema>;
  readonly #terms: AhoCorasick<Entry> | null;
  readonly #compactTerms: AhoCorasick<Entry> | null;
  readonly #allow: AhoCorasick<number> | null;

  constructor(lists: KeywordListInput | readonly KeywordListInput[], options: KeywordFilterOptions = {}) {
    this.#opts = KeywordFilterOptionsSchema.parse(options);
    const all = (Array.isArray(lists) ? lists : [lists]) as KeywordListInput[];
    const categories: KeywordCategory[] = [];
    const seen = new Set<string>();
    all.forEach((l, k) => {
      for (const c of parseKeywordList(l, `keyword list #${k}`).categories) {
        if (seen.has(c.id)) throw new SafetyError('invalid', `KeywordFilter: category '${c.id}' is defined twice`);
        seen.add(c.id);
        categories.push(c);
      }
    });
    this.categories = categories;
    const norm = (s: string, what: string) => {
      // A lone surrogate would match half of a character's surrogate pair.
      if (/\p{Cs}/u.test(s))
        throw new SafetyError('invalid', `KeywordFilter: ${what} ${JSON.stringify(s)} has a lone surrogate`);
      return normalizeForMatching(s, this.#opts.normalize).text.trim();
    };
    const terms: { pattern: string; data: Entry }[] = [];
    const compactTerms: { pattern: string; data: Entry }[] = [];
    const allow: { pattern: string; data: number }[] = [];
    categories.forEach((c, ci) => {
      for (const term of c.terms) {
        const n = norm(term, `term of '${c.id}'`);
        if (!n)
          throw new SafetyError(
            'invalid',
            `KeywordFilter: term ${JSON.stringify(term)} of '${c.id}' is empty after normalisation`,
          );
        const data = { category: ci, term, wholeWord: c.wholeWord };
        terms.push({ pattern: n, data });
        const cn = [...n].filter((ch) => WORD_CHAR.test(ch)).join('');
        if (cn) compactTerms.push({ pattern: cn, data });
      }
      for (const phrase of c.allow) {
        const n = norm(phrase, `allow phrase of '${c.id}'`);
        if (n) allow.push({ pattern: n, data: ci });
      }
    });
    this.#terms = automaton(terms);
    this.#compactTerms = automaton(compactTerms);
    this.#allow = automaton(allow);
  }

  /** Build a filter from keyword list files (.json / .yaml / .yml). */
  static async fromFiles(paths: readonly string[], options: KeywordFilterOptions = {}): Promise<KeywordFilter> {
    return new KeywordFilter(await Promise.all(paths.map(loadKeywordList)), options);
  }

  /** Find every keyword hit in `text`. */
  check(text: string): KeywordResult {
    if (typeof text !== 'string')
      throw new SafetyError('invalid', `KeywordFilter.check: text must be a string, got ${typeof text}`);
    const n = normalizeForMatching(text, this.#opts.normalize);
    const chunk = this.#opts.chunkSize;
    const allowed: Span[] = this.#allow
      ? searchChunked(this.#allow, n.text, chunk).map((m) => ({ start: m.start, end: m.end, category: m.data }))
      : [];
    const boundaryOk = (e: Entry, s: number, end: number) => {
      if (!e.wholeWord) return true;
      const before = n.text[s - 1];
      const after = n.text[end];
      const okLeft = before === undefined || !isWordChar(before) || isUnspaced(before) || isUnspaced(n.text[s]);
      const okRight = after === undefined || !isWordChar(after) || isUnspaced(after) || isUnspaced(n.text[end - 1]);
      return okLeft && okRight;
    };
    // Candidates in the order the passes find them (normalised first), so the first of duplicates wins as before.
    const found: (Span & { entry: Entry; via: KeywordHit['via'] })[] = [];
    const consider = (entry: Entry, start: number, end: number, via: KeywordHit['via']) => {
      if (boundaryOk(entry, start, end)) found.push({ start, end, category: entry.category, entry, via });
    };
    if (this.#terms)
      for (const m of searchChunked(this.#terms, n.text, chunk)) consider(m.data, m.start, m.end, 'normalized');
    if (this.#opts.matchSeparated && this.#compactTerms) {
      const c = compact(n);
      for (const m of searchChunked(this.#compactTerms, c.text, chunk)) {
        const s = c.origin[m.start];
        const end = c.origin[m.end - 1] + 1;
        if (end - s === m.end - m.start) continue; // no separators inside: the normalised pass decided it
        if (!spelledApart(n.text, s, end)) continue;
        consider(m.data, s, end, 'separated');
      }
    }
    const allowedHit = insideAllowed(found, allowed, n.text.length, this.categories.length);
    const hits = new Map<string, KeywordHit>();
    found.forEach((f, k) => {
      if (allowedHit[k]) return;
      const start = n.origin[f.start];
      const last = n.origin[f.end - 1];
      // end of the original span: past the last source code point that produced the hit
      const stop = last + (text.codePointAt(last)! > 0xffff ? 2 : 1);
      const key = `${f.category}\u0000${f.entry.term}\u0000${start}`;
      if (hits.has(key)) return;
      const matched = text.slice(start, stop);
      const c = this.categories[f.category];
      hits.set(key, {
        category: c.id,
        action: c.action,
        term: f.entry.term,
        matched,
        start,
        end: stop,
        obfuscated: matched.toLowerCase() !== f.entry.term.toLowerCase(),
        via: f.via,
      });
    });
    const list = [...hits.values()].sort((a, b) => a.start - b.start || a.category.localeCompare(b.category));
    const hitCategories = new Set(list.map((h) => h.category));
    const categories = this.categories.map((c) => c.id).filter((id) => hitCategories.has(id));
    const action = list.some((h) => h.action === 'block') ? 'block' : list.length ? 'review' : 'none';
    return { hits: list, categories, action };
  }
}

/**
 * A span with separators inside counts as a spelled-apart term when its separators are punctuation/symbols
 * ("b.o.m.b", "b-o-m-b") or its space-separated pieces are at most two characters ("b o m b", "bo mb"), not when
 * whole words happen to run together ("the rapist").
 */
function spelledApart(text: string, start: number, end: number): boolean {
  let spaced = false;
  let short = true; // every space-separated piece so far has at most two letters/digits
  let letters = 0; // letters and digits in the current piece
  for (let i = start; i < end; ) {
    const code = text.codePointAt(i)!;
    const width = code > 0xffff ? 2 : 1;
    if (code === 0x20) {
      spaced = true;
      short &&= letters <= 2;
      letters = 0;
    } else if (isWordChar(text.slice(i, i + width))) letters++;
    i += width;
  }
  return !spaced || (short && letters <= 2);
}
