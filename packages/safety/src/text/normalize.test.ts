/**
 * Tests of the text normaliser: each fold on a probe, the origin map, the options, and that a long adversarial input
 * (runs of leet characters) is normalised in linear time. Leaves out random inputs (normalize.fuzz.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { withinLinearBudget } from './__fixtures__/linear-budget.js';
import { normalizeForMatching } from './normalize.js';

describe('normalizeForMatching', () => {
  it.each([
    ['full-width letters (NFKC)', 'ＢＯＭＢ', 'bomb'],
    ['mathematical bold letters (NFKC)', '𝐛𝐨𝐦𝐛', 'bomb'],
    ['zero-width space, joiner, soft hyphen, BOM', 'b\u200bo\u200dm\u00adb\ufeff', 'bomb'],
    ['combining accents and Zalgo stacking', 'b\u0301o\u0336\u0337m\u0308b', 'bomb'],
    ['precomposed accents', 'bömb', 'bomb'],
    ['Cyrillic look-alikes', 'ВОМВ', 'bomb'],
    ['Greek look-alikes (capitals)', 'ΒΟΜΒ', 'bomb'],
    ['leet digits next to letters', 'b0mb', 'bomb'],
    ['whitespace runs collapse', 'a \t\n b', 'a b'],
    ['numbers without letters stay numbers', 'in 2024 at 10:30', 'in 2024 at 10:30'],
    ['ß folds to ss', 'STRAßE', 'strasse'],
    ['a leet run touching a letter on the left maps whole', 'b00 x', 'boo x'],
    ['a leet run touching a letter on the right maps whole', '$4f3', 'safe'],
    ['a leet run between non-letters stays', '(1337)', '(1337)'],
  ])('%s', (_why, input, expected) => {
    expect(normalizeForMatching(input).text).toBe(expected);
  });

  it('maps every output unit back to its source index', () => {
    const src = 'x\u200b😀Ｂ';
    const n = normalizeForMatching(src);
    expect(n.text).toBe('x😀b');
    expect(n.origin).toEqual([0, 2, 2, 4]);
  });

  it('each fold can be switched off', () => {
    expect(normalizeForMatching('B0MB', { caseFold: false, leet: false }).text).toBe('B0MB');
    expect(normalizeForMatching('вомв', { lookalikes: false }).text).toBe('вомв');
    expect(normalizeForMatching('bömb', { stripMarks: false }).text).toBe('bömb');
  });

  // Regression (issue 12): each leet character re-scanned its whole run, so 100 kB of digits took 72 s.
  it.each([
    ['digits only', (n: number) => '1'.repeat(n)],
    ['one leet run between letters', (n: number) => `a${'0134'.repeat(n / 4)}b`],
    ['leet runs between words', (n: number) => 'ab 00000000000000 '.repeat(n / 18)],
  ])(
    'normalises 1 MB of %s in linear time',
    (_name, make) => {
      const out = withinLinearBudget(make, (text) => normalizeForMatching(text), 20_000);
      expect(out.text.length).toBeGreaterThan(900_000);
      expect(out.origin).toHaveLength(out.text.length);
    },
    120_000,
  );
});
