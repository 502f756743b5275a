// Table tests for the equivalence rules (rounding, overflow, percent, multisets, probing, relations) and parser bounds.
import { describe, expect, it } from 'vitest';
import { equalNodes } from './equivalence.js';
import { MAX_DEPTH, MathParseError, parseAnswer } from './parse.js';

const eq = (a: string, b: string): boolean => equalNodes(parseAnswer(a), parseAnswer(b));

describe('equivalence rules', () => {
  const table: [gold: string, answer: string, expected: boolean, reason: string][] = [
    ['\\frac{1}{3}', '0.3333333333', true, 'rounded decimal of a non-terminating value'],
    ['\\frac{1}{3}', '0.3333', true, '4 significant digits'],
    ['\\frac{1}{4}', '0.2500001', false, 'a terminating value needs the exact decimal'],
    ['0.333', '\\frac{1}{3}', true, 'rounded gold against the exact value'],
    ['0.3', '\\frac{1}{3}', false, 'a 1-digit gold is exact, not rounded'],
    ['10^{10^{10}}', '10^{10^{10}}', true, 'identical huge powers'],
    ['10^{10^{10}}', '10^{10^{10}} + 1', false, 'two overflowing values never compare equal'],
    ['2^{4096}', '2^{4096}+1', false, 'exact big integers up to the cap'],
    ['2^{1000}', '\\sqrt{4^{1000}}', true, 'exact square root of a 2000-bit perfect square'],
    ['2^{1000} + 1', '\\sqrt{4^{1000}}', false, 'and it is exact'],
    ['1', '0.\\overline{9}', true, 'repeating decimal'],
    ['2^5', '2⁵', true, 'superscript digits are a power'],
    ['25', '2⁵', false, 'superscript digits are not appended digits'],
    ['\\frac{5}{2}', '2½', true, 'vulgar fraction after an integer is a mixed number'],
    ['0.5', '0.5\\%', false, 'a percent sign on the answer does not make 0.5% equal 0.5'],
    ['0.75', '75\\%', true, 'percent of a fraction'],
    ['50', '50\\%', true, 'percent sign added to a percent answer'],
    [
      '\\{1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,2\\}',
      '\\{1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,3\\}',
      false,
      'multiset',
    ],
    ['\\{1, 2\\}', '\\{1, 2, 2\\}', false, 'sizes differ'],
    ['x', '\\sqrt{x^2}', false, 'probing uses negative points'],
    ['x + y', 'y + x', true, 'commutative'],
    ['x - y', 'y - x', false, 'antisymmetric'],
    ['odd', 'dod', false, 'three-letter runs are words, not products'],
    ['xy', 'yx', true, 'two-letter runs are products'],
    ['[1, 2)', '[1, 2)', true, 'interval'],
    ['[1, 2)', '(1, 2]', false, 'brackets'],
    ['y = 2x', '2x = y', true, 'mirrored equation'],
    ['x < 3', '3 > x', true, 'mirrored inequality'],
    ['x < 3', 'x \\le 3', false, 'strictness'],
  ];
  for (const [gold, answer, expected, reason] of table) {
    it(`${reason}: ${gold} vs ${answer}`, () => {
      expect(eq(gold, answer)).toBe(expected);
    });
  }
});

describe('parser bounds', () => {
  it('rejects nesting deeper than the cap', () => {
    const deep = `${'('.repeat(MAX_DEPTH + 5)}1${')'.repeat(MAX_DEPTH + 5)}`;
    expect(() => parseAnswer(deep)).toThrow(MathParseError);
  });
  it('rejects absurd literal exponents', () => {
    expect(() => parseAnswer('1e999999')).toThrow(MathParseError);
  });
  it('reads a 600-digit integer exactly', () => {
    const big = '7'.repeat(600);
    expect(equalNodes(parseAnswer(big), parseAnswer(big))).toBe(true);
    expect(equalNodes(parseAnswer(big), parseAnswer(`${'7'.repeat(599)}8`))).toBe(false);
  });
});
