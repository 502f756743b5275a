/**
 * Exact symbolic comparison: an expression as a rational function (numerator and denominator polynomials with exact
 * BigInt-rational coefficients) over "atoms" — variables, and any sub-expression that is not polynomial (π, e, √2,
 * sin x, ⌊x²/10000⌋) taken as one opaque symbol keyed by its canonical text. Two expressions whose difference cancels
 * to 0 are equal; a difference that is a nonzero constant, or a nonzero polynomial in plain variables only, is a
 * proven difference (x ≠ x + 10⁻⁹, π ≠ π + 10⁻¹⁰). Only a difference that still holds an opaque atom is left to the
 * numeric fallback (it might vanish: 2 sin x cos x − sin 2x).
 * Bounded: at most MAX_TERMS terms per polynomial and MAX_DEGREE per atom, else no exact form (undefined).
 * Leaves out: algebraic simplification of the atoms themselves (√12 vs 2√3 goes to the numeric fallback).
 */
import { key, type Node } from './parse.js';

export type Q = { n: bigint; d: bigint };
/** Monomial key (sorted "atom^k" factors joined by "*"; "" is the constant) → coefficient. */
export type Poly = Map<string, Q>;
export interface Frac {
  num: Poly;
  den: Poly;
}

const MAX_TERMS = 256;
const MAX_DEGREE = 32;
const MAX_BITS = 2048;

const absB = (x: bigint): bigint => (x < 0n ? -x : x);
function gcd(a: bigint, b: bigint): bigint {
  let x = absB(a);
  let y = absB(b);
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}
const bits = (x: bigint): number => absB(x).toString(16).length * 4;

function qn(n: bigint, d: bigint): Q {
  if (bits(n) > MAX_BITS || bits(d) > MAX_BITS) throw new RangeError('coefficient too large');
  const g = gcd(n, d) || 1n;
  const s = d < 0n ? -1n : 1n;
  return { n: (s * n) / g, d: (s * d) / g };
}
const qadd = (a: Q, b: Q): Q => qn(a.n * b.d + b.n * a.d, a.d * b.d);
const qmul = (a: Q, b: Q): Q => qn(a.n * b.n, a.d * b.d);

/** Parses "a^2*b" into {a: 2, b: 1}. */
function factors(mono: string): Map<string, number> {
  const out = new Map<string, number>();
  if (mono === '') return out;
  for (const f of mono.split('\u0001')) {
    const at = f.lastIndexOf('^');
    out.set(f.slice(0, at), Number(f.slice(at + 1)));
  }
  return out;
}
function monoKey(fs: Map<string, number>): string {
  return [...fs]
    .filter(([, k]) => k !== 0)
    .map(([a, k]) => `${a}^${k}`)
    .sort()
    .join('\u0001');
}

function constPoly(c: Q): Poly {
  return c.n === 0n ? new Map() : new Map([['', c]]);
}
function check(p: Poly): Poly {
  if (p.size > MAX_TERMS) throw new RangeError('too many terms');
  return p;
}
function padd(a: Poly, b: Poly): Poly {
  const out = new Map(a);
  for (const [m, c] of b) {
    const s = out.has(m) ? qadd(out.get(m) as Q, c) : c;
    if (s.n === 0n) out.delete(m);
    else out.set(m, s);
  }
  return check(out);
}
function pscale(a: Poly, c: Q): Poly {
  if (c.n === 0n) return new Map();
  const out: Poly = new Map();
  for (const [m, x] of a) out.set(m, qmul(x, c));
  return out;
}
function pmul(a: Poly, b: Poly): Poly {
  if (a.size * b.size > MAX_TERMS * MAX_TERMS) throw new RangeError('product too large');
  const out: Poly = new Map();
  for (const [ma, ca] of a) {
    const fa = factors(ma);
    for (const [mb, cb] of b) {
      const f = new Map(fa);
      for (const [atom, k] of factors(mb)) {
        const e = (f.get(atom) ?? 0) + k;
        if (e > MAX_DEGREE) throw new RangeError('degree too high');
        f.set(atom, e);
      }
      const m = monoKey(f);
      const c = qmul(ca, cb);
      const s = out.has(m) ? qadd(out.get(m) as Q, c) : c;
      if (s.n === 0n) out.delete(m);
      else out.set(m, s);
    }
    if (out.size > MAX_TERMS * 4) throw new RangeError('too many terms');
  }
  return check(out);
}

function ppow(a: Poly, e: number): Poly {
  let out = constPoly({ n: 1n, d: 1n });
  for (let k = 0; k < e; k++) out = pmul(out, a);
  return out;
}

const ONE: Poly = constPoly({ n: 1n, d: 1n });
const atomPoly = (name: string): Poly => new Map([[`${name}^1`, { n: 1n, d: 1n }]]);

/** The constant of a polynomial with no atoms, else undefined. */
export function constantOf(p: Poly): Q | undefined {
  if (p.size === 0) return { n: 0n, d: 1n };
  return p.size === 1 && p.has('') ? (p.get('') as Q) : undefined;
}

