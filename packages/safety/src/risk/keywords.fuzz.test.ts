/**
 * Fuzz tests (fast-check, fixed seed, bounded runs and time) of the keyword filter: on random short texts built from
 * terms, allow phrases, leet characters, separators, invisible characters and marks, `check` never throws and
 * reports exactly the hits of a naive reference (substring search at every position, every hit compared with every
 * allow span: the definition the linear implementation must keep), for several chunk sizes. Leaves out: the
 * normaliser's own properties (text/normalize.fuzz.test.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isUnspaced, normalizeForMatching, WORD_CHAR } from '../text/normalize.js';
import { type KeywordCategory, KeywordFilter, type KeywordListInput } from './keywords.js';

const RUN = { seed: 12, numRuns: 300, plugins: [fc.interruptAfterTimeLimit(5000)] };

const list: KeywordListInput = {
  categories: [
    { id: 'w', action: 'block', terms: ['bomb', 'b0', 'a a'] },
    { id: 'v', terms: ['kill', '违禁词', 'aa'], allow: ['kill the process', 'kill -9', 'aaa'] },
    { id: 'x', terms: ['fake invoice', 'ki', 'aa'], allow: ['a aa'], wholeWord: false },
  ],
};

const occurrences = (text: string, p: string) => {
  const out: number[] = [];
  for (let i = 0; i + p.length <= text.length; i++) if (text.startsWith(p, i)) out.push(i);
  return out;
};

/** The filter's definition, written the slow and obvious way. */
function reference(categories: readonly KeywordCategory[], text: string): string[] {
  const norm = (s: string) => normalizeForMatching(s).text.trim();
  const n = normalizeForMatching(text);
  const allowed: [number, number, number][] = [];
  categories.forEach((c, ci) => {
    for (const a of c.allow) for (const s of occurrences(n.text, norm(a))) allowed.push([ci, s, s + norm(a).length]);
  });
  const boundary = (s: number, e: number) => {
    const before = n.text[s - 1];
    const after = n.text[e];
    const left = before === undefined || !WORD_CHAR.test(before) || isUnspaced(before) || isUnspaced(n.text[s]);
    const right = after === undefined || !WORD_CHAR.test(after) || isUnspaced(after) || isUnspaced(n.text[e - 1]);
    return left && right;
  };
  const hits = new Map<string, string>();
  const add = (ci: number, term: string, s: number, e: number, via: string) => {
    if (categories[ci].wholeWord && !boundary(s, e)) return;
    if (allowed.some(([c, as, ae]) => c === ci && as <= s && e <= ae)) return;
    const start = n.origin[s];
    const last = n.origin[e - 1];
    const stop = last + (text.codePointAt(last)! > 0xffff ? 2 : 1);
    const key = `${ci}|${term}|${start}`;
    if (!hits.has(key)) hits.set(key, `${categories[ci].id}|${term}|${start}|${stop}|${via}`);
  };
  categories.forEach((c, ci) => {
    for (const t of c.terms)
      for (const s of occurrences(n.text, norm(t))) add(ci, t, s, s + norm(t).length, 'normalized');
  });
  const letters = [...n.text].map((ch, k) => ({ ch, at: [...n.text].slice(0, k).join('').length }));
  const kept = letters.filter((l) => WORD_CHAR.test(l.ch));
  const compact = kept.map((l) => l.ch).join('');
  const origin = kept.flatMap((l) => [...l.ch].map((_, u) => l.at + u));
  categories.forEach((c, ci) => {
    for (const t of c.terms) {
      const ct = [...norm(t)].filter((ch) => WORD_CHAR.test(ch)).join('');
      if (!ct) continue;
      for (const i of occurrences(compact, ct)) {
        const s = origin[i];
        const e = origin[i + ct.length - 1] + 1;
        if (e - s === ct.length) continue;
        const span = n.text.slice(s, e);
        const apart =
          !span.includes(' ') ||
          span.split(' ').every((piece) => [...piece].filter((ch) => WORD_CHAR.test(ch)).length <= 2);
        if (apart) add(ci, t, s, e, 'separated');
      }
    }
  });
  return [...hits.values()].sort();
}

const PIECES = [
  'bomb',
  'kill',
  'kill the process',
  'kill -9',
  'aa',
  'a',
  ' ',
  '  ',
  '.',
  '-',
  'b',
  'o',
  'm',
  'k',
  'i',
  'l',
  '0',
  '1',
  '3',
  '9',
  '$',
  '@',
  '\u200b',
  '\u0301',
  '\u0489',
  'В',
  'ｂ',
  '😀',
  '违',
  '禁',
  '词',
  'fake',
  'invoice',
  'ß',
  '\n',
  'x',
  '\ud83d',
];
const text = fc.array(fc.constantFrom(...PIECES), { maxLength: 30 }).map((p) => p.join(''));

describe('KeywordFilter (fuzz)', () => {
  const filters = [1, 3, 8, 4096].map((chunkSize) => new KeywordFilter(list, { chunkSize }));

  it('reports exactly the hits of a naive reference, whatever the chunk size', () => {
    let withHits = 0; // the property must not hold only vacuously
    fc.assert(
      fc.property(text, fc.constantFrom(...filters), (t, filter) => {
        const got = filter
          .check(t)
          .hits.map((h) => `${h.category}|${h.term}|${h.start}|${h.end}|${h.via}`)
          .sort();
        expect(got).toEqual(reference(filter.categories, t));
        if (got.length > 0) withHits++;
      }),
      RUN,
    );
    expect(withHits).toBeGreaterThan(50);
  });

  it('never throws on any string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), text), (t) => {
        const r = filters[1].check(t);
        for (const h of r.hits) expect(t.slice(h.start, h.end)).toBe(h.matched);
      }),
      RUN,
    );
  });
});
