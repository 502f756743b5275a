/**
 * Where a training step of the benchmark model spends its time: wraps every native kernel with a process-CPU-time
 * counter (load-proof on shared cores, exact for 1 thread) and prints the per-kernel and per-sgemm-shape breakdown
 * of forward + backward + AdamW, next to the step's total (the rest is JavaScript: autograd, allocation, GC).
 * Run: `npx tsx --conditions=source benchmarks/model/profile.ts [threads=1] [steps=4] [--wall]`. A diagnostic, not a test.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const threads = Number(args[0] ?? 1);
const steps = Number(args[1] ?? 4);
const table = createRequire(import.meta.url)('@aha/native') as Record<string, unknown>;
const perKernel = new Map<string, { ms: number; calls: number }>();
const perShape = new Map<string, { ms: number; calls: number; flops: number }>();
let recording = false;
// `--wall` times wall-clock ms instead of CPU ms: at 2+ threads CPU time counts every worker (and their spinning), so
// only wall time shows which kernels do not scale.
const wall = process.argv.includes('--wall');
type Stamp = NodeJS.CpuUsage | number;
const stamp = (): Stamp => (wall ? performance.now() : process.cpuUsage());
const cpuMs = (since: Stamp) => {
  if (typeof since === 'number') return performance.now() - since;
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};
// The kernels are looked up by name on first use (packages/core/src/native.ts), so wrapping the table before the
// model is imported times every call.
for (const [name, fn] of Object.entries(table)) {
  if (typeof fn !== 'function' || ['numThreads', 'setNumThreads', 'simdLevel'].includes(name)) continue;
  table[name] = (...args: unknown[]) => {
    const c0 = stamp();
    const out = (fn as (...a: unknown[]) => unknown)(...args);
    if (!recording) return out;
    const ms = cpuMs(c0);
    const k = perKernel.get(name) ?? { ms: 0, calls: 0 };
    perKernel.set(name, { ms: k.ms + ms, calls: k.calls + 1 });
    if (name === 'batchedGemm') {
      const [tA, tB, M, N, K] = args as number[];
      const batch = (args[15] as number[]).length;
      const key = `${tA ? 'Aᵀ' : 'A'}·${tB ? 'Bᵀ' : 'B'} ${M}×${N}×${K}${batch > 1 ? ` ×${batch}` : ''}`;
      const s = perShape.get(key) ?? { ms: 0, calls: 0, flops: 0 };
      perShape.set(key, { ms: s.ms + ms, calls: s.calls + 1, flops: s.flops + 2 * M * N * K * batch });
    }
    return out;
  };
}

const { AdamW, backward, createModel, setNumThreads } = await import('../../packages/core/src/index.js');
const config = JSON.parse(readFileSync(new URL('config.json', import.meta.url), 'utf8'));
const work = JSON.parse(readFileSync(new URL('workload.json', import.meta.url), 'utf8')) as Record<string, number>;
setNumThreads(threads);
const model = createModel(config, { seed: 0 });
const opt = new AdamW(model.parameters(), { lr: 1e-4 });
const tokens = () =>
  Array.from({ length: work.trainBatch }, () =>
    Array.from({ length: work.trainSeq }, () => 2 + Math.floor(Math.random() * (config.vocab_size - 2))),
  );
let total = 0;
for (let s = 0; s < steps + 1; s++) {
  recording = s > 0; // step 0 warms up
  const c0 = stamp();
  const { loss } = model.loss(tokens());
  backward(loss);
  opt.step();
  opt.zeroGrad();
  if (recording) total += cpuMs(c0);
}
const per = (x: number) => (x / steps).toFixed(1).padStart(7);
const kernelMs = [...perKernel.values()].reduce((a, k) => a + k.ms, 0);
console.log(
  `${wall ? 'wall' : 'CPU'} ms per training step (${threads} thread(s)): ${per(total)}, in native kernels ${per(kernelMs)}`,
);
for (const [name, k] of [...perKernel].sort((a, b) => b[1].ms - a[1].ms)) {
  console.log(`  ${name.padEnd(22)} ${per(k.ms)} ms  ${String(k.calls / steps).padStart(4)} calls`);
}
console.log('sgemm shapes (CPU ms per step, calls, GFLOP/s of CPU time):');
for (const [key, s] of [...perShape].sort((a, b) => b[1].ms - a[1].ms).slice(0, 20)) {
  console.log(
    `  ${key.padEnd(24)} ${per(s.ms)} ms  ${String(s.calls / steps).padStart(4)}  ${(s.flops / s.ms / 1e6).toFixed(1)}`,
  );
}