function fadd(a: Frac, b: Frac): Frac {
  const ca = constantOf(a.den);
  const cb = constantOf(b.den);
  if (ca && cb && ca.n === cb.n && ca.d === cb.d) return { num: padd(a.num, b.num), den: a.den };
  return { num: padd(pmul(a.num, b.den), pmul(b.num, a.den)), den: pmul(a.den, b.den) };
}
function fmul(a: Frac, b: Frac): Frac {
  return { num: pmul(a.num, b.num), den: pmul(a.den, b.den) };
}
function normalizeFrac(f: Frac): Frac {
  const c = constantOf(f.den);
  if (c && c.n !== 0n) return { num: pscale(f.num, { n: c.d, d: c.n }), den: ONE };
  return f;
}

/** Exact rational-function form of `node`, or undefined (collections, relations, division by zero, too large). */
export function toFrac(node: Node): Frac | undefined {
  try {
    return normalizeFrac(frac(node, 0));
  } catch (err) {
    if (err instanceof RangeError || err instanceof NoForm) return undefined;
    throw err;
  }
}

class NoForm extends Error {}

function frac(node: Node, depth: number): Frac {
  if (depth > 48) throw new NoForm();
  switch (node.t) {
    case 'num':
      return { num: constPoly(qn(node.n, node.d)), den: ONE };
    case 'sym':
      if (node.name === 'inf' || node.name.startsWith('word:')) throw new NoForm();
      return { num: atomPoly(node.name), den: ONE };
    case 'neg': {
      const x = frac(node.x, depth + 1);
      return { num: pscale(x.num, { n: -1n, d: 1n }), den: x.den };
    }
    case 'add':
      return node.xs.map((x) => frac(x, depth + 1)).reduce(fadd);
    case 'mul':
      return node.xs.map((x) => frac(x, depth + 1)).reduce(fmul);
    case 'div': {
      const a = frac(node.a, depth + 1);
      const b = normalizeFrac(frac(node.b, depth + 1));
      if (b.num.size === 0) throw new NoForm(); // division by zero
      return normalizeFrac({ num: pmul(a.num, b.den), den: pmul(a.den, b.num) });
    }
    case 'pct': {
      const x = frac(node.x, depth + 1);
      return { num: pscale(x.num, { n: 1n, d: 100n }), den: x.den };
    }
    case 'pow': {
      const b = node.b.t === 'neg' ? node.b.x : node.b;
      if (b.t === 'num' && b.d === 1n && b.n <= BigInt(MAX_DEGREE)) {
        const base = frac(node.a, depth + 1);
        const e = Number(b.n);
        const up: Frac = { num: ppow(base.num, e), den: ppow(base.den, e) };
        if (node.b.t !== 'neg') return normalizeFrac(up);
        if (up.num.size === 0) throw new NoForm();
        return normalizeFrac({ num: up.den, den: up.num });
      }
      return opaque(node);
    }
    case 'fn':
    case 'pm':
      if (node.t === 'pm') throw new NoForm();
      return opaque(node);
    default:
      throw new NoForm();
  }
}

/** A non-polynomial sub-expression becomes one atom (its canonical text), so equal sub-expressions cancel. */
function opaque(node: Node): Frac {
  return { num: atomPoly(`[${key(node)}]`), den: ONE };
}

/** numA·denB − numB·denA: zero exactly when the two rational functions are identical. */
export function difference(a: Frac, b: Frac): Poly {
  return padd(pmul(a.num, b.den), pscale(pmul(b.num, a.den), { n: -1n, d: 1n }));
}

/** True when every atom of `p` is a variable, π or e (no opaque sub-expression such as √2 or sin x). */
export function onlyPlainAtoms(p: Poly): boolean {
  for (const m of p.keys()) {
    for (const atom of factors(m).keys()) if (atom.startsWith('[')) return false;
  }
  return true;
}

/**
 * Exact verdict on a − b when one exists: 'equal' (cancels), 'different' (a nonzero constant, or a nonzero polynomial
 * in plain variables), or undefined (an opaque atom remains: decide numerically).
 */
export function exactCompare(a: Node, b: Node): 'equal' | 'different' | undefined {
  const fa = toFrac(a);
  const fb = toFrac(b);
  if (fa === undefined || fb === undefined) return undefined;
  let d: Poly;
  try {
    d = difference(fa, fb);
  } catch (err) {
    if (err instanceof RangeError) return undefined;
    throw err;
  }
  if (d.size === 0) return 'equal';
  if (constantOf(d) !== undefined) return 'different';
  // π and e are transcendental: a nonzero polynomial in them (with plain variables) never vanishes identically
  return onlyPlainAtoms(d) ? 'different' : undefined;
}

/** The constant c with p = c·q (exact, nonzero), or undefined when the two polynomials are not proportional. */
export function proportional(p: Poly, q: Poly): Q | undefined {
  if (p.size !== q.size || p.size === 0) return undefined;
  const [m, cp] = p.entries().next().value as [string, Q];
  const cq = q.get(m);
  if (cq === undefined) return undefined;
  const ratio = qn(cp.n * cq.d, cp.d * cq.n);
  for (const [mono, c] of q) {
    const other = p.get(mono);
    if (other === undefined) return undefined;
    const scaled = qmul(c, ratio);
    if (scaled.n !== other.n || scaled.d !== other.d) return undefined;
  }
  return ratio;
}
