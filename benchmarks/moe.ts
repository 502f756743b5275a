/**
 * Micro-benchmark of the routed experts of one MoE layer of the benchmark model (config.json: D = hidden_size,
 * I = moe_intermediate_size, E = n_routed_experts, K = num_experts_per_tok; N = trainBatch · trainSeq tokens):
 * the fused `moeExperts` op against the per-expert op path it replaced in models/deepseek-v3/moe.ts
 * (indexSelect → gate/up linear → silu · up → down linear → cat → × gate weight → scatterAdd), forward + backward on
 * the training batch and forward only for one decode token (N = 1, no grad). Reports the minimum process CPU time
 * over repeats (load-proof on shared cores; exact for 1 thread) and checks the two paths agree.
 * Run: `npx tsx --conditions=source benchmarks/moe.ts [threads=1] [repeats=20]`. Prints one JSON line last.
 * Leaves out: the router (identical in both paths) and the shared expert.
 */
import { readFileSync } from 'node:fs';
import {
  cat,
  indexSelect,
  linear,
  moeExperts,
  mul,
  noGrad,
  reshape,
  scatterAdd,
  setNumThreads,
  silu,
  type Tensor,
  tensor,
  zeros,
} from '../packages/core/src/index.js';

const threads = Number(process.argv[2] ?? 1);
const repeats = Number(process.argv[3] ?? 20);
setNumThreads(threads);
const config = JSON.parse(readFileSync(new URL('model/config.json', import.meta.url), 'utf8'));
const work = JSON.parse(readFileSync(new URL('model/workload.json', import.meta.url), 'utf8'));
const D: number = config.hidden_size;
const I: number = config.moe_intermediate_size;
const E: number = config.n_routed_experts;
const K: number = config.num_experts_per_tok;

let seed = 1;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
const leaf = (shape: number[], scale: number) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(
    Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale),
    shape,
  ).requiresGrad_();
};
const gate = Array.from({ length: E }, () => leaf([I, D], 0.06));
const up = Array.from({ length: E }, () => leaf([I, D], 0.06));
const down = Array.from({ length: E }, () => leaf([D, I], 0.09));
const routing = (N: number) => {
  const ids = new Int32Array(N * K);
  for (let n = 0; n < N; n++) {
    const pool = Array.from({ length: E }, (_, e) => e);
    for (let k = 0; k < K; k++) ids[n * K + k] = pool.splice(Math.floor(rand() * pool.length), 1)[0];
  }
  return ids;
};

// The per-expert op path, as models/deepseek-v3/moe.ts ran it before the fused op.
function perExpert(x: Tensor, ids: Int32Array, w: Tensor): Tensor {
  const N = x.shape[0];
  const slots: number[][] = Array.from({ length: E }, () => []);
  for (let i = 0; i < N * K; i++) slots[ids[i]].push(i);
  const outs: Tensor[] = [];
  const order: number[] = [];
  for (let e = 0; e < E; e++) {
    if (slots[e].length === 0) continue;
    const xe = indexSelect(
      x,
      0,
      Int32Array.from(slots[e], (s) => Math.floor(s / K)),
    ); // [n_e, D]
    outs.push(linear(mul(silu(linear(xe, gate[e])), linear(xe, up[e])), down[e])); // [n_e, D]
    order.push(...slots[e]);
  }
  const slotOrder = Int32Array.from(order);
  const routed = mul(cat(outs, 0), indexSelect(reshape(w, [N * K, 1]), 0, slotOrder)); // [N·K, D]
  const target = new Int32Array(N * K * D);
  for (let i = 0; i < slotOrder.length; i++) target.fill(Math.floor(slotOrder[i] / K), i * D, (i + 1) * D);
  return scatterAdd(zeros([N, D]), 0, target, [N * K, D], routed); // [N, D]
}
const fused = (x: Tensor, ids: Int32Array, w: Tensor) => moeExperts(x, ids, w, { gate, up, down });

const cpuMs = (fn: () => void) => {
  const c0 = process.cpuUsage();
  fn();
  const u = process.cpuUsage(c0);
  return (u.user + u.system) / 1000;
};
function minCpuMs(fn: () => void): number {
  fn(); // warm-up
  let best = Infinity;
  for (let r = 0; r < repeats; r++) best = Math.min(best, cpuMs(fn));
  return best;
}

const N = work.trainBatch * work.trainSeq;
const x = leaf([N, D], 1);
const w = leaf([N, K], 1);
const ids = routing(N);
const dy = leaf([N, D], 1).detach();
const train = (path: typeof fused) => () => {
  path(x, ids, w).backward(dy);
  for (const p of [x, w, ...gate, ...up, ...down]) p.grad = null;
};
const x1 = leaf([1, D], 1);
const w1 = leaf([1, K], 1);
const ids1 = routing(1);
const decode = (path: typeof fused) => () => noGrad(() => path(x1, ids1, w1));

// Agreement check (outputs) before timing.
const a = fused(x, ids, w).values();
const b = perExpert(x, ids, w).values();
let worst = 0;
for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));

const decodeRepeats = (fn: () => void) => () => {
  for (let i = 0; i < 100; i++) fn();
};
const result = {
  threads,
  shape: { N, D, I, E, K },
  maxAbsDiff: worst,
  trainFusedMs: minCpuMs(train(fused)),
  trainPerExpertMs: minCpuMs(train(perExpert)),
  decode100FusedMs: minCpuMs(decodeRepeats(decode(fused))),
  decode100PerExpertMs: minCpuMs(decodeRepeats(decode(perExpert))),
};
console.log(
  `MoE routed experts, N=${N} D=${D} I=${I} E=${E} K=${K}, ${threads} thread(s), min CPU ms: ` +
    `fwd+bwd fused ${result.trainFusedMs.toFixed(2)} vs per-expert ${result.trainPerExpertMs.toFixed(2)}; ` +
    `100 decode tokens fused ${result.decode100FusedMs.toFixed(2)} vs per-expert ${result.decode100PerExpertMs.toFixed(2)}` +
    ` (max |Δy| ${worst.toExponential(1)})`,
);
console.log(JSON.stringify(result));
