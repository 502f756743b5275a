/**
 * Equivalence of two parsed answers, following Math-Verify's documented comparison (open-r1 / TRL's accuracy reward):
 * 1. decimals: when either side holds a decimal literal and neither has variables, both values are rounded to
 *    `precision` decimal places (Math-Verify's float_rounding, default 6) and compared: 0.333333 = 1/3, 0.333 ≠ 1/3,
 *    3.14 ≠ π, 100.0000001 = 100;
 * 2. exact: otherwise both sides become rational functions over atoms (poly.ts); a difference that cancels is equal,
 *    a nonzero constant or a nonzero polynomial in plain variables is a proven difference (x ≠ x + 10⁻⁹);
 * 3. fallback, only when an opaque atom remains (√, trig, log, floor…): exact rationals when both evaluate to one, else
 *    floats within a relative 1e-12, or for expressions with variables seeded probing at 24 points of both signs and
 *    three magnitudes (up to 5000, so ⌊x²/10000⌋ shows), relative tolerance 1e-10, at least 6 defined points.
 * Sets are unordered, tuples ordered, interval brackets must match, matrices cell by cell (sums and products of
 * matrices evaluated first); relations via relations.ts (labels, intervals, flipped inequalities, proportional
 * equations decided exactly when polynomial).
 * The rule throughout: when unsure, say "not equal" (a false positive teaches the policy to cheat).
 * Leaves out: complex numbers (i is a variable), inequality systems in several variables.
 */
import { key, type Node } from './parse.js';
import { constantOf, exactCompare, onlyPlainAtoms, proportional, toFrac } from './poly.js';
import { evalMatrix, isLabel, relationToSet, relationVariables, statedValue } from './relations.js';

/** Comparison settings (Math-Verify's verify() arguments). */
export interface CompareOptions {
  /** Decimal places both values are rounded to when either side is a decimal (Math-Verify float_rounding). */
  precision: number;
  /**
   * Math-Verify strict: variables keep their names (x² + 1 ≠ y² + 1), relations must be about the same variables,
   * and a gold equation answers with its right side only when its left side is a label.
   */
  strict: boolean;
}
export const DEFAULT_COMPARE: CompareOptions = { precision: 6, strict: true };
let settings: CompareOptions = DEFAULT_COMPARE;

type Q = { n: bigint; d: bigint };

/** Exact arithmetic gives up beyond this many bits (then we fall back to floats, then to structure). */
const MAX_BITS = 4096;
const CONSTANTS = new Set(['pi', 'e', 'inf']);

const bits = (x: bigint): number => (x < 0n ? -x : x).toString(16).length * 4;

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

function q(n: bigint, d: bigint): Q | null {
  if (d === 0n) return null;
  if (bits(n) > MAX_BITS || bits(d) > MAX_BITS) return null;
  const g = gcd(n, d) || 1n;
  const s = d < 0n ? -1n : 1n;
  return { n: (s * n) / g, d: (s * d) / g };
}

function isqrt(x: bigint): bigint | null {
  if (x < 0n) return null;
  if (x < 2n) return x;
  // Newton's method on BigInt (Math.sqrt(Number(x)) is Infinity past 1024 bits)
  let r = 1n << BigInt(Math.ceil(bits(x) / 2) + 1);
  for (;;) {
    const next = (r + x / r) >> 1n;
    if (next >= r) break;
    r = next;
  }
  return r * r === x ? r : null;
}

/** max, min, gcd, lcm take a parenthesised list: \max(a, b) parses as max of the pair (a, b). */
const MULTI = new Set(['max', 'min', 'gcd', 'lcm']);
const multiArgs = (args: Node[]): Node[] => {
  const a = args[0];
  return args.length === 1 && a?.t === 'seq' && a.open === '(' ? a.xs : args;
};

/** Exact max/min of rationals, gcd/lcm of integers; null when an argument is not one. */
function multiQ(name: string, args: Node[]): Q | null {
  const qs = multiArgs(args).map(evalQ);
  if (qs.length === 0 || qs.some((x) => x === null)) return null;
  const vals = qs as Q[];
  if (name === 'max' || name === 'min') {
    return vals.reduce((a, b) => {
      const aGreater = a.n * b.d > b.n * a.d;
      return (name === 'max') === aGreater ? a : b;
    });
  }
  if (vals.some((v) => v.d !== 1n || bits(v.n) > 256)) return null;
  const abs = (x: bigint): bigint => (x < 0n ? -x : x);
  let acc = abs((vals[0] as Q).n);
  for (const v of vals.slice(1)) {
    const b = abs(v.n);
    acc = name === 'gcd' ? gcd(acc, b) : acc === 0n || b === 0n ? 0n : (acc / gcd(acc, b)) * b;
  }
  return { n: acc, d: 1n };
}

