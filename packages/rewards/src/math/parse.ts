/**
 * A small, bounded parser for final answers written in LaTeX or plain text (`\frac{1}{2}`, `sqrt(2)/2`, `[1, 3)`,
 * `\{1, 2\}`, `x = 3`, `\begin{pmatrix}…\end{pmatrix}`, `50\%`, `1,000`). It plays the role of math-verify's
 * latex2sympy step (the verifier behind open-r1's accuracy reward) without a CAS: the output is a plain AST that
 * `equivalence.ts` evaluates. We wrote our own rather than use @cortex-js/compute-engine because that needs Node ≥ 22.3
 * and several MB, and because every limit here (input length, nesting depth, token count) must be ours to enforce.
 * Leaves out: integrals, sums, limits, derivatives, logic, and multi-letter variable names (a letter run such as `xy`
 * or `odd` is one opaque word, so `xy` ≠ `yx`: a false negative we accept to keep `odd` ≠ `dod`).
 */

/** A parse failure: the answer is not something we can read. */
export class MathParseError extends Error {
  readonly code = 'math_parse';
}

export type Node =
  | { t: 'num'; n: bigint; d: bigint; decimals?: number } // exact literal; `decimals` = digits after the point
  | { t: 'sym'; name: string } // variable or constant (pi, e, inf); multi-letter runs are opaque words
  | { t: 'add'; xs: Node[] }
  | { t: 'mul'; xs: Node[] }
  | { t: 'neg'; x: Node }
  | { t: 'div'; a: Node; b: Node }
  | { t: 'pow'; a: Node; b: Node }
  | { t: 'fn'; name: string; args: Node[] } // sqrt, root, sin…, log, ln, abs, fact, binom, floor, ceil
  | { t: 'pct'; x: Node } // x%
  | { t: 'pm'; a: Node; b: Node } // a ± b
  | { t: 'seq'; open: '(' | '['; close: ')' | ']'; xs: Node[] } // tuples and intervals
  | { t: 'set'; xs: Node[] }
  | { t: 'list'; xs: Node[] } // a bare comma list: "1, 2"
  | { t: 'union'; xs: Node[] }
  | { t: 'rel'; ops: string[]; xs: Node[] } // x = 3, 1 < x \le 2, x \approx 3.14 (op "~=")
  | { t: 'ratio'; xs: Node[] } // 11:21, 12:00
  | { t: 'matrix'; rows: Node[][] }
  | { t: 'text'; s: string };

import { normalizeAnswer } from './normalize.js';

export { normalizeAnswer };
export const MAX_DEPTH = 64;
export const MAX_TOKENS = 1000;

const FUNCS = new Set([
  'sin',
  'cos',
  'tan',
  'sec',
  'csc',
  'cot',
  'arcsin',
  'arccos',
  'arctan',
  'sinh',
  'cosh',
  'tanh',
  'log',
  'ln',
  'lg',
  'exp',
  'sqrt',
  'max',
  'min',
  'gcd',
  'lcm',
]);
const GREEK = new Set(
  'alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi rho sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Sigma Phi Psi Omega'.split(
    ' ',
  ),
);
type Tok =
  | { k: 'num'; s: string }
  | { k: 'word'; s: string } // letters (one letter = a variable, more = a word or a function name)
  | { k: 'cmd'; s: string } // \frac, \pi, \{, \\
  | { k: 'op'; s: string }; // single punctuation character

