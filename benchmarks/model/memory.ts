/**
 * Allocation and garbage-collection cost of a training step of the benchmark model (benchmarks/model/config.json,
 * workload.json): per-step process CPU ms, V8 GC count and pause ms by kind (PerformanceObserver 'gc' entries, the
 * same events `--trace-gc` prints), peak RSS over the runtime baseline, and the buffer pool's counters.
 * Run: `npx tsx --conditions=source benchmarks/model/memory.ts [threads=1] [steps=8] [--keep-grads]`; `AHA_POOL=0`
 * compares against no pool, `--keep-grads` zeroes gradients in place (`zeroGrad(false)`) instead of dropping them. A diagnostic, not a test: it prints, it asserts nothing.
 */
import { readFileSync } from 'node:fs';
import { PerformanceObserver, constants as perf } from 'node:perf_hooks';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const threads = Number(args[0] ?? 1);
const steps = Number(args[1] ?? 8);
const keepGrads = process.argv.includes('--keep-grads'); // zeroGrad(false): zero grads in place, no re-allocation
const baseRssBytes = process.memoryUsage().rss;
const core = await import('../../packages/core/src/index.js');
const { AdamW, backward, createModel, setNumThreads } = core;
const poolStats = (core as unknown as { bufferPoolStats?: () => Record<string, number> }).bufferPoolStats;
const config = JSON.parse(readFileSync(new URL('config.json', import.meta.url), 'utf8'));
const work = JSON.parse(readFileSync(new URL('workload.json', import.meta.url), 'utf8')) as Record<string, number>;
setNumThreads(threads);
const model = createModel(config, { seed: 0 });
const opt = new AdamW(model.parameters(), { lr: 1e-4 });
let seed = 12345;
const nextToken = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return 2 + (seed % (config.vocab_size - 2));
};
const tokens = () => Array.from({ length: work.trainBatch }, () => Array.from({ length: work.trainSeq }, nextToken));

const KINDS: Record<number, string> = {
  [perf.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
  [perf.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [perf.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [perf.NODE_PERFORMANCE_GC_WEAKCB]: 'weak-cb',
};
let recording = false;
const gc = new Map<string, { count: number; ms: number }>();
const obs = new PerformanceObserver((list) => {
  if (!recording) return;
  for (const e of list.getEntries()) {
    const kind = KINDS[(e as unknown as { detail: { kind: number } }).detail.kind] ?? 'other';
    const g = gc.get(kind) ?? { count: 0, ms: 0 };
    gc.set(kind, { count: g.count + 1, ms: g.ms + e.duration });
  }
});
obs.observe({ entryTypes: ['gc'] });

const cpu: number[] = [];
for (let s = 0; s <= steps; s++) {
  const batch = tokens();
  recording = s > 0; // step 0 warms up
  const c0 = process.cpuUsage();
  const { loss } = model.loss(batch);
  backward(loss);
  opt.step();
  opt.zeroGrad(!keepGrads);
  const u = process.cpuUsage(c0);
  if (s > 0) cpu.push((u.user + u.system) / 1000);
}
await new Promise((r) => setTimeout(r, 50)); // let the observer flush
recording = false;
obs.disconnect();
const sorted = [...cpu].sort((a, b) => a - b);
const mib = (b: number) => (b / 2 ** 20).toFixed(0);
const maxRss = process.resourceUsage().maxRSS * 1024;
console.log(
  `threads ${threads}, ${steps} steps${keepGrads ? ', zeroGrad(false)' : ''}: CPU ms/step min ${sorted[0].toFixed(1)} median ${sorted[sorted.length >> 1].toFixed(1)}`,
);
for (const [kind, g] of gc) {
  console.log(
    `  GC ${kind.padEnd(12)} ${(g.count / steps).toFixed(1)} per step, ${(g.ms / steps).toFixed(1)} ms per step`,
  );
}
console.log(
  `  peak RSS ${mib(maxRss)} MiB, runtime baseline ${mib(baseRssBytes)} MiB, added ${mib(maxRss - baseRssBytes)} MiB`,
);
if (poolStats) console.log(`  pool ${JSON.stringify(poolStats())}`);
