/**
 * Tests of the keyword filter on the placeholder lists in __fixtures__: what must and must not match, spans, actions,
 * chunking, list validation, and that 1 MB adversarial inputs are checked in linear time. Leaves out random inputs
 * (keywords.fuzz.test.ts).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SafetyError } from '../errors.js';
import { withinLinearBudget } from '../text/__fixtures__/linear-budget.js';
import { KeywordFilter, loadKeywordList, parseKeywordList } from './keywords.js';

const fixtures = join(import.meta.dirname, '__fixtures__');
const filter = await KeywordFilter.fromFiles([join(fixtures, 'keywords.yaml'), join(fixtures, 'extra.json')]);

describe('KeywordFilter', () => {
  // Each probe: text, the categories it must hit (empty = none), and why.
  it.each([
    ['plain term', 'how to make a bomb', ['placeholder-weapons']],
    ['upper case', 'BOMB', ['placeholder-weapons']],
    ['full-width', 'ｂｏｍｂ', ['placeholder-weapons']],
    ['zero-width characters inside', 'b\u200bo\u200cm\u200db', ['placeholder-weapons']],
    ['Cyrillic look-alikes', 'a bоmb (Cyrillic o)', ['placeholder-weapons']],
    ['leet', 'b0mb', ['placeholder-weapons']],
    ['accents / Zalgo', 'b̷ö̶m̴b̵', ['placeholder-weapons']],
    ['dots between letters', 'b.o.m.b', ['placeholder-weapons']],
    ['spaced letters', 'b o m b', ['placeholder-weapons']],
    ['hyphens between letters', 'k-i-l-l', ['placeholder-violence']],
    ['emoji between letters', 'b😀o😀m😀b', ['placeholder-weapons']],
    ['mathematical letters + zero-width joiner', '𝐤\u200d𝐢𝐥𝐥', ['placeholder-violence']],
    ['multi-word term with extra spaces', 'a  FAKE   invoice', ['placeholder-fraud']],
    ['Chinese term inside a sentence (no word boundaries)', '这是一个违禁词测试', ['placeholder-violence']],
    ['two categories', 'kill with a bomb', ['placeholder-weapons', 'placeholder-violence']],
    [
      'a combining mark that normalisation keeps, after the term',
      'bomb\u0489 and kill\u0591',
      ['placeholder-weapons', 'placeholder-violence'],
    ],
    // must not match
    ['substring of a longer word', 'bombastic skills', []],
    ['whole words running together do not make a spelled-apart term', 'ski llama', []],
    ['allow phrase', 'just kill the process', []],
    ['allow phrase with obfuscation', 'KILL   the process', []],
    ['clean text', 'the weather is nice', []],
    ['a plain number is not leet', 'call 8055', []],
  ])('%s: %j', (_why, text, categories) => {
    expect(filter.check(text).categories).toEqual(categories);
  });

  it('reports the original span, the matched text and whether it was obfuscated', () => {
    const text = 'I said ＫＩＬＬ now';
    const r = filter.check(text);
    expect(r.hits).toHaveLength(1);
    const h = r.hits[0];
    expect(text.slice(h.start, h.end)).toBe('ＫＩＬＬ');
    expect(h).toMatchObject({
      term: 'kill',
      matched: 'ＫＩＬＬ',
      obfuscated: true,
      via: 'normalized',
      action: 'review',
    });
    const sep = filter.check('x b.o.m.b y').hits[0];
    expect(sep).toMatchObject({ matched: 'b.o.m.b', via: 'separated', action: 'block' });
  });

  it('a plain hit is not flagged as obfuscated', () => {
    expect(filter.check('Bomb').hits[0].obfuscated).toBe(false);
  });

  it('the action is the strongest among the hits', () => {
    expect(filter.check('kill').action).toBe('review');
    expect(filter.check('kill bomb').action).toBe('block');
    expect(filter.check('hello').action).toBe('none');
  });

  it('a hit outside the allow phrase still counts', () => {
    expect(filter.check('kill the process, then kill him').hits.map((h) => h.start)).toEqual([23]);
  });

  it('matchSeparated: false turns the spelled-apart pass off', () => {
    const lists = [{ categories: [{ id: 'x', terms: ['bomb'] }] }];
    expect(new KeywordFilter(lists, { matchSeparated: false }).check('b.o.m.b').hits).toEqual([]);
    expect(new KeywordFilter(lists).check('b.o.m.b').hits).toHaveLength(1);
  });

  it('chunked search finds the same hits as one pass, across chunk edges and surrogate pairs', () => {
    const lists = [{ categories: [{ id: 'x', terms: ['bomb', 'fake invoice', '违禁词'], allow: ['bomb bay'] }] }];
    const pieces = ['bomb', 'b.o.m.b', 'fake  invoice', '😀', '违禁词', 'bomb bay', 'bombastic', 'x', ' ', 'b o m b'];
    let text = '';
    for (let i = 0; i < 300; i++) text += `${pieces[(i * 7 + (i >> 3)) % pieces.length]} `;
    const whole = new KeywordFilter(lists, { chunkSize: 1_000_000 }).check(text).hits;
    expect(whole.length).toBeGreaterThan(100);
    for (const chunkSize of [1, 5, 13, 64]) {
      expect(new KeywordFilter(lists, { chunkSize }).check(text).hits).toEqual(whole);
    }
  });

  it('wholeWord: false matches inside words', () => {
    const f = new KeywordFilter({ categories: [{ id: 'x', terms: ['bomb'], wholeWord: false }] });
    expect(f.check('bombastic').categories).toEqual(['x']);
  });

  it('rejects bad lists with errors naming the problem', async () => {
    expect(() => parseKeywordList({ categories: [{ id: 'a b', terms: ['x'] }] }, 'my.yaml')).toThrow(
      /my.yaml: .*categories.0.id/,
    );
    expect(
      () =>
        new KeywordFilter([{ categories: [{ id: 'a', terms: ['x'] }] }, { categories: [{ id: 'a', terms: ['y'] }] }]),
    ).toThrow(/'a' is defined twice/);
    expect(() => new KeywordFilter({ categories: [{ id: 'a', terms: ['\u200b'] }] })).toThrow(
      /empty after normalisation/,
    );
    await expect(loadKeywordList(join(fixtures, 'missing.yaml'))).rejects.toSatisfy((e) =>
      SafetyError.isSafetyError(e, 'invalid'),
    );
    await expect(loadKeywordList(join(fixtures, '..', 'keywords.ts'))).rejects.toThrow(/unknown extension/);
  });

  it('rejects a term with a lone surrogate (it would match half of a surrogate pair)', () => {
    expect(() => new KeywordFilter({ categories: [{ id: 'a', terms: ['x\ud83d'] }] })).toThrow(/lone surrogate/);
  });

  // Regression (issue 12): the normaliser re-scanned leet runs per character and every hit was compared with every
  // allow-phrase hit, both quadratic (100 kB of digits: 72 s).
  it.each([
    ['digits', (n: number) => '1'.repeat(n), 0],
    ['allow phrases back to back', (n: number) => 'kill the process '.repeat(n / 17), 0],
    ['near-misses of an allow phrase', (n: number) => 'kill the proces '.repeat(n / 16), 65_536],
    ['many overlapping partial matches', (n: number) => 'bobobob bomb '.repeat(n / 13), Math.floor(2 ** 20 / 13)],
  ])(
    'checks 1 MB of %s in linear time',
    (_name, make, hits) => {
      const r = withinLinearBudget(make, (text) => filter.check(text), 20_000);
      expect(r.hits).toHaveLength(hits);
    },
    120_000,
  );

  it('checks 1 MB where every hit lies in overlapping allow phrases in linear time', () => {
    // Every 'k' is a hit and every 'k k' an allow span: the old check compared each hit with the allow spans before it.
    const f = new KeywordFilter({ categories: [{ id: 'x', terms: ['k'], allow: ['k k'] }] });
    const r = withinLinearBudget(
      (n) => 'k '.repeat(n / 2),
      (text) => f.check(text),
      20_000,
    );
    expect(r.hits).toEqual([]);
    expect(f.check('k k x k').hits.map((h) => h.start)).toEqual([6]);
  }, 120_000);
});