const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+(?![a-zA-Z]))?/y;

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    if (out.length > MAX_TOKENS) throw new MathParseError(`answer has more than ${MAX_TOKENS} tokens`);
    const c = s[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    NUMBER.lastIndex = i;
    const num = NUMBER.exec(s);
    if (num) {
      out.push({ k: 'num', s: num[0] });
      i += num[0].length;
      continue;
    }
    if (/[a-zA-Z]/.test(c)) {
      let j = i;
      while (j < s.length && /[a-zA-Z]/.test(s[j] as string)) j++;
      out.push({ k: 'word', s: s.slice(i, j) });
      i = j;
      continue;
    }
    if (c === '\\') {
      const next = s[i + 1];
      if (next === undefined) throw new MathParseError('dangling backslash');
      if (/[a-zA-Z]/.test(next)) {
        let j = i + 1;
        while (j < s.length && /[a-zA-Z]/.test(s[j] as string)) j++;
        out.push({ k: 'cmd', s: s.slice(i + 1, j) });
        i = j;
      } else {
        out.push({ k: 'cmd', s: next });
        i += 2;
      }
      continue;
    }
    if (/[+\-*/^_()[\]{}|,=<>!%&'.:]/.test(c)) {
      if ((c === '<' || c === '>' || c === '!') && s[i + 1] === '=') {
        out.push({ k: 'op', s: `${c}=` });
        i += 2;
        continue;
      }
      if (c === '*' && s[i + 1] === '*') {
        out.push({ k: 'op', s: '^' });
        i += 2;
        continue;
      }
      out.push({ k: 'op', s: c });
      i++;
      continue;
    }
    throw new MathParseError(`unexpected character ${JSON.stringify(c)}`);
  }
  return out;
}

const REL: Record<string, string> = {
  '=': '=',
  '<': '<',
  '>': '>',
  '<=': '<=',
  '>=': '>=',
  '!=': '!=',
  le: '<=',
  leq: '<=',
  leqslant: '<=',
  ge: '>=',
  geq: '>=',
  geqslant: '>=',
  ne: '!=',
  neq: '!=',
  lt: '<',
  gt: '>',
  in: 'in',
  approx: '~=', // "22/7 \approx 3.14": the exact value before it counts (equivalence.ts)
};