/** Exact value of a constant expression, or null when it is not a (small enough) rational. */
export function evalQ(node: Node): Q | null {
  switch (node.t) {
    case 'num':
      return q(node.n, node.d);
    case 'neg': {
      const x = evalQ(node.x);
      return x && { n: -x.n, d: x.d };
    }
    case 'add': {
      let acc: Q | null = { n: 0n, d: 1n };
      for (const x of node.xs) {
        const v = evalQ(x);
        if (!v || !acc) return null;
        acc = q(acc.n * v.d + v.n * acc.d, acc.d * v.d);
      }
      return acc;
    }
    case 'mul': {
      let acc: Q | null = { n: 1n, d: 1n };
      for (const x of node.xs) {
        const v = evalQ(x);
        if (!v || !acc) return null;
        acc = q(acc.n * v.n, acc.d * v.d);
      }
      return acc;
    }
    case 'div': {
      const a = evalQ(node.a);
      const b = evalQ(node.b);
      return a && b ? q(a.n * b.d, a.d * b.n) : null;
    }
    case 'pct': {
      const x = evalQ(node.x);
      return x && q(x.n, x.d * 100n);
    }
    case 'pow': {
      const a = evalQ(node.a);
      const b = evalQ(node.b);
      if (!a || !b) return null;
      if (b.d === 2n) {
        // square root of a perfect-square rational
        const rn = isqrt(a.n);
        const rd = isqrt(a.d);
        if (rn === null || rd === null) return null;
        return evalQ({ t: 'pow', a: { t: 'num', n: rn, d: rd }, b: { t: 'num', n: b.n, d: 1n } });
      }
      if (b.d !== 1n) return null;
      const e = b.n < 0n ? -b.n : b.n;
      if (e > 4096n || Number(e) * Math.max(bits(a.n), bits(a.d)) > MAX_BITS) return null;
      if (b.n < 0n) return a.n === 0n ? null : q(a.d ** e, a.n ** e);
      return q(a.n ** e, a.d ** e);
    }
    case 'fn': {
      if (MULTI.has(node.name)) return multiQ(node.name, node.args);
      const args = node.args.map(evalQ);
      const x = args[0];
      if (!x) return null;
      if (node.name === 'sqrt') return evalQ({ t: 'pow', a: node.args[0] as Node, b: { t: 'num', n: 1n, d: 2n } });
      if (node.name === 'abs') return { n: x.n < 0n ? -x.n : x.n, d: x.d };
      if (node.name === 'fact') {
        if (x.d !== 1n || x.n < 0n || x.n > 1000n) return null;
        let r = 1n;
        for (let k = 2n; k <= x.n; k++) r *= k;
        return q(r, 1n);
      }
      if (node.name === 'binom') {
        const k = args[1];
        if (!k || x.d !== 1n || k.d !== 1n || x.n < 0n || x.n > 1000n || k.n < 0n) return null;
        if (k.n > x.n) return { n: 0n, d: 1n };
        let r = 1n;
        for (let j = 0n; j < k.n; j++) r = (r * (x.n - j)) / (j + 1n);
        return q(r, 1n);
      }
      if (node.name === 'floor' || node.name === 'ceil') {
        let f = x.n / x.d; // truncates toward zero
        if (node.name === 'floor' && x.n < 0n && f * x.d !== x.n) f -= 1n;
        if (node.name === 'ceil' && x.n > 0n && f * x.d !== x.n) f += 1n;
        return { n: f, d: 1n };
      }
      return null;
    }
    default:
      return null;
  }
}

