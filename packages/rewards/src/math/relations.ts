/**
 * Relations as answers (Math-Verify's "equation and inequality parsing, with symbol assignment resolution" and
 * "relation evaluation with flip support"), and matrix arithmetic:
 * - labels: `x = 3`, `f(x) = 1`, `(p, q) = (3, 2)`, `V_1 : V_2 = 11 : 21`, `AB = 4`, `z = 1 + 5 = 6` answer with their
 *   last side; an answer equation always does (Math-Verify), a gold equation only when its left side is a label
 *   (no number, no sum: `x + y = 5` stays a relation);
 *   an `\approx` tail is dropped (`22/7 \approx 3.14` is 22/7) unless only a label precedes it;
 * - ranges: one-variable inequalities become intervals (`-x > -1` → (-∞, 1), `-2 \le x \le 7` → [-2, 7],
 *   `0 < f(x) < 1` → (0, 1), `1 \le |z| \le 3/2` → [-3/2, -1] ∪ [1, 3/2]); a list of them joined by "or" is a union;
 * - matrices written as sums, scalar multiples or products of matrices are evaluated cell by cell (exactly, as nodes).
 * Leaves out: systems of inequalities in several variables, nonlinear inequalities (other than |·| bounds).
 */
import type { Node } from './parse.js';
import { constantOf, toFrac } from './poly.js';

const INF: Node = { t: 'sym', name: 'inf' };
const NINF: Node = { t: 'neg', x: INF };

function hasNumberOrSum(n: Node, depth = 0): boolean {
  if (depth > 16) return true;
  switch (n.t) {
    case 'pow':
      // f^{-1}(x) names an inverse function
      return !(n.a.t === 'sym' && n.b.t === 'neg' && n.b.x.t === 'num' && n.b.x.n === 1n && n.b.x.d === 1n);
    case 'div':
      // NO/BO names a ratio of lengths
      return hasNumberOrSum(n.a, depth + 1) || hasNumberOrSum(n.b, depth + 1);
    case 'num':
    case 'add':
    case 'neg':
    case 'pct':
    case 'pm':
    case 'text':
    case 'rel':
    case 'matrix':
      return true;
    case 'sym':
      return n.name === 'inf' || n.name === 'pi';
    case 'mul':
    case 'seq':
    case 'ratio':
    case 'list':
      return n.xs.some((x) => hasNumberOrSum(x, depth + 1));
    case 'fn':
      return n.args.some((x) => hasNumberOrSum(x, depth + 1));
    default:
      return true;
  }
}

/** A left side that names the answer rather than computes it: x, f(x), (p, q), V_1 : V_2, AB. */
export function isLabel(n: Node): boolean {
  return !hasNumberOrSum(n);
}

/**
 * The value an answer relation states, or undefined when it is a genuine relation: `x = 3` → 3, `z = 1 + 5 = 6` → 6,
 * `x = \sqrt 2 \approx 1.41` → √2, `22/7 \approx 3.14` → 22/7, `x \approx 3.14` → 3.14, `x \in [1, 2]` → [1, 2].
 * With `requireLabel` (how a gold equation is read) the left side must name the value (`x + y = 5` is a relation,
 * not 5); an answer equation states its last side whatever its left (Math-Verify: `k = x + 1 + z` → x + 1 + z).
 * `same` checks that a constant left side equals the stated value (`5! = 120` states 120, `2 + 2 = 5` nothing).
 */
export function statedValue(
  r: Node & { t: 'rel' },
  requireLabel: boolean,
  same: (a: Node, b: Node) => boolean = () => true,
): Node | undefined {
  let xs = r.xs;
  let ops = r.ops;
  const approx = ops.indexOf('~=');
  if (approx >= 0) {
    const before = xs.slice(0, approx + 1);
    if (!before.every(isLabel)) {
      xs = before;
      ops = ops.slice(0, approx);
    } else {
      // only a label before ≈: the approximate value is the stated one
      xs = [xs[0] as Node, xs[approx + 1] as Node];
      ops = ['='];
    }
    if (xs.length === 1) return xs[0];
  }
  if (!ops.every((o) => o === '=' || o === 'in' || o === '~=')) return undefined;
  if (ops.includes('in') && ops.length > 1) return undefined;
  const left = xs[0] as Node;
  // a label names the value (x, f(x)); a constant left side is a computation whose result is stated (5! = 120),
  // but only a true one: "2 + 2 = 5" states nothing
  // a chain of three or more sides is a computation carried through to its value (A + B = M_1 + M_2 = M)
  if (requireLabel && !isLabel(left) && hasVariables(left) && xs.length < 3) return undefined;
  if (!isLabel(left) && !hasVariables(left) && !same(left, xs[xs.length - 1] as Node)) return undefined;
  return xs[xs.length - 1];
}