function numberNode(s: string): Node {
  const m = /^(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s);
  if (!m) throw new MathParseError(`bad number ${s}`);
  const intPart = m[1] ?? '';
  const frac = m[2] ?? '';
  const exp = Number(m[3] ?? '0');
  if (Math.abs(exp) > 400) throw new MathParseError(`exponent too large in ${s}`);
  let n = BigInt(intPart + frac || '0');
  let d = 10n ** BigInt(frac.length);
  if (exp > 0) n *= 10n ** BigInt(exp);
  else if (exp < 0) d *= 10n ** BigInt(-exp);
  const node: Node = { t: 'num', n, d };
  if (m[2] !== undefined && m[3] === undefined) node.decimals = frac.length;
  return node;
}

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly toks: Tok[]) {}

  private peek(o = 0): Tok | undefined {
    return this.toks[this.i + o];
  }
  private isOp(s: string, o = 0): boolean {
    const t = this.peek(o);
    return t !== undefined && t.k === 'op' && t.s === s;
  }
  private isCmd(s: string, o = 0): boolean {
    const t = this.peek(o);
    return t !== undefined && t.k === 'cmd' && t.s === s;
  }
  private expectOp(s: string): void {
    if (!this.isOp(s)) throw new MathParseError(`expected ${s} at token ${this.i}`);
    this.i++;
  }
  private enter(): void {
    if (++this.depth > MAX_DEPTH) throw new MathParseError(`nesting deeper than ${MAX_DEPTH}`);
  }
  private leave(): void {
    this.depth--;
  }

  parseTop(): Node {
    const node = this.parseList();
    if (this.i < this.toks.length) throw new MathParseError(`unexpected token at ${this.i}`);
    return node;
  }

  /** Comma list (a bare list when more than one item). */
  private parseList(): Node {
    const xs = [this.parseRel()];
    while (this.isOp(',')) {
      this.i++;
      if (this.i >= this.toks.length) break; // trailing comma
      xs.push(this.parseRel());
    }
    return xs.length === 1 ? (xs[0] as Node) : { t: 'list', xs };
  }

  private relOp(): string | undefined {
    const t = this.peek();
    if (!t) return undefined;
    if (t.k === 'op' || t.k === 'cmd') return REL[t.s];
    return undefined;
  }

  private parseRel(): Node {
    const xs = [this.parseRatio()];
    const ops: string[] = [];
    for (let op = this.relOp(); op !== undefined; op = this.relOp()) {
      this.i++;
      ops.push(op);
      xs.push(this.parseRatio());
    }
    return ops.length === 0 ? (xs[0] as Node) : { t: 'rel', ops, xs };
  }

  /** a : b (a ratio, or a time such as 12:00). */
  private parseRatio(): Node {
    const xs = [this.parseUnion()];
    while (this.isOp(':')) {
      this.i++;
      xs.push(this.parseUnion());
    }
    return xs.length === 1 ? (xs[0] as Node) : { t: 'ratio', xs };
  }

  private parseUnion(): Node {
    const xs = [this.parseAdd()];
    while (this.isCmd('cup') || (this.peek()?.k === 'word' && this.peek()?.s === 'U')) {
      this.i++;
      xs.push(this.parseAdd());
    }
    return xs.length === 1 ? (xs[0] as Node) : { t: 'union', xs };
  }

  private parseAdd(): Node {
    this.enter();
    let left = this.parseUnary();
    for (;;) {
      if (this.isOp('+')) {
        this.i++;
        left = add(left, this.parseUnary());
      } else if (this.isOp('-')) {
        this.i++;
        left = add(left, { t: 'neg', x: this.parseUnary() });
      } else if (this.isCmd('pm') || this.isCmd('mp')) {
        this.i++;
        left = { t: 'pm', a: left, b: this.parseUnary() };
      } else break;
    }
    this.leave();
    return left;
  }

  private parseUnary(): Node {
    this.enter();
    let node: Node;
    if (this.isOp('-')) {
      this.i++;
      node = { t: 'neg', x: this.parseUnary() };
    } else if (this.isOp('+')) {
      this.i++;
      node = this.parseUnary();
    } else if (this.isCmd('pm') || this.isCmd('mp')) {
      this.i++;
      node = { t: 'pm', a: { t: 'num', n: 0n, d: 1n }, b: this.parseUnary() };
    } else node = this.parseMul();
    this.leave();
    return node;
  }

  private startsPrimary(): boolean {
    const t = this.peek();
    if (!t) return false;
    if (t.k === 'num' || t.k === 'word') return true;
    if (t.k === 'op') return t.s === '(' || t.s === '{' || (t.s === '|' && this.absDepth === 0);
    return (
      !['cdot', 'times', 'div', 'pm', 'mp', 'cup', '}', '\\', 'end', 'rfloor', 'rceil', 'right'].includes(t.s) &&
      REL[t.s] === undefined
    );
  }

  private parseMul(): Node {
    let left = this.parsePow();
    for (;;) {
      if (this.isOp('*') || this.isCmd('cdot') || this.isCmd('times')) {
        this.i++;
        left = mul(left, this.parsePow());
      } else if (this.isOp('/') || this.isCmd('div')) {
        this.i++;
        left = { t: 'div', a: left, b: this.parsePow() };
      } else if (this.isOp('|') && this.absDepth > 0) {
        break; // closing bar of |…|
      } else if (this.startsPrimary()) {
        const next = this.peek() as Tok;
        // mixed number: 2\frac{1}{2} = 2 + 1/2 (MATH convention)
        if (left.t === 'num' && left.decimals === undefined && next.k === 'cmd' && next.s === 'frac') {
          const frac = this.parsePow();
          if (frac.t === 'div' && frac.a.t === 'num' && frac.b.t === 'num') {
            left = add(left, frac);
            continue;
          }
          left = mul(left, frac);
          continue;
        }
        if (next.k === 'num' && endsWithNumber(left)) throw new MathParseError('two numbers side by side');
        left = mul(left, this.parsePow());
      } else break;
    }
    return left;
  }

  private absDepth = 0;

  private parsePow(): Node {
    this.enter();
    let base = this.parsePostfix(this.parsePrimary());
    if (this.isOp('^')) {
      this.i++;
      let exp: Node;
      if (this.isOp('-')) {
        this.i++;
        exp = { t: 'neg', x: this.parsePowArg() };
      } else exp = this.parsePowArg();
      base = this.parsePostfix({ t: 'pow', a: base, b: exp });
    }
    this.leave();
    return base;
  }

  /** An exponent: a braced group, or a single token (x^2, x^\pi), with right-associative ^ (a^b^c = a^(b^c)). */
  private parsePowArg(): Node {
    const arg = this.parseArg();
    if (this.isOp('^')) {
      this.i++;
      return { t: 'pow', a: arg, b: this.parsePowArg() };
    }
    return arg;
  }

  private parsePostfix(node: Node): Node {
    let n = node;
    for (;;) {
      if (this.isOp('!')) {
        this.i++;
        n = { t: 'fn', name: 'fact', args: [n] };
      } else if (this.isOp("'") && n.t === 'sym') {
        // f'(x): a primed name
        this.i++;
        n = { t: 'sym', name: `${n.name}'` };
      } else if (this.isOp('%')) {
        this.i++;
        n = { t: 'pct', x: n };
      } else if (this.isOp('_') && n.t === 'num' && n.d === 1n && n.decimals === undefined) {
        // a numeral with its base: 204_5 (an opaque numeral, compared by digits and base)
        this.i++;
        const base = this.parseArg();
        if (base.t !== 'num' || base.d !== 1n || base.n < 2n || base.n > 36n)
          throw new MathParseError('bad base subscript');
        n = { t: 'text', s: `${n.n}_${base.n}` };
      } else if (this.isOp('_') && n.t === 'sym') {
        // subscripted variable x_1 → symbol "x_1"
        this.i++;
        const sub = this.parseArg();
        n = { t: 'sym', name: `${n.name}_${key(sub)}` };
      } else return n;
    }
  }

  /** A LaTeX argument: `{…}` or one token (`\frac12`, `x^2`). */
  private parseArg(): Node {
    if (this.isOp('{')) {
      this.i++;
      const inner = this.parseList();
      this.expectOp('}');
      return inner;
    }
    const t = this.peek();
    if (t?.k === 'num') {
      // \frac12 means \frac{1}{2}: one digit per argument
      this.i++;
      if (t.s.length > 1 && /^\d+$/.test(t.s)) {
        this.toks.splice(this.i, 0, { k: 'num', s: t.s.slice(1) });
        return numberNode(t.s[0] as string);
      }
      return numberNode(t.s);
    }
    if (t?.k === 'word' && t.s.length > 1) {
      // x^ab: only the first letter is the argument
      this.i++;
      this.toks.splice(this.i, 0, { k: 'word', s: t.s.slice(1) });
      return letterNode(t.s[0] as string);
    }
    return this.parsePrimary();
  }

  private parseGroupItems(): Node[] {
    const xs = [this.parseRel()];
    while (this.isOp(',')) {
      this.i++;
      xs.push(this.parseRel());
    }
    return xs;
  }

  private parsePrimary(): Node {
    this.enter();
    try {
      return this.primary();
    } finally {
      this.leave();
    }
  }

  private primary(): Node {
    const t = this.peek();
    if (!t) throw new MathParseError('unexpected end of answer');
    this.i++;
    if (t.k === 'num') return numberNode(t.s);
    if (t.k === 'word') return this.wordNode(t.s);
    if (t.k === 'op') {
      if (t.s === '(' || t.s === '[') {
        const xs = this.parseGroupItems();
        const close = this.peek();
        if (close?.k !== 'op' || (close.s !== ')' && close.s !== ']')) throw new MathParseError('unclosed bracket');
        this.i++;
        if (xs.length === 1 && t.s === '(' && close.s === ')') return xs[0] as Node;
        if (xs.length === 1 && t.s === '[' && close.s === ']') return xs[0] as Node;
        return { t: 'seq', open: t.s, close: close.s as ')' | ']', xs };
      }
      if (t.s === '{') {
        const inner = this.parseList();
        this.expectOp('}');
        return inner;
      }
      if (t.s === '|') {
        this.absDepth++;
        const inner = this.parseAdd();
        this.absDepth--;
        this.expectOp('|');
        return { t: 'fn', name: 'abs', args: [inner] };
      }
      throw new MathParseError(`unexpected ${t.s}`);
    }
    return this.command(t.s);
  }

  private wordNode(w: string): Node {
    if (w === 'sqrt') {
      return { t: 'fn', name: 'sqrt', args: [this.parsePrimary()] };
    }
    if (FUNCS.has(w)) return this.func(w);
    if (w === 'pi') return { t: 'sym', name: 'pi' };
    if (w === 'inf' || w === 'infty' || w === 'infinity') return { t: 'sym', name: 'inf' };
    if (w.length === 1) return letterNode(w);
    if (w.length === 2) {
      // "xy" is x·y (common in algebra); longer runs are words, so "odd" ≠ "dod"
      this.toks.splice(this.i, 0, { k: 'word', s: w.slice(1) });
      return letterNode(w[0] as string);
    }
    return { t: 'sym', name: `word:${w}` };
  }

  /** sin x, sin(x), sin^2 x, log_2 8, \ln x. */
  private func(name: string): Node {
    let power: Node | undefined;
    let base: Node | undefined;
    for (;;) {
      if (this.isOp('^') && power === undefined) {
        this.i++;
        power = this.parseArg();
      } else if (this.isOp('_') && base === undefined) {
        this.i++;
        base = this.parseArg();
      } else break;
    }
    let arg = this.isOp('(') ? this.parsePrimary() : this.parsePow();
    // \sin 2x is sin(2x): an unparenthesised argument runs over juxtaposed numbers and single letters
    for (
      let t = this.peek();
      t !== undefined && (t.k === 'word' ? t.s.length <= 2 && !FUNCS.has(t.s) : false);
      t = this.peek()
    )
      arg = mul(arg, this.parsePow());
    const fname = name === 'lg' ? 'log10' : name;
    let node: Node =
      base !== undefined ? { t: 'fn', name: 'logb', args: [base, arg] } : { t: 'fn', name: fname, args: [arg] };
    if (power !== undefined) {
      // sin^{-1} is arcsin; sin^2 x is (sin x)^2
      if (power.t === 'neg' && power.x.t === 'num' && power.x.n === 1n && power.x.d === 1n && base === undefined)
        node = { t: 'fn', name: `arc${name}`, args: [arg] };
      else node = { t: 'pow', a: node, b: power };
    }
    return node;
  }

  private command(c: string): Node {
    switch (c) {
      case 'frac': {
        const a = this.parseArg();
        const b = this.parseArg();
        return { t: 'div', a, b };
      }
      case 'binom':
        return { t: 'fn', name: 'binom', args: [this.parseArg(), this.parseArg()] };
      case 'sqrt': {
        if (this.isOp('[')) {
          this.i++;
          const n = this.parseAdd();
          this.expectOp(']');
          return { t: 'fn', name: 'root', args: [this.parseArg(), n] };
        }
        return { t: 'fn', name: 'sqrt', args: [this.parseArg()] };
      }
      case 'pi':
        return { t: 'sym', name: 'pi' };
      case 'overline': {
        // \overline{AB}: a segment's name, as written (repeating decimals were rewritten in normalize)
        const start = this.i;
        this.parseArg();
        const raw = this.toks
          .slice(start, this.i)
          .map((t) => t.s)
          .join('');
        return { t: 'sym', name: `overline:${raw}` };
      }
      case 'infty':
      case 'infin':
        return { t: 'sym', name: 'inf' };
      case 'emptyset':
      case 'varnothing':
        return { t: 'set', xs: [] };
      case '{': {
        if (this.isCmd('}')) {
          this.i++;
          return { t: 'set', xs: [] };
        }
        const xs = this.parseGroupItems();
        if (!this.isCmd('}')) throw new MathParseError('unclosed \\{');
        this.i++;
        return { t: 'set', xs };
      }
      case 'lfloor':
      case 'lceil': {
        const inner = this.parseAdd();
        if (!this.isCmd(c === 'lfloor' ? 'rfloor' : 'rceil')) throw new MathParseError(`unclosed \\${c}`);
        this.i++;
        return { t: 'fn', name: c === 'lfloor' ? 'floor' : 'ceil', args: [inner] };
      }
      case 'lvert':
      case 'vert': {
        const inner = this.parseAdd();
        if (!this.isCmd('rvert') && !this.isCmd('vert')) throw new MathParseError('unclosed \\lvert');
        this.i++;
        return { t: 'fn', name: 'abs', args: [inner] };
      }
      case 'text':
        return this.text();
      case 'begin':
        return this.matrix();
      case 'boxed':
      case 'fbox':
        return this.parseArg();
      case 'exp':
        return this.func('exp');
      default:
        if (FUNCS.has(c)) return this.func(c);
        if (GREEK.has(c)) return { t: 'sym', name: c };
        throw new MathParseError(`unknown command \\${c}`);
    }
  }

  /** \text{…}: a word answer ("\text{Monday}") or a choice letter ("\text{(B)}"). */
  private text(): Node {
    if (!this.isOp('{')) throw new MathParseError('\\text without braces');
    this.i++;
    const parts: string[] = [];
    let depth = 1;
    while (this.i < this.toks.length) {
      const t = this.toks[this.i] as Tok;
      this.i++;
      if (t.k === 'op' && t.s === '{') depth++;
      if (t.k === 'op' && t.s === '}' && --depth === 0) break;
      parts.push(t.k === 'cmd' ? `\\${t.s}` : t.s);
    }
    if (depth !== 0) throw new MathParseError('unclosed \\text');
    const s = parts.join(' ').trim();
    // a number inside \text{} is just a number
    if (/^-?\d+(?:\.\d+)?$/.test(s.replace(/ /g, ''))) return numberNode(s.replace(/[ -]/g, ''));
    return { t: 'text', s: s.toLowerCase() };
  }

  /** \begin{pmatrix} a & b \\ c & d \end{pmatrix} (also bmatrix, matrix, array). */
  private matrix(): Node {
    this.expectOp('{');
    const env = this.peek();
    if (env?.k !== 'word') throw new MathParseError('bad \\begin');
    this.i++;
    this.expectOp('}');
    if (!/^[pbBvV]?matrix|array$/.test(env.s)) throw new MathParseError(`unsupported environment ${env.s}`);
    if (env.s === 'array' && this.isOp('{')) {
      while (this.i < this.toks.length && !this.isOp('}')) this.i++;
      this.expectOp('}');
    }
    const rows: Node[][] = [];
    let row: Node[] = [];
    for (;;) {
      if (this.isCmd('end')) {
        this.i++;
        this.expectOp('{');
        this.i++;
        this.expectOp('}');
        if (row.length > 0) rows.push(row);
        break;
      }
      row.push(this.parseAdd());
      if (this.isOp('&')) this.i++;
      else if (this.isCmd('\\')) {
        this.i++;
        rows.push(row);
        row = [];
      } else if (!this.isCmd('end')) throw new MathParseError('bad matrix cell');
    }
    const width = rows[0]?.length ?? 0;
    if (width === 0 || rows.some((r) => r.length !== width)) throw new MathParseError('ragged matrix');
    return { t: 'matrix', rows };
  }
}