const FN: Record<string, (x: number) => number> = {
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  sec: (x) => 1 / Math.cos(x),
  csc: (x) => 1 / Math.sin(x),
  cot: (x) => 1 / Math.tan(x),
  arcsin: Math.asin,
  arccos: Math.acos,
  arctan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  log: Math.log, // natural log, as in most competition answers and in SymPy
  ln: Math.log,
  log10: Math.log10,
  exp: Math.exp,
  sqrt: Math.sqrt,
  abs: Math.abs,
  floor: Math.floor,
  ceil: Math.ceil,
};

function gamma(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 170) return Number.NaN;
  let r = 1;
  for (let k = 2; k <= n; k++) r *= k;
  return r;
}

/** Finite result or NaN: overflow and undefined values both become NaN, so two overflows never compare equal. */
function fin(x: number): number {
  return Number.isFinite(x) ? x : Number.NaN;
}

/** Float value under `env`; ±Infinity only for a literal ∞, NaN for anything undefined or overflowing. */
export function evalF(node: Node, env: Map<string, number>): number {
  switch (node.t) {
    case 'num':
      return fin(Number(node.n) / Number(node.d)) || (node.n === 0n ? 0 : bigRatio(node.n, node.d));
    case 'sym':
      if (node.name === 'pi') return Math.PI;
      if (node.name === 'e') return Math.E;
      if (node.name === 'inf') return Number.POSITIVE_INFINITY;
      return env.get(node.name) ?? Number.NaN;
    case 'neg': {
      const x = evalF(node.x, env);
      return Number.isNaN(x) ? x : -x;
    }
    case 'add': {
      let s = 0;
      for (const x of node.xs) s += finite(evalF(x, env));
      return fin(s);
    }
    case 'mul': {
      let s = 1;
      for (const x of node.xs) s *= finite(evalF(x, env));
      return fin(s);
    }
    case 'div': {
      const b = finite(evalF(node.b, env));
      return b === 0 ? Number.NaN : fin(finite(evalF(node.a, env)) / b);
    }
    case 'pct':
      return fin(finite(evalF(node.x, env)) / 100);
    case 'pow': {
      const a = finite(evalF(node.a, env));
      const b = finite(evalF(node.b, env));
      if (a === 0 && b <= 0) return Number.NaN;
      return fin(a ** b);
    }
    case 'fn': {
      if (MULTI.has(node.name)) {
        const xs = multiArgs(node.args).map((a) => finite(evalF(a, env)));
        if (node.name === 'max') return fin(Math.max(...xs));
        if (node.name === 'min') return fin(Math.min(...xs));
        const q = multiQ(node.name, node.args);
        return q ? Number(q.n) / Number(q.d) : Number.NaN;
      }
      const args = node.args.map((x) => finite(evalF(x, env)));
      const x = args[0] ?? Number.NaN;
      if (node.name === 'root') {
        const n = args[1] ?? Number.NaN;
        if (x < 0 && Number.isInteger(n) && n % 2 === 1) return -((-x) ** (1 / n));
        return fin(x ** (1 / n));
      }
      if (node.name === 'logb') {
        const v = args[1] ?? Number.NaN;
        return fin(Math.log(v) / Math.log(x));
      }
      if (node.name === 'fact') return fin(gamma(x));
      if (node.name === 'binom') {
        const k = args[1] ?? Number.NaN;
        return fin(gamma(x) / (gamma(k) * gamma(x - k)));
      }
      const f = FN[node.name];
      return f ? fin(f(x)) : Number.NaN;
    }
    default:
      return Number.NaN;
  }
}

/** Inside an operation ∞ has no safe meaning here: it becomes NaN (undefined). */
function finite(x: number): number {
  return Number.isFinite(x) ? x : Number.NaN;
}

function bigRatio(n: bigint, d: bigint): number {
  // ratio of two huge integers: scale both down before dividing
  const shift = BigInt(Math.max(0, Math.max(bits(n), bits(d)) - 1000));
  return fin(Number(n >> shift) / Number(d >> shift));
}

/** Free variables (not π, e, ∞). */
function variables(node: Node, out = new Set<string>()): Set<string> {
  if (node.t === 'sym') {
    if (!CONSTANTS.has(node.name)) out.add(node.name);
    return out;
  }
  for (const child of children(node)) variables(child, out);
  return out;
}

