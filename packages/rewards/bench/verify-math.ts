/**
 * Benchmark of verifyMath on the test corpus (packages/rewards/src/math/__fixtures__/corpus*.jsonl) with a pool of 2
 * workers: throughput (cases/s) with 4 jobs in flight, and per-call latency p50/p99 with one job in flight (submit →
 * verdict, worker round trip included) separately for short answers (completion < 300 chars) and long solutions
 * (2–8 kB). Also the in-process synchronous verifier. When benchmarks/results/sympy-proxy.json exists (written by
 * sympy-proxy.py: SymPy's sympify + simplify(a − b) on the same cases, the least work Math-Verify's grader does per
 * case), it reports how many times faster we are than that lower bound of Math-Verify's cost.
 * Writes benchmarks/results/verify-math.json.
 * Run: npx tsx --conditions=source packages/rewards/bench/verify-math.ts [passes]
 * Not part of the tests.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createMathVerifier, verifyMathSync } from '@aha/rewards';

interface Case {
  gold: string;
  completion: string;
}

const root = new URL('../../../', import.meta.url);
const corpus: Case[] = ['corpus.jsonl', 'corpus-long.jsonl'].flatMap((f) =>
  readFileSync(new URL(`packages/rewards/src/math/__fixtures__/${f}`, root), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Case),
);
const short = corpus.filter((c) => c.completion.length < 300);
const long = corpus.filter((c) => c.completion.length >= 2000 && c.completion.length <= 8000);
const passes = Number(process.argv[2] ?? 10);
const workers = 2;
const inFlight = 4;

const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: Number(quantile(s, 0.5).toFixed(3)),
    p99: Number(quantile(s, 0.99).toFixed(3)),
    max: Number((s[s.length - 1] ?? Number.NaN).toFixed(3)),
  };
};

const verifier = createMathVerifier({ workers, timeoutMs: 10_000 });
// warm-up: starts the workers (and, from source, their TypeScript loader) before timing
await Promise.all(corpus.slice(0, 16).map((c) => verifier.verify(c.gold, c.completion)));

// throughput: every case, `passes` times, 4 in flight
const jobs = Array.from({ length: passes }, () => corpus).flat();
const verdicts: Record<string, number> = {};
let next = 0;
const t0 = performance.now();
await Promise.all(
  Array.from({ length: inFlight }, async () => {
    while (next < jobs.length) {
      const c = jobs[next++] as Case;
      const r = await verifier.verify(c.gold, c.completion);
      verdicts[r.verdict] = (verdicts[r.verdict] ?? 0) + 1;
    }
  }),
);
const seconds = (performance.now() - t0) / 1000;

// latency: one call at a time; `perCaseMedian` takes each case's median over the passes first, so a shared, busy
// machine's scheduling hiccups do not stand in for the cost of a case
async function latencies(cases: Case[]) {
  const perCase: number[][] = cases.map(() => []);
  for (let p = 0; p < passes; p++) {
    for (const [i, c] of cases.entries()) {
      const start = performance.now();
      await verifier.verify(c.gold, c.completion);
      perCase[i]?.push(performance.now() - start);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
  return { ...stats(perCase.flat()), perCaseMedian: stats(perCase.map(median)) };
}
const shortLatency = await latencies(short);
const longLatency = await latencies(long);
await verifier.close();

const syncTimes = (cases: Case[]) =>
  cases.map((c) => {
    const s = performance.now();
    verifyMathSync(c.gold, c.completion);
    return performance.now() - s;
  });
const s0 = performance.now();
for (const c of jobs) verifyMathSync(c.gold, c.completion);
const syncSeconds = (performance.now() - s0) / 1000;

const casesPerSecond = Math.round(jobs.length / seconds);
const proxyFile = new URL('benchmarks/results/sympy-proxy.json', root);
const proxy = existsSync(proxyFile)
  ? (JSON.parse(readFileSync(proxyFile, 'utf8')) as { casesPerSecond: number; cases: number; sympy: string })
  : undefined;
const result = {
  benchmark: 'verify-math',
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  availableParallelism: availableParallelism(),
  corpusCases: corpus.length,
  passes,
  calls: jobs.length,
  workers,
  inFlight,
  casesPerSecond,
  latencyMs: { short: shortLatency, long: longLatency },
  inProcessSync: {
    casesPerSecond: Math.round(jobs.length / syncSeconds),
    shortMs: stats(syncTimes(short)),
    longMs: stats(syncTimes(long)),
  },
  sympyLowerBound: proxy && {
    ...proxy,
    note: 'SymPy sympify + simplify(a - b) per case, one thread: less work than Math-Verify does per case',
    // like for like: one thread each (our in-process verifier vs SymPy in one Python process)
    speedupOneThread: Number((Math.round(jobs.length / syncSeconds) / proxy.casesPerSecond).toFixed(1)),
    // our 2-worker pool against the one-thread bound
    speedupPool: Number((casesPerSecond / proxy.casesPerSecond).toFixed(1)),
  },
  verdicts,
};
const out = new URL('benchmarks/results/verify-math.json', root);
mkdirSync(new URL('.', out), { recursive: true });
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(
  `verifyMath, ${workers} workers, ${jobs.length} calls: ${casesPerSecond} cases/s ` +
    `(in-process sync: ${result.inProcessSync.casesPerSecond} cases/s)\n` +
    `latency, one in flight: short answers p50 ${shortLatency.p50} ms p99 ${shortLatency.p99} ms ` +
    `(per-case median p99 ${shortLatency.perCaseMedian.p99} ms, n=${shortLatency.n}); long 2–8 kB solutions ` +
    `p50 ${longLatency.p50} ms p99 ${longLatency.p99} ms (per-case median p99 ${longLatency.perCaseMedian.p99} ms, ` +
    `n=${longLatency.n})\n` +
    (proxy
      ? `SymPy lower bound of Math-Verify: ${proxy.casesPerSecond} cases/s → ${result.sympyLowerBound?.speedupOneThread}× ` +
        `faster on one thread, ${result.sympyLowerBound?.speedupPool}× with the 2-worker pool\n`
      : 'no benchmarks/results/sympy-proxy.json: run packages/rewards/bench/sympy-proxy.py for the Math-Verify comparison\n') +
    `wrote ${out.pathname}\n`,
);