function letterNode(w: string): Node {
  return { t: 'sym', name: w };
}

function endsWithNumber(n: Node): boolean {
  if (n.t === 'num') return true;
  if (n.t === 'mul') return endsWithNumber(n.xs[n.xs.length - 1] as Node);
  return false;
}

function add(a: Node, b: Node): Node {
  return a.t === 'add' ? { t: 'add', xs: [...a.xs, b] } : { t: 'add', xs: [a, b] };
}

function mul(a: Node, b: Node): Node {
  return a.t === 'mul' ? { t: 'mul', xs: [...a.xs, b] } : { t: 'mul', xs: [a, b] };
}

/** Canonical text of a node: commutative operands sorted, so `x + 1` and `1 + x` share a key. */
export function key(n: Node): string {
  switch (n.t) {
    case 'num':
      return n.d === 1n ? n.n.toString() : `${n.n}/${n.d}`;
    case 'sym':
      return n.name;
    case 'add':
      return `(+ ${n.xs.map(key).sort().join(' ')})`;
    case 'mul':
      return `(* ${n.xs.map(key).sort().join(' ')})`;
    case 'neg':
      return `(- ${key(n.x)})`;
    case 'div':
      return `(/ ${key(n.a)} ${key(n.b)})`;
    case 'pow':
      return `(^ ${key(n.a)} ${key(n.b)})`;
    case 'fn':
      return `(${n.name} ${n.args.map(key).join(' ')})`;
    case 'pct':
      return `(% ${key(n.x)})`;
    case 'pm':
      return `(± ${key(n.a)} ${key(n.b)})`;
    case 'seq':
      return `${n.open}${n.xs.map(key).join(', ')}${n.close}`;
    case 'set':
      return `{${n.xs.map(key).sort().join(', ')}}`;
    case 'list':
      return `(list ${n.xs.map(key).join(', ')})`;
    case 'union':
      return `(∪ ${n.xs.map(key).sort().join(' ')})`;
    case 'rel':
      return `(rel ${n.xs.map((x, i) => `${key(x)} ${n.ops[i] ?? ''}`).join(' ')})`;
    case 'ratio':
      return `(: ${n.xs.map(key).join(' ')})`;
    case 'matrix':
      return `[${n.rows.map((r) => r.map(key).join(' & ')).join(' \\\\ ')}]`;
    case 'text':
      return `"${n.s}"`;
  }
}

