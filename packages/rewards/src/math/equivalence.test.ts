// Table tests for the equivalence rules (rounding at `precision` places, exact polynomial decisions, overflow, percent,
// multisets, probing, relations, labels, ratios, matrices) and parser bounds. Leaves out extraction (extract.test.ts).
import { describe, expect, it } from 'vitest';
import { compareAnswers, equalNodes } from './equivalence.js';
import { MAX_DEPTH, MathParseError, parseAnswer } from './parse.js';

const eq = (a: string, b: string): boolean => equalNodes(parseAnswer(a), parseAnswer(b));

describe('equivalence rules', () => {
  const table: [gold: string, answer: string, expected: boolean, reason: string][] = [
    ['\\frac{1}{3}', '0.3333333333', true, 'agrees with 1/3 at 6 decimal places'],
    ['\\frac{1}{3}', '0.333333', true, 'exactly 6 places, rounded'],
    ['\\frac{1}{3}', '0.3333', false, 'differs from 1/3 at 6 places'],
    ['\\frac{1}{3}', '0.333', false, '0.333 is not 1/3 under the default precision'],
    ['\\frac{2}{3}', '0.666667', true, 'rounded half up at the 6th place'],
    ['\\frac{2}{3}', '0.666666', false, 'truncated at the 6th place'],
    ['\\frac{1}{4}', '0.2500001', true, 'differs only past the 6th place'],
    ['\\frac{1}{4}', '0.250001', false, 'differs at the 6th place'],
    ['0.333', '\\frac{1}{3}', false, 'a rounded gold is not the exact value'],
    ['\\pi', '3.14', false, 'pi needs 6 places'],
    ['\\pi', '3.1415927', true, 'pi at 6 places'],
    ['x', 'x + 10^{-9}', false, 'a tiny term is decided exactly (polynomial)'],
    ['\\pi', '\\pi + 10^{-10}', false, 'a tiny constant next to pi is decided exactly'],
    ['x', 'x + \\lfloor x^2/10000 \\rfloor', false, 'probing reaches magnitudes where the floor is nonzero'],
    ['y = 2x + 1', 'y - 2x - 1 = 10^{-12}', false, 'equations compared exactly when polynomial'],
    ['y = 2x + 1', '2x - y + 1 = 0', true, 'the same equation up to sign'],
    [
      'y = 2x + 1',
      '4x - 2y + 2 = 0',
      false,
      'a scaled equation differs under strict (Math-Verify compares sides up to sign)',
    ],
    ['(x+1)^3', 'x^3 + 3x^2 + 3x + 1', true, 'polynomial identity'],
    ['\\frac{x^2-1}{x-1}', 'x + 1', true, 'rational function identity'],
    ['2\\sin x \\cos x', '\\sin 2x', true, 'trig identity by probing (opaque atoms)'],
    ['\\sqrt{12}', '2\\sqrt{3}', true, 'radicals: numeric fallback'],
    ['x < 1', '-x > -1', true, 'inequality multiplied by -1'],
    ['x < 1', '2x < 2', false, 'a scaled inequality differs under strict (Math-Verify compares sides up to sign)'],
    ['x < 1', '1 > x', true, 'mirrored inequality'],
    ['[-2, 7]', '-2 \\le x \\le 7', true, 'chained inequality as an interval'],
    ['(0, 1)', '0 < f(x) < 1', true, 'range of a function'],
    [
      '[-\\frac{3}{2}, -1] \\cup [1, \\frac{3}{2}]',
      '1 \\le |z| \\le \\frac{3}{2}',
      true,
      'absolute value between bounds',
    ],
    ['(3, 2)', '(p, q) = (3, 2)', true, 'tuple label'],
    ['(3, 2)', '3, 2', true, 'a bare pair in order answers the pair'],
    ['(3, 2)', '2, 3', false, 'a bare pair in the other order does not'],
    ['(1, 2, 3)', '1, 2, 3', false, 'longer bare lists do not answer a tuple'],
    ['(-\\infty, 0) \\cup (0, \\infty)', 'x \\neq 0', true, 'x ≠ a is every real but a'],
    ['(-\\infty, \\infty)', '\\mathbb{R}', true, 'the real line'],
    ['5', 'x + 1 = 5', true, 'an answer equation states its right side (Math-Verify)'],
    ['x + y = 5', '5', false, 'a gold relation is not a labelled value'],
    ['120', '5! = 120', true, 'a true constant computation states its result'],
    ['5', '2 + 2 = 5', false, 'a false computation states nothing'],
    ['11:21', '22:42', true, 'ratios with the same quotient'],
    ['12:00', '24:00', false, 'times (zero second terms) compared term by term'],
    ['204_5', '204_{5}', true, 'base subscript'],
    ['204_5', '54', false, 'a numeral in base 5 is not its decimal value here'],
    ['\\frac{22}{7}', '\\frac{22}{7} \\approx 3.14', true, 'the exact value before \\approx'],
    ['3.14', 'x \\approx 3.14', true, 'only a label before \\approx'],
    [
      '\\begin{pmatrix} 2 & 2 \\\\ 0 & 2 \\end{pmatrix}',
      '\\begin{pmatrix} 2 & 0 \\\\ 0 & 2 \\end{pmatrix}\\begin{pmatrix} 1 & 1 \\\\ 0 & 1 \\end{pmatrix}',
      true,
      'matrix product',
    ],
    [
      '\\begin{pmatrix} 6 \\\\ -3 \\end{pmatrix}',
      '3\\begin{pmatrix} 2 \\\\ -1 \\end{pmatrix}',
      true,
      'scalar multiple',
    ],
    ['e^2', '\\mathrm{e}^2', true, 'upright e'],
    ['28\\%', '28 \\text{ percent}', true, 'percent word'],
    ['11111100', '11,\\! 111,\\! 100', true, 'thousands with LaTeX negative space'],
    ['32349', '32{,}349', true, 'thousands with {,}'],
    ['(2, 12) \\cup (12, 102)', '(2,12) \\cup (12,102)', true, 'a bracketed pair is not a thousands number'],
    ['12102', '12,102', true, 'an unbracketed group of three is thousands'],
    ['a=3,b=4;a=5,b=4', '(3,4),(5,4)', true, 'assignment lists separated by ; are points'],
    ['(13,5)or(5,13)', '(5,13), (13,5)', true, 'a glued "or" separates answers'],
    ['\\frac{KM}{MN}=\\frac{2}{\\sqrt{5}}', '\\frac{2}{\\sqrt{5}}', true, 'a ratio of lengths is a label'],
    ['Q(x) = 2', 'q(x) = 2', true, 'labels compared without case'],
    ['6', '\\gcd(12, 18)', true, 'gcd evaluated'],
    ['36', '\\operatorname{lcm}(12, 18)', true, 'lcm evaluated'],
    ['5', '\\max(3, 5)', true, 'max evaluated'],
    ['3', '\\max(3, 5)', false, 'max is not min'],
    ['\\pm 3', '\\mp 3', true, '∓ gives the same two values'],
    ["f'(x) = 2x", "f'(x) = 2x", true, 'a primed function name'],
    ['\\overline{AB}', '\\overline{BA}', false, 'segment names are compared as written'],
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

describe('compare options', () => {
  const cmp = (a: string, b: string, precision: number, strict = true) =>
    compareAnswers(parseAnswer(a), parseAnswer(b), { precision, strict });
  it('precision sets the rounding places (both sides of the rule)', () => {
    expect(cmp('\\frac{1}{3}', '0.333', 3)).toBe(true);
    expect(cmp('\\frac{1}{3}', '0.333', 4)).toBe(false);
    expect(cmp('\\pi', '3.14', 2)).toBe(true);
    expect(cmp('\\pi', '3.14', 6)).toBe(false);
  });
  it('strict keeps variables and gold relations apart; not strict compares stated values', () => {
    expect(cmp('x = 3', 'y = 3', 6, true)).toBe(false);
    expect(cmp('x = 3', 'y = 3', 6, false)).toBe(true);
    expect(cmp('y = 2x + 1', '4x - 2y + 2 = 0', 6, false)).toBe(true);
    expect(cmp('x < 1', '2x < 2', 6, false)).toBe(true);
    expect(cmp('x + y = 5', '5', 6, true)).toBe(false);
    expect(cmp('x + y = 5', '5', 6, false)).toBe(true);
    expect(cmp('x < 1', 'y < 1', 6, true)).toBe(false);
    expect(cmp('x < 1', 'y < 1', 6, false)).toBe(true);
    expect(cmp('x^2 + 1', 'y^2 + 1', 6, true)).toBe(false);
    expect(cmp('x^2 + 1', 'y^2 + 1', 6, false)).toBe(true);
    expect(cmp('x^2 + 1', 'y^2 + 2', 6, false)).toBe(false);
  });
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
