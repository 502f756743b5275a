// The corpus table test (≥ 98% agreement with the verdicts Math-Verify's documented rules give, zero false positives;
// corpus.jsonl hand-written + corpus-long.jsonl from generate-corpus.mjs), adversarial probes, options, and the worker
// pool's timeouts. Leaves out speed (bench/verify-math.ts).
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { MathWorkerPool } from './pool.js';
import { createMathVerifier, verifyMath } from './verify.js';
import type { MathVerdict } from './verify-core.js';

interface Case {
  style: string;
  gold: string;
  completion: string;
  expected: MathVerdict;
  reason: string;
}

const corpus: Case[] = ['corpus.jsonl', 'corpus-long.jsonl'].flatMap((file) =>
  readFileSync(new URL(`./__fixtures__/${file}`, import.meta.url), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Case),
);

const verifier = createMathVerifier({ workers: 2, timeoutMs: 20_000 });
afterAll(() => verifier.close());

describe('verifyMath corpus', () => {
  it('has at least 600 cases, each with a reason, from many answer styles, most of them long solutions', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(600);
    expect(corpus.filter((c) => c.completion.includes('\n\n')).length).toBeGreaterThan(corpus.length / 2);
    expect(corpus.filter((c) => c.completion.length >= 2000).length).toBeGreaterThan(200);
    expect(corpus.every((c) => c.reason.length > 0)).toBe(true);
    expect(new Set(corpus.map((c) => c.style)).size).toBeGreaterThanOrEqual(10);
    expect(corpus.filter((c) => c.expected === 'equal').length).toBeGreaterThan(100);
    expect(corpus.filter((c) => c.expected === 'not_equal').length).toBeGreaterThan(100);
  });

  it('agrees with ≥ 98% of the corpus and gives zero false positives', async () => {
    const results = await Promise.all(corpus.map((c) => verifier.verify(c.gold, c.completion)));
    const falsePositives = corpus
      .map((c, i) => ({ ...c, got: results[i]?.verdict }))
      .filter((c) => c.got === 'equal' && c.expected !== 'equal');
    const agree = results.filter((r, i) => r.verdict === corpus[i]?.expected).length;
    expect(falsePositives.map((c) => `${c.reason}: ${c.gold} vs …${c.completion.slice(-80)}`)).toEqual([]);
    expect(agree / corpus.length).toBeGreaterThanOrEqual(0.98);
  });
});

