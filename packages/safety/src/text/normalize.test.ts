import { describe, expect, it } from 'vitest';
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
});