const FLIP: Record<string, string> = { '<': '>', '>': '<', '<=': '>=', '>=': '<=' };

interface Bound {
  value: Node;
  closed: boolean;
}

/** c·x + k with one variable x (exact rational c ≠ 0, k), else undefined. */
function linear(n: Node): { c: { n: bigint; d: bigint }; k: { n: bigint; d: bigint } } | undefined {
  const f = toFrac(n);
  if (f === undefined || constantOf(f.den) === undefined) return undefined;
  let c: { n: bigint; d: bigint } | undefined;
  let k = { n: 0n, d: 1n };
  for (const [mono, coef] of f.num) {
    if (mono === '') k = coef;
    else if (!mono.includes('\u0001') && mono.endsWith('^1') && !mono.startsWith('[') && c === undefined) c = coef;
    else return undefined;
  }
  return c === undefined ? undefined : { c, k };
}

const qNode = (q: { n: bigint; d: bigint }): Node =>
  q.n < 0n ? { t: 'neg', x: { t: 'num', n: -q.n, d: q.d } } : { t: 'num', n: q.n, d: q.d };

/** Solves `c·x + k op b` for x: the bound on x (op flips when c < 0), as a node `(b - k) / c`. */
function solve(side: Node, op: string, b: Node): { op: string; bound: Node } {
  const lin = linear(side);
  if (lin === undefined) return { op, bound: b };
  const bound: Node = { t: 'div', a: { t: 'add', xs: [b, { t: 'neg', x: qNode(lin.k) }] }, b: qNode(lin.c) };
  return { op: lin.c.n < 0n ? (FLIP[op] as string) : op, bound };
}

function hasVariables(n: Node, depth = 0): boolean {
  if (depth > 32) return true;
  if (n.t === 'sym') return !['pi', 'e', 'inf'].includes(n.name) && !n.name.startsWith('word:');
  const kids: Node[] =
    'xs' in n
      ? n.xs
      : n.t === 'fn'
        ? n.args
        : 'x' in n
          ? [n.x]
          : 'a' in n
            ? [n.a, n.b]
            : n.t === 'matrix'
              ? n.rows.flat()
              : [];
  return kids.some((k) => hasVariables(k, depth + 1));
}

function interval(lo: Bound, hi: Bound): Node {
  return { t: 'seq', open: lo.closed ? '[' : '(', close: hi.closed ? ']' : ')', xs: [lo.value, hi.value] };
}

/** Lower/upper bounds of `subject` from `subject op b` (op already oriented with the subject on the left). */
function oneSide(subject: Node, op: string, b: Node): { lo?: Bound; hi?: Bound; subject: Node } | undefined {
  const s = solve(subject, op, b);
  const closed = s.op === '<=' || s.op === '>=';
  if (s.op === '<' || s.op === '<=') return { hi: { value: s.bound, closed }, subject };
  if (s.op === '>' || s.op === '>=') return { lo: { value: s.bound, closed }, subject };
  return undefined;
}

/** |z| between bounds: [lo, hi] with lo ≥ 0 becomes [-hi, -lo] ∪ [lo, hi]; |z| < hi becomes (-hi, hi). */
function absRange(lo: Bound | undefined, hi: Bound | undefined): Node | undefined {
  const neg = (b: Bound): Bound => ({ value: { t: 'neg', x: b.value }, closed: b.closed });
  if (hi && !lo) return interval(neg(hi), hi);
  if (lo && !hi)
    return {
      t: 'union',
      xs: [interval({ value: NINF, closed: false }, neg(lo)), interval(lo, { value: INF, closed: false })],
    };
  if (lo && hi) return { t: 'union', xs: [interval(neg(hi), neg(lo)), interval(lo, hi)] };
  return undefined;
}

/**
 * The set a one-variable inequality describes, as an interval or a union of intervals (constant ends), or undefined.
 * `x > 3` → (3, ∞); `-x > -1` → (-∞, 1); `1 \le x < 2` → [1, 2); `0 < f(x) < 1` → (0, 1); `x \in [1, 2]` → [1, 2].
 */