describe('verifyMath adversarial probes', () => {
  const probes: [gold: string, completion: string, expected: MathVerdict, reason: string][] = [
    ['5', '<think>It is \\boxed{5}.</think> I refuse to answer.', 'not_equal', 'answer only in the think block'],
    ['5', '\\boxed{5} \\boxed{6}', 'not_equal', 'two boxed answers: the last one counts'],
    ['6', '\\boxed{5} \\boxed{6}', 'equal', 'two boxed answers: the last one counts'],
    ['5', '\\boxed{5} and then 999 trailing garbage \\frac{', 'equal', 'trailing garbage after the box'],
    ['5', '\\boxed{5, 6}', 'not_equal', 'hedging with a list'],
    ['C', '\\boxed{(C) or (D)}', 'not_equal', 'hedging between choices'],
    ['10', '\\boxed{1О}', 'not_equal', 'Cyrillic О is not a zero'],
    ['10', '\\boxed{１０}', 'equal', 'fullwidth digits are digits (NFKC)'],
    ['7', '\\boxed{٧}', 'not_equal', 'Arabic-Indic digits are not read'],
    [
      '5',
      '\\boxed{5\u200b}',
      'not_equal',
      'zero-width space makes the answer unreadable, never equal to something else',
    ],
    ['10^{10^{10}}', '\\boxed{10^{10^{10}}}', 'equal', 'a huge power, compared by structure'],
    ['10^{10^{10}}', '\\boxed{10^{10^{10}} - 1}', 'not_equal', 'huge values never compare equal by overflow'],
    [
      '1',
      '\\boxed{(((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((1)))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))}',
      'not_equal',
      'nesting past the depth cap is unreadable',
    ],
  ];
  for (const [gold, completion, expected, reason] of probes) {
    it(reason, async () => {
      expect((await verifier.verify(gold, completion)).verdict).toBe(expected);
    });
  }

  it('answers, within the default timeout, for huge inputs', async () => {
    const huge = [
      ['5', `${'x'.repeat(1_000_000)} \\boxed{5}`, 'equal'],
      ['5', `\\boxed{${'{'.repeat(500_000)}5${'}'.repeat(500_000)}}`, 'not_equal'],
      ['5', `\\boxed{${'9'.repeat(1_000)}}`, 'not_equal'],
      ['5', `\\boxed{${'2^'.repeat(900)}2}`, 'not_equal'],
      ['5', `\\boxed{${'\\sqrt{'.repeat(300)}5${'}'.repeat(300)}}`, 'not_equal'],
      ['5', `${'\\boxed{'.repeat(10_000)}`, 'not_equal'],
      [`\\boxed{${'1+'.repeat(400)}1}`, '\\boxed{401}', 'equal'],
      [`\\boxed{${'1+'.repeat(900)}1}`, '\\boxed{901}', 'unparseable'],
      [`${'9'.repeat(1_000_000)}`, '\\boxed{5}', 'unparseable'],
    ] as const;
    const results = await Promise.all(huge.map(([g, c]) => verifyMath(g, c, { timeoutMs: 20_000 })));
    expect(results.map((r) => r.verdict)).toEqual(huge.map(([, , v]) => v));
  });

  it('reports an unreadable gold as unparseable and a missing answer as not_equal', async () => {
    expect((await verifyMath('\\frac{1}{', '\\boxed{1}')).verdict).toBe('unparseable');
    // the same unreadable text is still the same answer (Math-Verify compares strings when it cannot parse)
    expect((await verifyMath('\\angle ABC = 30^\\circ', '\\boxed{\\angle ABC = 30^\\circ}')).verdict).toBe('equal');
    expect((await verifyMath('\\angle ABC = 30^\\circ', '\\boxed{\\angle ABD = 30^\\circ}')).verdict).toBe(
      'unparseable',
    );
    expect(await verifyMath('2', 'I do not know')).toEqual({ verdict: 'not_equal', gold: '2' });
  });

  it('takes Math-Verify-like options: precision, strict, extraction targets', async () => {
    expect((await verifyMath('\\frac{1}{3}', '\\boxed{0.333}')).verdict).toBe('not_equal');
    expect((await verifyMath('\\frac{1}{3}', '\\boxed{0.333}', { precision: 3 })).verdict).toBe('equal');
    expect((await verifyMath('x^2 + 1', '\\boxed{y^2 + 1}')).verdict).toBe('not_equal');
    expect((await verifyMath('x^2 + 1', '\\boxed{y^2 + 1}', { strict: false })).verdict).toBe('equal');
    expect((await verifyMath('7', 'So the answer is 7.', { targets: ['boxed'] })).verdict).toBe('not_equal');
    expect((await verifyMath('7', 'So the answer is 7.', { targets: ['phrase', 'boxed'] })).verdict).toBe('equal');
    const own = createMathVerifier({ workers: 1, precision: 2 });
    try {
      expect((await own.verify('\\pi', '\\boxed{3.14}')).verdict).toBe('equal');
      expect((await own.verify('\\pi', '\\boxed{3.14}', { precision: 6 })).verdict).toBe('not_equal');
    } finally {
      await own.close();
    }
  });

  it('rejects invalid options with a ValueError that names them', async () => {
    expect(() => verifyMath('1', '1', { timeoutMs: -5 })).toThrow(/timeoutMs/);
    expect(() => verifyMath('1', '1', { precision: 99 })).toThrow(/precision/);
    expect(() => verifyMath('1', '1', { targets: ['boxes' as 'boxed'] })).toThrow(/targets/);
    expect(() => verifyMath('1', '1', { rounding: 6 } as never)).toThrow(/rounding/);
    expect(() => verifyMath(1 as unknown as string, '1')).toThrow(/gold must be a string/);
  });
});

describe('MathWorkerPool timeouts', () => {
  // A stand-in worker: hangs forever on gold "hang", answers "equal" otherwise.
  const hangingWorker = () =>
    new Worker(
      `const { parentPort } = require('node:worker_threads');
       parentPort.on('message', (job) => {
         if (job.gold === 'hang') for (;;) {}
         parentPort.postMessage({ id: job.id, result: { verdict: 'equal' } });
       });
       parentPort.postMessage({ ready: true });`,
      { eval: true },
    );

  it('terminates a hung worker, returns timeout, and respawns it for the next job', async () => {
    const pool = new MathWorkerPool(1, hangingWorker);
    try {
      const [hung, next] = await Promise.all([pool.run('hang', '', 200), pool.run('ok', '', 5_000)]);
      expect(hung).toEqual({ verdict: 'timeout' });
      expect(next).toEqual({ verdict: 'equal' });
    } finally {
      await pool.close();
    }
  });

  it('fails loudly when workers cannot start', async () => {
    const pool = new MathWorkerPool(1, () => new Worker('throw new Error("boom")', { eval: true }));
    await expect(pool.run('1', '1', 1_000)).rejects.toThrow(/failed to start/);
    await pool.close();
  });
});
