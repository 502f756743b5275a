/**
 * Benchmark of verifyMath on the test corpus (packages/rewards/src/math/__fixtures__/corpus.jsonl) with a pool of 2
 * workers: throughput (cases/s) with 4 jobs in flight, and per-call latency p50/p99 (submit → verdict, queueing
 * included). Also the in-process synchronous verifier for reference. Writes benchmarks/results/verify-math.json.
 * Run: npx tsx --conditions=source packages/rewards/bench/verify-math.ts [passes]
 * Not part of the tests.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createMathVerifier, verifyMathSync } from '@aha/rewards';

interface Case {
  gold: string;
  completion: string;
}

const root = new URL('../../../', import.meta.url);
const corpus: Case[] = readFileSync(new URL('packages/rewards/src/math/__fixtures__/corpus.jsonl', root), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as Case);
const passes = Number(process.argv[2] ?? 10);
const workers = 2;
const inFlight = 4;

const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;

const verifier = createMathVerifier({ workers, timeoutMs: 10_000 });
// warm-up: starts the workers (and, from source, their TypeScript loader) before timing
await Promise.all(corpus.slice(0, 8).map((c) => verifier.verify(c.gold, c.completion)));

const jobs = Array.from({ length: passes }, () => corpus).flat();
const latencies: number[] = [];
const verdicts: Record<string, number> = {};
let next = 0;
const t0 = performance.now();
await Promise.all(
  Array.from({ length: inFlight }, async () => {
    while (next < jobs.length) {
      const c = jobs[next++] as Case;
      const start = performance.now();
      const r = await verifier.verify(c.gold, c.completion);
      latencies.push(performance.now() - start);
      verdicts[r.verdict] = (verdicts[r.verdict] ?? 0) + 1;
    }
  }),
);
const seconds = (performance.now() - t0) / 1000;
await verifier.close();

const s0 = performance.now();
for (const c of jobs) verifyMathSync(c.gold, c.completion);
const syncSeconds = (performance.now() - s0) / 1000;

latencies.sort((a, b) => a - b);
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
  casesPerSecond: Math.round(jobs.length / seconds),
  latencyMs: {
    p50: Number(quantile(latencies, 0.5).toFixed(3)),
    p99: Number(quantile(latencies, 0.99).toFixed(3)),
    max: Number((latencies[latencies.length - 1] ?? Number.NaN).toFixed(3)),
  },
  inProcessSyncCasesPerSecond: Math.round(jobs.length / syncSeconds),
  verdicts,
};
const out = new URL('benchmarks/results/verify-math.json', root);
mkdirSync(new URL('.', out), { recursive: true });
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(
  `verifyMath, ${workers} workers, ${jobs.length} calls: ${result.casesPerSecond} cases/s, ` +
    `p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms (in-process sync: ${result.inProcessSyncCasesPerSecond} cases/s)\n` +
    `wrote ${out.pathname}\n`,
);
