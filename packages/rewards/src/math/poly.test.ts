// Table tests for the exact comparison (poly.ts): identities that cancel, proven differences, undecided cases left to
// the numeric fallback, proportional equations, and the size caps. Leaves out the fallback itself (equivalence.test.ts).
import { describe, expect, it } from 'vitest';
import { parseAnswer } from './parse.js';
import { exactCompare, proportional, toFrac } from './poly.js';

const cmp = (a: string, b: string) => exactCompare(parseAnswer(a), parseAnswer(b));

describe('exactCompare', () => {
  const table: [string, string, 'equal' | 'different' | undefined, string][] = [
    ['(x+1)^2', 'x^2 + 2x + 1', 'equal', 'polynomial identity'],
    ['\\frac{x^2-1}{x-1}', 'x + 1', 'equal', 'rational identity'],
    ['\\frac{1}{x} + \\frac{1}{y}', '\\frac{x+y}{xy}', 'equal', 'common denominator'],
    ['x', 'x + 10^{-9}', 'different', 'tiny constant term'],
    ['\\pi', '\\pi + 10^{-10}', 'different', 'pi is transcendental: a nonzero polynomial in it never vanishes'],
    ['x^2 y', 'y^2 x', 'different', 'polynomial in plain variables'],
    ['\\sqrt{2} + x', 'x + \\sqrt{2}', 'equal', 'identical opaque atoms cancel'],
    ['\\sqrt{12}', '2\\sqrt{3}', undefined, 'different atoms: left to the numeric fallback'],
    ['2\\sin x \\cos x', '\\sin 2x', undefined, 'trig identity: numeric fallback'],
    ['x', 'x + \\lfloor x^2/10000 \\rfloor', undefined, 'an opaque floor term: numeric fallback'],
    ['\\frac{1}{0}', '1', undefined, 'division by zero has no exact form'],
    ['(a+b+c+d+e+f)^{30}', '1', undefined, 'too many terms: no exact form, no hang'],
  ];
  for (const [a, b, expected, reason] of table) {
    it(`${reason}: ${a} vs ${b}`, () => {
      expect(cmp(a, b)).toBe(expected);
    });
  }
});

describe('proportional', () => {
  const num = (s: string) => {
    const f = toFrac(parseAnswer(s));
    if (!f) throw new Error(`no exact form for ${s}`);
    return f.num;
  };
  it('finds the constant factor between two polynomials, or none', () => {
    expect(proportional(num('y - 2x - 1'), num('4x - 2y + 2'))).toEqual({ n: -1n, d: 2n });
    expect(proportional(num('y - 2x - 1'), num('2x - y + 1'))).toEqual({ n: -1n, d: 1n });
    expect(proportional(num('y - 2x - 1'), num('y - 2x - 1 - 10^{-12}'))).toBeUndefined();
    expect(proportional(num('y - 2x'), num('y - 3x'))).toBeUndefined();
  });
});
