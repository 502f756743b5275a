/**
 * Fuzz tests (fast-check, fixed seed, bounded runs and time) of the text normaliser and the Aho–Corasick automaton:
 * random Unicode, lone surrogates and adversarial mixes of leet characters, zero-width characters and combining marks
 * never make the normaliser throw, its output stays within 18 UTF-16 units per input unit (U+FDFA, the longest NFKC
 * expansion) with a valid origin map; the automaton reports exactly the occurrences a naive search finds. Leaves out:
 * the keyword filter as a whole (risk/keywords.fuzz.test.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AhoCorasick } from './aho-corasick.js';
import { normalizeForMatching } from './normalize.js';

const RUN = { seed: 12, numRuns: 400, plugins: [fc.interruptAfterTimeLimit(4000)] };

/** Pieces an attacker would mix: leet, invisible characters, marks, look-alikes, wide characters, emoji, CJK. */
const PIECES = [
  'b',
  'o',
  'm',
  'K',
  'i',
  'l',
  '0',
  '1',
  '3',
  '4',
  '5',
  '7',
  '@',
  '$',
  ' ',
  '\t',
  '\n',
  '.',
  '-',
  '\u200b',
  '\u200c',
  '\u200d',
  '\u00ad',
  '\ufeff',
  '\ufe0f',
  '\u0301',
  '\u0336',
  '\u0489',
  '\u0591',
  'о',
  'В',
  'ο',
  'ｂ',
  '𝐛',
  'ß',
  'ς',
  '\ufdfa',
  '😀',
  '违',
  '禁',
  '词',
  '\ud83d',
  '\ude00',
  '\u0000',
];
const adversarial = fc.array(fc.constantFrom(...PIECES), { maxLength: 60 }).map((p) => p.join(''));
/** Any UTF-16 code units, lone surrogates included. */
const codeUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) });
const anyText = fc.oneof(adversarial, codeUnits, fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }));
const options = fc.record({
  caseFold: fc.boolean(),
  stripMarks: fc.boolean(),
  lookalikes: fc.boolean(),
  leet: fc.boolean(),
});

describe('normalizeForMatching (fuzz)', () => {
  it('never throws, stays within 18 units per input unit and maps every output unit to a source index', () => {
    fc.assert(
      fc.property(anyText, options, (text, opts) => {
        const n = normalizeForMatching(text, opts);
        expect(n.text.length).toBeLessThanOrEqual(18 * text.length);
        expect(n.origin).toHaveLength(n.text.length);
        for (let k = 0; k < n.origin.length; k++) {
          expect(n.origin[k]).toBeGreaterThanOrEqual(k === 0 ? 0 : n.origin[k - 1]);
          expect(n.origin[k]).toBeLessThan(text.length);
        }
        expect(n.text).not.toMatch(/\u200b|\u200d|\ufeff| {2}/u);
      }),
      RUN,
    );
  });
});

describe('AhoCorasick (fuzz)', () => {
  const naive = (patterns: string[], text: string) => {
    const out: string[] = [];
    patterns.forEach((p, id) => {
      for (let i = 0; i + p.length <= text.length; i++)
        if (text.startsWith(p, i)) out.push(`${i}:${i + p.length}:${id}`);
    });
    return out.sort();
  };
  // A small alphabet, so patterns overlap and share prefixes and suffixes.
  const small = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '😀', '\u0301'), minLength: 0, maxLength: 40 });
  const pattern = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '😀', '\u0301'), minLength: 1, maxLength: 5 });

  it('finds exactly the occurrences of a naive search, in order of end, in any window', () => {
    fc.assert(
      fc.property(fc.array(pattern, { minLength: 1, maxLength: 8 }), small, fc.nat(), fc.nat(), (ps, text, a, b) => {
        const ac = new AhoCorasick(ps.map((p, id) => ({ pattern: p, data: id })));
        const all = ac.search(text);
        expect(all.map((m) => `${m.start}:${m.end}:${m.data}`).sort()).toEqual(naive(ps, text));
        for (let k = 1; k < all.length; k++) expect(all[k].end).toBeGreaterThanOrEqual(all[k - 1].end);
        const from = a % (text.length + 1);
        const to = from + (b % (text.length - from + 1));
        const window = ac.search(text, from, to).map((m) => `${m.start - from}:${m.end - from}:${m.data}`);
        expect(window.sort()).toEqual(naive(ps, text.slice(from, to)));
      }),
      RUN,
    );
  });

  it('rejects an empty pattern', () => {
    expect(() => new AhoCorasick([{ pattern: '', data: 0 }])).toThrow(/patterns\[0\] must be a non-empty string/);
  });
});