function children(node: Node): Node[] {
  switch (node.t) {
    case 'add':
    case 'mul':
    case 'set':
    case 'list':
    case 'union':
    case 'seq':
    case 'rel':
    case 'ratio':
      return node.xs;
    case 'neg':
      return [node.x];
    case 'pct':
      return [node.x];
    case 'div':
    case 'pow':
    case 'pm':
      return [node.a, node.b];
    case 'fn':
      return node.args;
    case 'matrix':
      return node.rows.flat();
    default:
      return [];
  }
}

const close = (a: number, b: number, rel: number): boolean =>
  Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b)) + 1e-12;

/**
 * Seeded PRNG (mulberry32): probing is deterministic, so a verdict never flips between runs. A local copy of
 * @aha/core's `mulberry32` on purpose: this module runs inside the verifier's worker threads, which must start
 * without loading @aha/core (and its native addon).
 */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PROBES = 24;

/**
 * A probe value of either sign at three magnitudes: |v| in [0.3, 3.2], [3.2, 40] and [100, 5000] (so a term such as
 * ⌊x²/10000⌋, zero near the origin, shows).
 */
function probeValue(rand: () => number, k: number): number {
  const sign = rand() < 0.5 ? -1 : 1;
  const r = rand();
  return sign * (k % 4 === 3 ? 100 + 4900 * r : k % 4 === 2 ? 3.2 + 36.8 * r : 0.3 + 2.9 * r);
}
const MIN_VALID_PROBES = 6;

/** Numeric probing: equal at every point where either side is defined, and defined at enough points. */
function probeEqual(g: Node, p: Node, vars: string[]): boolean {
  const rand = rng(0x5eed);
  let valid = 0;
  for (let k = 0; k < PROBES; k++) {
    const env = new Map<string, number>();
    for (const v of vars) env.set(v, probeValue(rand, k));
    const a = evalF(g, env);
    const b = evalF(p, env);
    if (Number.isNaN(a) && Number.isNaN(b)) continue;
    if (!Number.isFinite(a) || !Number.isFinite(b) || !close(a, b, 1e-10)) return false;
    valid++;
  }
  return valid >= MIN_VALID_PROBES;
}