export function relationToSet(r: Node & { t: 'rel' }): Node | undefined {
  if (r.xs.length === 2 && r.ops[0] === 'in' && hasVariables(r.xs[0] as Node)) return r.xs[1];
  if (r.xs.length === 2 && r.ops[0] === '!=') {
    // x \ne a: every real but a
    const [a, b] = r.xs as [Node, Node];
    if (hasVariables(a) === hasVariables(b)) return undefined;
    const s = hasVariables(a) ? solve(a, '<', b) : solve(b, '<', a);
    const open = (value: Node): Bound => ({ value, closed: false });
    return { t: 'union', xs: [interval(open(NINF), open(s.bound)), interval(open(s.bound), open(INF))] };
  }
  if (!r.ops.every((o) => o in FLIP)) return undefined;
  let lo: Bound | undefined;
  let hi: Bound | undefined;
  let subject: Node | undefined;
  if (r.xs.length === 2) {
    const [a, b] = r.xs as [Node, Node];
    const op = r.ops[0] as string;
    const av = hasVariables(a);
    if (av === hasVariables(b)) return undefined;
    const side = av ? oneSide(a, op, b) : oneSide(b, FLIP[op] as string, a);
    if (side === undefined) return undefined;
    ({ lo, hi, subject } = side);
  } else if (r.xs.length === 3) {
    const [a, m, b] = r.xs as [Node, Node, Node];
    if (hasVariables(a) || hasVariables(b) || !hasVariables(m)) return undefined;
    const left = oneSide(m, FLIP[r.ops[0] as string] as string, a);
    const right = oneSide(m, r.ops[1] as string, b);
    if (left === undefined || right === undefined) return undefined;
    lo = left.lo ?? right.lo;
    hi = left.hi ?? right.hi;
    if ((left.lo && right.lo) || (left.hi && right.hi)) return undefined;
    subject = m;
  } else return undefined;
  const inner = subject?.t === 'fn' && subject.name === 'abs' ? linear(subject.args[0] as Node) : undefined;
  if (inner !== undefined && inner.k.n === 0n && inner.c.n === inner.c.d) return absRange(lo, hi);
  return interval(lo ?? { value: NINF, closed: false }, hi ?? { value: INF, closed: false });
}

/** The variables a relation is about (for the strict check that `x < 1` and `y < 1` differ). */
export function relationVariables(n: Node, out = new Set<string>(), depth = 0): Set<string> {
  if (depth > 32) return out;
  if (n.t === 'sym') {
    if (!['pi', 'e', 'inf'].includes(n.name) && !n.name.startsWith('word:')) out.add(n.name);
    return out;
  }
  const kids: Node[] =
    'xs' in n
      ? n.xs
      : n.t === 'fn'
        ? n.args
        : 'x' in n
          ? [n.x]
          : 'a' in n
            ? [n.a, n.b]
            : n.t === 'matrix'
              ? n.rows.flat()
              : [];
  for (const k of kids) relationVariables(k, out, depth + 1);
  return out;
}

type Cells = Node[][];

function containsMatrix(n: Node, depth = 0): boolean {
  if (n.t === 'matrix') return true;
  if (depth > 8) return false;
  if (n.t === 'add' || n.t === 'mul') return n.xs.some((x) => containsMatrix(x, depth + 1));
  if (n.t === 'neg') return containsMatrix(n.x, depth + 1);
  return false;
}

function cells(n: Node, depth: number): Cells | undefined {
  if (depth > 8) return undefined;
  switch (n.t) {
    case 'matrix':
      return n.rows;
    case 'neg': {
      const m = cells(n.x, depth + 1);
      return m?.map((r) => r.map((x): Node => ({ t: 'neg', x })));
    }
    case 'add': {
      const ms = n.xs.map((x) => cells(x, depth + 1));
      if (ms.some((m) => m === undefined)) return undefined;
      const [first, ...rest] = ms as Cells[];
      if (!first || rest.some((m) => m.length !== first.length || m[0]?.length !== first[0]?.length)) return undefined;
      return first.map((row, i) =>
        row.map((_, j): Node => ({ t: 'add', xs: ms.map((m) => (m as Cells)[i]?.[j] as Node) })),
      );
    }
    case 'mul': {
      let acc: Cells | undefined;
      const scalars: Node[] = [];
      for (const x of n.xs) {
        if (!containsMatrix(x)) {
          scalars.push(x);
          continue;
        }
        const m = cells(x, depth + 1);
        if (m === undefined) return undefined;
        if (acc === undefined) acc = m;
        else {
          const inner = acc[0]?.length ?? 0;
          if (inner !== m.length || acc.length * (m[0]?.length ?? 0) * inner > 4096) return undefined;
          const left: Cells = acc;
          acc = left.map((row) =>
            (m[0] as Node[]).map(
              (_, j): Node => ({ t: 'add', xs: row.map((a, k): Node => ({ t: 'mul', xs: [a, m[k]?.[j] as Node] })) }),
            ),
          );
        }
      }
      if (acc === undefined) return undefined;
      return scalars.length === 0 ? acc : acc.map((r) => r.map((x): Node => ({ t: 'mul', xs: [...scalars, x] })));
    }
    default:
      return undefined;
  }
}

/** A sum / product / multiple of matrices evaluated to one matrix (cells as unevaluated nodes); else the node. */
export function evalMatrix(n: Node): Node {
  if (n.t === 'matrix' || !containsMatrix(n)) return n;
  const m = cells(n, 0);
  return m === undefined ? n : { t: 'matrix', rows: m };
}
