/**
 * Writes benchmarks/results/sympy-cases.json for sympy-proxy.py: the corpus cases whose gold and extracted answer are
 * both plain expressions, printed as SymPy source from our own parse trees (so SymPy never sees LaTeX; its share of
 * Math-Verify's work is then a lower bound of Math-Verify's cost). Not part of the tests.
 * Run: npx tsx --conditions=source packages/rewards/bench/sympy-cases.ts
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { extractAnswer, extractGold } from '../src/math/extract.js';
import { type Node, parseAnswer } from '../src/math/parse.js';

const FN: Record<string, string> = {
  ln: 'log',
  log10: 'log10',
  abs: 'Abs',
  fact: 'factorial',
  ceil: 'ceiling',
  binom: 'binomial',
  arcsin: 'asin',
  arccos: 'acos',
  arctan: 'atan',
};

function sympy(n: Node): string | undefined {
  const all = (xs: Node[], sep: string): string | undefined => {
    const parts = xs.map(sympy);
    return parts.every((p) => p !== undefined) ? `(${parts.join(sep)})` : undefined;
  };
  switch (n.t) {
    case 'num':
      return n.d === 1n ? `Integer(${n.n})` : `Rational(${n.n}, ${n.d})`;
    case 'sym':
      if (n.name === 'pi') return 'pi';
      if (n.name === 'e') return 'E';
      if (n.name === 'inf') return 'oo';
      return /^[a-zA-Z]\w*$/.test(n.name) ? `Symbol('${n.name}')` : undefined;
    case 'add':
      return all(n.xs, ' + ');
    case 'mul':
      return all(n.xs, ' * ');
    case 'neg': {
      const x = sympy(n.x);
      return x && `(-${x})`;
    }
    case 'div':
    case 'pow': {
      const a = sympy(n.a);
      const b = sympy(n.b);
      return a && b && `(${a} ${n.t === 'div' ? '/' : '**'} ${b})`;
    }
    case 'pct': {
      const x = sympy(n.x);
      return x && `(${x} / 100)`;
    }
    case 'fn': {
      const args = n.args.map(sympy);
      if (!args.every((a) => a !== undefined)) return undefined;
      if (n.name === 'root') return `root(${args[0]}, ${args[1]})`;
      if (n.name === 'logb') return `log(${args[1]}, ${args[0]})`;
      return `${FN[n.name] ?? n.name}(${args.join(', ')})`;
    }
    default:
      return undefined;
  }
}

const root = new URL('../../../', import.meta.url);
const pairs: [string, string][] = [];
for (const f of ['corpus.jsonl', 'corpus-long.jsonl']) {
  for (const line of readFileSync(new URL(`packages/rewards/src/math/__fixtures__/${f}`, root), 'utf8')
    .trim()
    .split('\n')) {
    const c = JSON.parse(line) as { gold: string; completion: string };
    try {
      const g = sympy(parseAnswer(extractGold(c.gold) ?? ''));
      const a = sympy(parseAnswer(extractAnswer(c.completion) ?? ''));
      if (g && a) pairs.push([g, a]);
    } catch {
      // not a plain expression on both sides: not in the SymPy comparison
    }
  }
}
const out = new URL('benchmarks/results/sympy-cases.json', root);
mkdirSync(new URL('.', out), { recursive: true });
writeFileSync(out, `${JSON.stringify(pairs)}\n`);
process.stdout.write(`wrote ${pairs.length} expression pairs to ${out.pathname}\n`);