function sameSet(a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

/** Any decimal literal (0.75, 12.0) in the expression: the float_rounding rule applies. */
function hasDecimal(n: Node, depth = 0): boolean {
  if (n.t === 'num') return n.decimals !== undefined;
  if (depth > 32) return false;
  return children(n).some((c) => hasDecimal(c, depth + 1));
}

/** Rounds q to `places` decimals (half away from zero), exactly. */
function roundQ(x: Q, places: number): bigint {
  const scale = 10n ** BigInt(places);
  const num = x.n * scale * 2n;
  const den = x.d * 2n;
  return x.n < 0n ? -((-num + x.d) / den) : (num + x.d) / den;
}

/** Math-Verify's float_rounding: both values rounded to `precision` decimal places must agree. */
function roundedEqual(g: Node, p: Node): boolean {
  const places = settings.precision;
  const gq = evalQ(g);
  const pq = evalQ(p);
  if (gq && pq) return roundQ(gq, places) === roundQ(pq, places);
  const a = evalF(g, new Map());
  const b = evalF(p, new Map());
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  const scale = 10 ** places;
  const ra = Math.round(Math.abs(a) * scale) * Math.sign(a);
  const rb = Math.round(Math.abs(b) * scale) * Math.sign(b);
  return ra === rb || Math.abs(ra - rb) <= Math.max(Math.abs(ra), Math.abs(rb)) * 1e-15;
}

/** `n` with variable `from` renamed `to`. */
function rename(n: Node, from: string, to: string, depth = 0): Node {
  if (depth > 64) return n;
  const r = (x: Node): Node => rename(x, from, to, depth + 1);
  switch (n.t) {
    case 'sym':
      return n.name === from ? { t: 'sym', name: to } : n;
    case 'add':
    case 'mul':
      return { t: n.t, xs: n.xs.map(r) };
    case 'neg':
    case 'pct':
      return { t: n.t, x: r(n.x) };
    case 'div':
    case 'pow':
      return { t: n.t, a: r(n.a), b: r(n.b) };
    case 'fn':
      return { t: 'fn', name: n.name, args: n.args.map(r) };
    default:
      return n;
  }
}

/** Two scalar expressions (no collections, no relations). */
function valueEqual(g: Node, p: Node): boolean {
  if (key(g) === key(p)) return true;
  const vars = variables(p, variables(g));
  if (vars.size === 0 && (hasDecimal(g) || hasDecimal(p))) return roundedEqual(g, p);
  // not strict (Math-Verify): one variable each, named differently, is the same variable (f(x) = f(y))
  if (!settings.strict) {
    const gv = [...variables(g)];
    const pv = [...variables(p)];
    if (gv.length === 1 && pv.length === 1 && gv[0] !== pv[0])
      return valueEqual(g, rename(p, pv[0] as string, gv[0] as string));
  }
  const exact = exactCompare(g, p);
  if (exact !== undefined) return exact === 'equal';
  // variables of both sides: "2x" vs "2y" differ at random points, sin²x + cos²x = 1 agrees everywhere
  if (vars.size > 0) return probeEqual(g, p, [...vars].sort());
  const gq = evalQ(g);
  const pq = evalQ(p);
  if (gq && pq) return gq.n === pq.n && gq.d === pq.d;
  const a = evalF(g, new Map());
  const b = evalF(p, new Map());
  if (Number.isNaN(a) || Number.isNaN(b)) return false; // undefined or overflow: only identical structure counts
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b; // ±∞
  return close(a, b, 1e-12);
}

/**
 * Percent: "50%", "50" and "0.5" all answer a gold "50\%"; an answer "75%" matches a gold 0.75, and an answer "50%"
 * matches a gold 50 (GSM8K asks "what percent…" with a bare gold) but only for gold ≥ 1, so "0.5%" never matches 0.5.
 */
function scalarEqual(g: Node, p: Node): boolean {
  if (g.t === 'pct' && p.t === 'pct') return valueEqual(g.x, p.x);
  if (g.t === 'pct') return valueEqual(g.x, p) || valueEqual(g, p);
  if (p.t === 'pct') {
    if (valueEqual(g, p)) return true;
    const gv = evalF(g, new Map());
    return Number.isFinite(gv) && Math.abs(gv) >= 1 && valueEqual(g, p.x);
  }
  return valueEqual(g, p);
}

const COLLECTION = new Set(['seq', 'set', 'list', 'union', 'matrix', 'rel', 'pm', 'text', 'ratio']);
const isScalar = (n: Node): boolean => !COLLECTION.has(n.t) && !(n.t === 'sym' && n.name.startsWith('word:'));

/** Largest collection compared element by element (n² comparisons). */
const MAX_ELEMENTS = 64;

/**
 * Unordered comparison: a perfect matching between equal elements. Kuhn's augmenting paths over a precomputed
 * equality matrix, so the work is polynomial even for adversarial multisets ({1,1,…,1,2} vs {1,1,…,1,3}).
 */
function unorderedEqual(gs: Node[], ps: Node[], depth: number): boolean {
  const n = gs.length;
  if (n !== ps.length || n > MAX_ELEMENTS) return false;
  const eq = gs.map((g) => ps.map((p) => equalNodes(g, p, depth + 1)));
  const owner = new Array<number>(n).fill(-1); // owner[j] = gold index matched to answer element j
  const augment = (i: number, seen: boolean[]): boolean => {
    for (let j = 0; j < n; j++) {
      if (!eq[i]?.[j] || seen[j]) continue;
      seen[j] = true;
      const o = owner[j] as number;
      if (o < 0 || augment(o, seen)) {
        owner[j] = i;
        return true;
      }
    }
    return false;
  };
  for (let i = 0; i < n; i++) if (!augment(i, new Array<boolean>(n).fill(false))) return false;
  return true;
}

function orderedEqual(gs: Node[], ps: Node[], depth: number): boolean {
  return (
    gs.length === ps.length &&
    gs.length <= MAX_ELEMENTS * MAX_ELEMENTS &&
    gs.every((g, i) => equalNodes(g, ps[i] as Node, depth + 1))
  );
}

const MIRROR: Record<string, string> = { '=': '=', '!=': '!=', '<': '>', '>': '<', '<=': '>=', '>=': '<=', '~=': '~=' };

/**
 * y = 2x + 1 ⇔ 2x − y + 1 = 0: the differences of the two sides agree up to sign (strict, as in Math-Verify) or up to
 * any nonzero factor (not strict: 2y = 4x + 2 too); decided exactly when both are polynomial.
 */
function equationsEqual(g: Node & { t: 'rel' }, p: Node & { t: 'rel' }): boolean {
  const [gl, gr] = g.xs as [Node, Node];
  const [pl, pr] = p.xs as [Node, Node];
  if (![gl, gr, pl, pr].every(isScalar)) return false;
  const gd: Node = { t: 'add', xs: [gl, { t: 'neg', x: gr }] };
  const pd: Node = { t: 'add', xs: [pl, { t: 'neg', x: pr }] };
  const vars = variables(gd);
  if (vars.size === 0 || !sameSet(vars, variables(pd))) return false;
  const fg = toFrac(gd);
  const fp = toFrac(pd);
  if (fg && fp && constantOf(fg.den) && constantOf(fp.den)) {
    try {
      const c = proportional(fg.num, fp.num);
      // strict (Math-Verify): the sides' differences agree up to sign; otherwise any nonzero multiple
      if (c !== undefined) return !settings.strict || (c.d === 1n && (c.n === 1n || c.n === -1n));
      if (onlyPlainAtoms(fg.num) && onlyPlainAtoms(fp.num)) return false; // polynomials: decided exactly
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
    }
  }
  const ratio: Node = { t: 'div', a: gd, b: pd };
  const rand = rng(0xfeed);
  let c: number | undefined;
  let valid = 0;
  for (let k = 0; k < PROBES; k++) {
    const env = new Map<string, number>();
    for (const v of vars) env.set(v, probeValue(rand, k));
    const r = evalF(ratio, env);
    if (!Number.isFinite(r)) continue;
    if (c === undefined) c = r;
    else if (!close(r, c, 1e-10)) return false;
    valid++;
  }
  if (valid < MIN_VALID_PROBES || c === undefined || c === 0) return false;
  return !settings.strict || close(Math.abs(c), 1, 1e-10);
}

/** Relations: same sides (or mirrored), proportional equations, or the same set of values. */
function relationEqual(g: Node & { t: 'rel' }, p: Node & { t: 'rel' }, depth: number): boolean {
  if (g.ops.length === p.ops.length) {
    if (g.ops.every((o, i) => o === p.ops[i]) && orderedEqual(g.xs, p.xs, depth)) return true;
    const rev = [...p.ops].reverse().map((o) => MIRROR[o]);
    if (g.ops.every((o, i) => o === rev[i]) && orderedEqual(g.xs, [...p.xs].reverse(), depth)) return true;
  }
  if (g.ops.length === 1 && p.ops.length === 1 && g.ops[0] === '=' && p.ops[0] === '=') {
    const [gl, gr] = g.xs as [Node, Node];
    const [pl, pr] = p.xs as [Node, Node];
    // "k = 3" and "x = 3": a named value; compare the values when they are constants
    if (
      isLabel(gl) &&
      isLabel(pl) &&
      variables(gr).size === 0 &&
      (!settings.strict || key(gl).toLowerCase() === key(pl).toLowerCase())
    )
      if (equalNodes(gr, pr, depth + 1)) return true;
    return equationsEqual(g, p);
  }
  const decided = settings.strict ? inequalitiesUpToSign(g, p) : undefined;
  if (decided !== undefined) return decided;
  const gs = relationToSet(g);
  const ps = relationToSet(p);
  if (gs === undefined || ps === undefined) return false;
  if (settings.strict && !sameSet(relationVariables(g), relationVariables(p))) return false;
  return equalNodes(gs, ps, depth + 1);
}

const INEQUALITY = new Set(['<', '>', '<=', '>=']);

/**
 * Strict (Math-Verify): two one-sided inequalities are the same when their sides' differences agree, with the sign
 * flipped for a mirrored relation (x < 1 ⇔ -x > -1 ⇔ 1 > x; 2x < 2 is not x < 1). Undefined when not polynomial.
 */
function inequalitiesUpToSign(g: Node & { t: 'rel' }, p: Node & { t: 'rel' }): boolean | undefined {
  if (g.xs.length !== 2 || p.xs.length !== 2) return undefined;
  const [gop, pop] = [g.ops[0] as string, p.ops[0] as string];
  if (!INEQUALITY.has(gop) || !INEQUALITY.has(pop)) return undefined;
  const sign = gop === pop ? 1n : MIRROR[gop] === pop ? -1n : 0n;
  if (sign === 0n) return false;
  const fg = toFrac({ t: 'add', xs: [g.xs[0] as Node, { t: 'neg', x: g.xs[1] as Node }] });
  const fp = toFrac({ t: 'add', xs: [p.xs[0] as Node, { t: 'neg', x: p.xs[1] as Node }] });
  if (!fg || !fp || !constantOf(fg.den) || !constantOf(fp.den)) return undefined;
  if (!onlyPlainAtoms(fg.num) || !onlyPlainAtoms(fp.num)) return undefined;
  const c = proportional(fg.num, fp.num);
  return c !== undefined && c.d === 1n && c.n === sign;
}

const textOf = (n: Node): string | undefined =>
  n.t === 'text'
    ? n.s.replace(/[\s.,!]+/g, '')
    : n.t === 'sym' && n.name.startsWith('word:')
      ? n.name.slice(5).toLowerCase()
      : undefined;

/** A list of inequalities joined by "or" (x < 2 or x > 3) as a union of intervals, else undefined. */
function listAsUnion(n: Node): Node | undefined {
  if (n.t !== 'list' || !n.xs.every((x) => x.t === 'rel')) return undefined;
  const parts = n.xs.map((x) => relationToSet(x as Node & { t: 'rel' }));
  if (parts.some((x) => x === undefined || x.t === 'set')) return undefined;
  return {
    t: 'union',
    xs: parts.flatMap((x) => ((x as Node).t === 'union' ? (x as Node & { t: 'union' }).xs : [x as Node])),
  };
}

/** Ratios: same quotient when both second terms are nonzero (11:21 = 22:42), else term by term (12:00 ≠ 24:00). */
function ratioEqual(g: Node & { t: 'ratio' }, p: Node, depth: number): boolean {
  const quotient = (r: Node & { t: 'ratio' }): Node | undefined => {
    if (r.xs.length !== 2) return undefined;
    const d = evalQ(r.xs[1] as Node);
    if (d === null || d.n === 0n) return undefined;
    return { t: 'div', a: r.xs[0] as Node, b: r.xs[1] as Node };
  };
  if (p.t === 'ratio') {
    const gq = quotient(g);
    const pq = quotient(p);
    if (gq && pq) return equalNodes(gq, pq, depth + 1);
    return !gq && !pq && orderedEqual(g.xs, p.xs, depth);
  }
  const gq = quotient(g);
  return gq !== undefined && isScalar(p) && equalNodes(gq, p, depth + 1);
}

/** Are two parsed answers the same answer under `options` (precision, strict)? */
export function compareAnswers(g: Node, p: Node, options: CompareOptions = DEFAULT_COMPARE): boolean {
  const saved = settings;
  settings = options;
  try {
    return equalNodes(g, p);
  } finally {
    settings = saved;
  }
}

/** A ± inside an expression, (-1 ± √5)/2, as the list of its two values; else undefined. */
function expandPm(n: Node): Node | undefined {
  if (!['add', 'mul', 'neg', 'div', 'pow', 'fn'].includes(n.t) || !key(n).includes('(±')) return undefined;
  const plus = (x: Node): Node => replacePm(x, false);
  const minus = (x: Node): Node => replacePm(x, true);
  return { t: 'list', xs: [plus(n), minus(n)] };
}

function replacePm(n: Node, negative: boolean, depth = 0): Node {
  if (depth > 32) return n;
  const r = (x: Node): Node => replacePm(x, negative, depth + 1);
  switch (n.t) {
    case 'pm':
      return { t: 'add', xs: [r(n.a), negative ? { t: 'neg', x: r(n.b) } : r(n.b)] };
    case 'add':
    case 'mul':
      return { t: n.t, xs: n.xs.map(r) };
    case 'neg':
      return { t: 'neg', x: r(n.x) };
    case 'div':
    case 'pow':
      return { t: n.t, a: r(n.a), b: r(n.b) };
    case 'fn':
      return { t: 'fn', name: n.name, args: n.args.map(r) };
    default:
      return n;
  }
}

/** The two sides of a stated computation agree (5! = 120, a matrix product = its result). */
const sameValue = (a: Node, b: Node): boolean => equalNodes(a, b, 8);

/** Are two parsed answers the same answer? */
export function equalNodes(gIn: Node, pIn: Node, depth = 0): boolean {
  if (depth > 16) return false;
  const gm = evalMatrix(gIn);
  const pm = evalMatrix(pIn);
  const g = expandPm(gm) ?? gm;
  const p = expandPm(pm) ?? pm;
  if (g.t === 'rel' && p.t === 'rel' && relationEqual(g, p, depth)) return true;
  if (g.t === 'rel') {
    if (p.t === 'rel') {
      // gold "x = 2", answer "x = 1 + 1 = 2": the same label stating the same value (any labels when not strict)
      const gv = statedValue(g, settings.strict, sameValue);
      const pv = statedValue(p, settings.strict, sameValue);
      const sameLabel = !settings.strict || key(g.xs[0] as Node).toLowerCase() === key(p.xs[0] as Node).toLowerCase();
      return gv !== undefined && pv !== undefined && sameLabel && equalNodes(gv, pv, depth + 1);
    }
    // gold "x = 3" vs answer "3" (a gold relation such as x + y = 5 stays a relation when strict)
    const value = statedValue(g, settings.strict, sameValue);
    if (value !== undefined) return equalNodes(value, p, depth + 1);
    const range = relationToSet(g);
    return range !== undefined && equalNodes(range, p, depth + 1);
  }
  if (p.t === 'rel') {
    // answer "x = 3" (or "x = 1 + 2 = 3", "x \in [1, 2]", "22/7 \approx 3.14"): the value it states
    const value = statedValue(p, false, sameValue);
    if (value !== undefined) return equalNodes(g, value, depth + 1);
    const range = relationToSet(p);
    return range !== undefined && equalNodes(g, range, depth + 1);
  }
  if (g.t === 'ratio') return ratioEqual(g, p, depth);
  if (p.t === 'ratio') return ratioEqual(p, g, depth);
  const gt = textOf(g);
  const pt = textOf(p);
  if (gt !== undefined || pt !== undefined) return gt !== undefined && gt === pt;
  if (g.t === 'pm') {
    if (p.t === 'pm') return equalNodes(g.a, p.a, depth + 1) && equalNodes(g.b, p.b, depth + 1);
    if (p.t === 'set' || p.t === 'list') {
      const both: Node[] = [
        { t: 'add', xs: [g.a, g.b] },
        { t: 'add', xs: [g.a, { t: 'neg', x: g.b }] },
      ];
      return unorderedEqual(both, p.xs, depth);
    }
    return false;
  }
  if (p.t === 'pm') return (g.t === 'set' || g.t === 'list') && equalNodes(p, g, depth + 1);
  if (g.t === 'union' && p.t === 'list') {
    const u = listAsUnion(p);
    return u !== undefined && equalNodes(g, u, depth + 1);
  }
  if ((g.t === 'set' || g.t === 'list') && (p.t === 'set' || p.t === 'list')) return unorderedEqual(g.xs, p.xs, depth);
  if (g.t === 'seq') {
    if (p.t === 'seq') return g.open === p.open && g.close === p.close && orderedEqual(g.xs, p.xs, depth);
    // "x = 1, y = 2" answers the point (1, 2); so does a bare "1, 2" in the same order (Math-Verify reads both as the
    // pair's ends); longer bare lists do not answer a tuple
    if (p.t === 'list')
      return (
        g.open === '(' &&
        g.close === ')' &&
        (p.xs.every((x) => x.t === 'rel') || p.xs.length === 2) &&
        orderedEqual(g.xs, p.xs, depth)
      );
    if (p.t === 'matrix') return equalNodes(p, g, depth + 1);
    if (p.t === 'union') return p.xs.length === 1 && equalNodes(g, p.xs[0] as Node, depth + 1);
    return false;
  }
  if (g.t === 'union') return p.t === 'union' && unorderedEqual(g.xs, p.xs, depth);
  if (g.t === 'matrix') {
    if (p.t === 'matrix') {
      return g.rows.length === p.rows.length && g.rows.every((row, i) => orderedEqual(row, p.rows[i] as Node[], depth));
    }
    // a column vector written as a tuple
    if (p.t === 'seq' && p.open === '(' && p.close === ')' && g.rows.every((r) => r.length === 1))
      return orderedEqual(
        g.rows.map((r) => r[0] as Node),
        p.xs,
        depth,
      );
    return false;
  }
  if (!isScalar(g) || !isScalar(p)) return false;
  return scalarEqual(g, p);
}