/** Words may stand alone or in collections, not inside arithmetic ("\text{(C)} 12" is not a product). */
function checkNoTextInArithmetic(n: Node, inArithmetic: boolean): void {
  if (n.t === 'text' && inArithmetic) throw new MathParseError(`text "${n.s}" inside an expression`);
  const arithmetic = inArithmetic || ['add', 'mul', 'neg', 'div', 'pow', 'fn', 'pct', 'pm'].includes(n.t);
  const kids: Node[] =
    n.t === 'add' ||
    n.t === 'mul' ||
    n.t === 'seq' ||
    n.t === 'set' ||
    n.t === 'list' ||
    n.t === 'union' ||
    n.t === 'rel' ||
    n.t === 'ratio'
      ? n.xs
      : n.t === 'neg' || n.t === 'pct'
        ? [n.x]
        : n.t === 'div' || n.t === 'pow' || n.t === 'pm'
          ? [n.a, n.b]
          : n.t === 'fn'
            ? n.args
            : n.t === 'matrix'
              ? n.rows.flat()
              : [];
  for (const k of kids) checkNoTextInArithmetic(k, arithmetic);
}

/** Parses a normalized answer string; throws MathParseError (and nothing else) when it cannot. */
export function parseAnswer(raw: string): Node {
  try {
    const s = normalizeAnswer(raw);
    if (s.length === 0) throw new MathParseError('empty answer');
    const node = new Parser(tokenize(s)).parseTop();
    checkNoTextInArithmetic(node, false);
    return node;
  } catch (err) {
    // a BigInt or stack limit hit while reading is still "cannot read this answer"
    if (err instanceof RangeError) throw new MathParseError(`answer too large to read: ${err.message}`);
    throw err;
  }
}
