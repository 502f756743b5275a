// Gopher and C4 rules, one case per rule with the text that trips it and a clean text that passes them all; the
// quality step's language restriction; language identification (franc-min) on a few languages and short text.
// Leaves out: agreement with the papers' reference implementations on real web text (no such corpus here).
import { describe, expect, it } from 'vitest';
import type { DataRecord } from '../record.js';
import { C4Schema, c4Clean } from './c4.js';
import { gopherCheck } from './gopher.js';
import { languageStep, supportedLanguages } from './language.js';
import { qualityStep } from './step.js';

const GOOD = [
  'The river runs through the old town and past the market, where farmers sell bread and cheese every morning.',
  'Children walk to school along the bank, and their parents often stop to talk with friends near the bridge.',
  'In the evening the light turns gold, and the water reflects the towers of the church that has stood for centuries.',
  'Visitors come from far away to see it, but most of them leave before the quiet hour that locals love the most.',
  'It is a place that rewards patience with small surprises, and the people who live there know that well.',
].join('\n');

const rec = (text: string, lang?: string): DataRecord => ({
  id: 'r',
  source: { file: 'f' },
  text,
  fields: {},
  tags: [],
  lang,
});

describe('gopher', () => {
  it('passes a clean English text', () => {
    expect(gopherCheck(GOOD)).toBeNull();
  });
  const words = (n: number, w = 'word') => Array.from({ length: n }, (_, i) => `${w}${i}`).join(' ');
  it.each([
    ['too few words', 'The cat sat on the mat with the dog.', 'gopher:too-few-words'],
    ['mean word length', `${'a b c d e '.repeat(12)} the and`, 'gopher:mean-word-length'],
    ['symbols', `${GOOD} ${'# '.repeat(20)}`, 'gopher:symbol-word-ratio'],
    [
      'bullets',
      Array.from({ length: 12 }, (_, i) => `- the item number ${i} of the list and more`).join('\n'),
      'gopher:bullet-lines',
    ],
    [
      'ellipsis',
      Array.from({ length: 12 }, (_, i) => `the story number ${i} goes on and on with the rest...`).join('\n'),
      'gopher:ellipsis-lines',
    ],
    ['no stop words', words(60, 'token'), 'gopher:stop-words'],
    [
      'alpha words',
      `${Array.from({ length: 40 }, (_, i) => String(1000 + i)).join(' ')} the and of ${words(15)}`,
      'gopher:alpha-words',
    ],
    [
      'duplicate lines',
      `${GOOD}\n${'Buy now and save with the best deals of the year.\n'.repeat(6)}`,
      'gopher:duplicate-lines',
    ],
    ['top 2-gram', `${'the cat and '.repeat(40)}${words(30)}`, 'gopher:top-2gram'],
    ['duplicate 5-grams', `${GOOD} ${GOOD.split('\n').slice(0, 3).join(' ')}`, 'gopher:duplicate-5grams'],
  ])('%s', (_name, text, reason) => {
    expect(gopherCheck(text)).toBe(reason);
  });
  it('thresholds come from the config', () => {
    expect(gopherCheck('The cat sat on the mat with the dog.', { minWords: 5 })).toBeNull();
  });
});

describe('c4', () => {
  const o = C4Schema.parse({});
  it('keeps terminal-punctuation lines, strips citations and boilerplate lines', () => {
    const page = `${GOOD.split('\n').join('\n')}\nMenu Home About\nPlease enable JavaScript to view the comments.\nThis site uses cookies.\nThe bridge was built in 1820.[3]`;
    const r = c4Clean(page, o);
    expect(r).toEqual({ text: `${GOOD}\nThe bridge was built in 1820.` });
  });
  it.each([
    ['Lorem ipsum dolor sit amet.', 'c4:lorem-ipsum'],
    [`${GOOD}\nfunction f() { return 1; }`, 'c4:curly-brace'],
    ['One sentence here. Two sentences here. Three.', 'c4:too-few-sentences'],
  ])('drops %s', (text, reason) => {
    expect(c4Clean(text, o)).toEqual({ drop: reason });
  });
});

describe('quality step', () => {
  it('drops junk, edits pages C4 trims, skips languages it is not for', () => {
    const step = qualityStep({ languages: ['eng'] });
    expect(step.process(rec(GOOD, 'eng'))).toEqual({ action: 'keep' });
    const trimmed = rec(`${GOOD}\nShare on Facebook`, 'eng');
    expect(step.process(trimmed)).toEqual({ action: 'edit' });
    expect(trimmed.text).toBe(GOOD);
    expect(step.process(rec('click here', 'eng'))).toEqual({ action: 'drop', reason: 'c4:too-few-sentences' });
    expect(step.process(rec('短文本。', 'cmn'))).toEqual({ action: 'keep' });
    expect(() => step.process(rec('no language step ran'))).toThrow(/no language step ran before it/);
    expect(() => qualityStep({ gopher: false, c4: false })).toThrow(/both false/);
  });
});

describe('language step', () => {
  it('detects, drops outside keep, and says und for short text', async () => {
    const step = await languageStep({ keep: ['eng', 'cmn'] });
    const cases: [string, string | null][] = [
      [GOOD, null],
      ['北京是中华人民共和国的首都，也是全国的政治中心和文化中心，有着三千多年的建城史。', null],
      [
        'La rivière traverse la vieille ville et passe devant le marché, où les paysans vendent du pain.',
        'language:fra',
      ],
      [
        'Der Fluss fließt durch die Altstadt und am Markt vorbei, wo die Bauern jeden Morgen Brot verkaufen.',
        'language:deu',
      ],
      ['ok', 'language:und'],
    ];
    const langs: string[] = [];
    for (const [text, reason] of cases) {
      const r = rec(text);
      const out = await step.process(r);
      langs.push(r.lang ?? '');
      expect(out).toEqual(reason ? { action: 'drop', reason } : { action: 'keep' });
    }
    expect(langs).toEqual(['eng', 'cmn', 'fra', 'deu', 'und']);
    expect(step.report?.()).toEqual({ detected: { eng: 1, cmn: 1, fra: 1, deu: 1, und: 1 } });
  });
  it('refuses language codes the detector never returns', async () => {
    await expect(languageStep({ keep: ['eng', 'xxx'] })).rejects.toThrow(
      /language\.keep: 'xxx' is not a language franc-min detects/,
    );
    await expect(languageStep({ only: ['zho'] })).rejects.toThrow(/language\.only: 'zho'/);
    expect((await supportedLanguages()).has('cmn')).toBe(true);
  });
});
