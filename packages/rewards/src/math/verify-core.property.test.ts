import { describe, expect, it } from 'vitest';
import { verifyMathSync } from './verify-core.js';

/**
 * Seeded property test: near-miss answers (off by one, flipped sign, swapped order, wrong bracket, changed
 * coefficient) must never be `equal`; rewritten forms of the same value (scaled fraction, thousands separators,
 * simplified radical, reordered polynomial, factored form, inequality for an interval) must be.
 */
function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

function pairs(iterations: number): { equal: [string, string][]; different: [string, string][] } {
  const rand = lcg(12345);
  const ri = (a: number, b: number) => a + Math.floor(rand() * (b - a + 1));
  const equal: [string, string][] = [];
  const different: [string, string][] = [];
  const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : Math.abs(a));
  const frac = (a: number, b: number) => (a < 0 ? `-\\frac{${-a}}{${b}}` : `\\frac{${a}}{${b}}`);
  for (let k = 0; k < iterations; k++) {
    const p = ri(1, 50) * (rand() < 0.5 ? -1 : 1);
    const q = ri(1, 30);
    const g = gcd(p, q);
    const gold = frac(p / g, q / g);
    equal.push([gold, frac(p * 3, q * 3)], [gold, `${p}/${q}`]);
    different.push([gold, frac(p + 1, q)], [gold, frac(p, q + 1)], [gold, frac(-p, q)]);

    const d = (ri(1, 99_999) / 100).toFixed(2);
    different.push([d, (Number(d) + 0.01).toFixed(2)], [d, (Number(d) * 10).toFixed(2)], [d, `${d}1`]);

    const big = ri(1000, 9_999_999);
    equal.push([String(big), big.toLocaleString('en-US')]);
    different.push([String(big), (big + 1).toLocaleString('en-US')]);

    const r = [2, 3, 5, 6, 7, 10, 11][ri(0, 6)] as number;
    const c = ri(2, 9);
    equal.push([`${c}\\sqrt{${r}}`, `\\sqrt{${c * c * r}}`]);
    different.push([`${c}\\sqrt{${r}}`, `\\sqrt{${c * c * r + 1}}`], [`${c}\\sqrt{${r}}`, `${c + 1}\\sqrt{${r}}`]);

    const [a0, a1, a2] = [ri(-5, 5), ri(-5, 5), ri(1, 5)];
    const poly = (x0: number, x1: number, x2: number) => `${x2}x^2 + ${x1}x + ${x0}`.replace(/\+ -/g, '- ');
    equal.push([poly(a0, a1, a2), `${a0} + ${a1}x + ${a2}x^2`.replace(/\+ -/g, '- ')]);
    different.push([poly(a0, a1, a2), poly(a0 + 1, a1, a2)], [poly(a0, a1, a2), poly(a0, a1 - 1, a2)]);
    const [r1, r2] = [ri(-5, 5), ri(-5, 5)];
    const factored = `(x - ${r1})(x - ${r2})`.replace(/- -/g, '+ ');
    equal.push([factored, poly(r1 * r2, -(r1 + r2), 1)]);
    different.push([factored, poly(r1 * r2 + 1, -(r1 + r2), 1)]);

    const [e1, e2] = [ri(-9, 0), ri(1, 9)];
    equal.push([`\\{${e1}, ${e2}\\}`, `\\{${e2}, ${e1}\\}`], [`[${e1}, ${e2})`, `${e1} \\le x < ${e2}`]);
    different.push(
      [`(${e1}, ${e2})`, `(${e2}, ${e1})`],
      [`[${e1}, ${e2})`, `[${e1}, ${e2}]`],
      [`[${e1}, ${e2})`, `${e1} < x < ${e2}`],
      [`${e1}`, `${e1}, ${e2}`],
      [`${e2}`, `\\pm ${e2}`],
    );
    const pc = ri(1, 99);
    equal.push([`${pc}\\%`, `${pc}`], [`${pc}\\%`, `${pc / 100}`]);
    different.push([`${pc}\\%`, `${pc + 1}`], [`${pc / 100}`, `${pc / 100}\\%`]);
  }
  return { equal, different };
}

describe('verifyMathSync properties', () => {
  const { equal, different } = pairs(150);
  const verdict = ([gold, answer]: [string, string]) => verifyMathSync(gold, `\\boxed{${answer}}`).verdict;

  it('never says equal for a near-miss answer', () => {
    expect(different.filter((pair) => verdict(pair) === 'equal')).toEqual([]);
  });

  it('says equal for rewritten forms of the same value', () => {
    expect(equal.filter((pair) => verdict(pair) !== 'equal')).toEqual([]);
  });
});
