/**
 * Attention micro-benchmark: the fused `scaledDotProductAttention` against the four-op path it replaced in MLA
 * (matmul(q, kᵀ)·scale + mask bias → softmax → matmul(·, v)), forward and forward + backward, at the benchmark
 * model's shapes (naive training/prefill, absorbed decode over the latent) and at a long sequence (T = S = 2048) where
 * the [B, H, T, S] intermediates dominate memory. Reports min process CPU milliseconds over repeats (load-proof on
 * shared cores, exact for one thread) and the array-buffer bytes the forward leaves alive for the backward.
 * Run: `AHA_NUM_THREADS=1 npx tsx --conditions=source benchmarks/attention.ts [--quick]`; prints one JSON line last.
 * benchmarks/run.ts runs it as a child process. A diagnostic, not a test.
 */
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  add,
  backward,
  type DeepseekV3ConfigInput,
  expand,
  matmul,
  mul,
  noGrad,
  scaledDotProductAttention,
  setNumThreads,
  softmax,
  sum,
  type Tensor,
  tensor,
  transpose,
} from '../packages/core/src/index.js';
import { randTensor } from '../packages/core/src/testing/gradcheck.js';

const quick = process.argv.includes('--quick');
setNumThreads(1);
const config = JSON.parse(
  readFileSync(new URL('model/config.json', import.meta.url), 'utf8'),
) as Required<DeepseekV3ConfigInput>;
const work = JSON.parse(readFileSync(new URL('model/workload.json', import.meta.url), 'utf8')) as Record<
  string,
  number
>;
const H = config.num_attention_heads;
const Dqk = config.qk_nope_head_dim + config.qk_rope_head_dim;
const latentDqk = config.kv_lora_rank + config.qk_rope_head_dim;

interface Shape {
  name: string;
  B: number;
  Hk: number;
  T: number;
  S: number;
  D: number;
  Dv: number;
  backward: boolean;
}
const shapes: Shape[] = [
  {
    name: 'model train (naive)',
    B: work.trainBatch,
    Hk: H,
    T: work.trainSeq,
    S: work.trainSeq,
    D: Dqk,
    Dv: config.v_head_dim,
    backward: true,
  },
  {
    name: 'model decode (absorbed)',
    B: 1,
    Hk: 1,
    T: 1,
    S: work.decodePrompt + work.decodeTokens,
    D: latentDqk,
    Dv: config.kv_lora_rank,
    backward: false,
  },
  ...(quick
    ? []
    : [
        {
          name: 'decode S = 2048 (absorbed)',
          B: 1,
          Hk: 1,
          T: 1,
          S: 2048,
          D: latentDqk,
          Dv: config.kv_lora_rank,
          backward: false,
        },
        { name: 'long T = S = 2048', B: 1, Hk: H, T: 2048, S: 2048, D: Dqk, Dv: config.v_head_dim, backward: true },
      ]),
];

const cpuMs = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};

function fourOp(q: Tensor, k: Tensor, v: Tensor, bias: Tensor, scale: number, s: Shape): Tensor {
  const kk = expand(k, [s.B, H, s.S, s.D]); // [B, H, S, D]
  const vv = expand(v, [s.B, H, s.S, s.Dv]); // [B, H, S, Dv]
  const scores = add(mul(matmul(q, transpose(kk, -2, -1)), scale), bias); // [B, H, T, S]
  return matmul(softmax(scores, -1), vv); // [B, H, T, Dv]
}

// Min CPU ms of fn over repeats lasting at least `seconds`, and the array-buffer bytes alive after `forward`.
function time(fn: () => void, seconds: number): number {
  fn(); // warm-up
  let best = Infinity;
  const start = performance.now();
  for (let r = 0; r < 3 || performance.now() - start < seconds * 1000; r++) {
    const c0 = process.cpuUsage();
    fn();
    best = Math.min(best, cpuMs(c0));
    if (r > 200) break;
  }
  return best;
}

// A collector on demand (as `node --expose-gc`), so the bytes counted are the ones the graph holds, not garbage.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

// Backing stores are released after the collection that finds them dead: collect twice and yield before reading.
async function settledBytes(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  return process.memoryUsage().arrayBuffers;
}

async function liveBytes(forward: () => Tensor): Promise<number> {
  const before = await settledBytes();
  const y = forward();
  const bytes = (await settledBytes()) - before;
  y.detach();
  return bytes;
}

const rows: Record<string, unknown>[] = [];
for (const s of shapes) {
  const scale = 1 / Math.sqrt(s.D);
  const q = randTensor([s.B, H, s.T, s.D], 1);
  const k = randTensor([s.B, s.Hk, s.S, s.D], 2);
  const v = randTensor([s.B, s.Hk, s.S, s.Dv], 3);
  const bias = new Float32Array(s.B * s.T * s.S);
  for (let t = 0; t < s.T; t++) for (let j = t + s.S - s.T + 1; j < s.S; j++) bias[t * s.S + j] = -1e9;
  const biasT = tensor(bias, [s.B, 1, s.T, s.S]);
  const fused = () => scaledDotProductAttention(q, k, v, { scale, causal: true });
  const plain = () => fourOp(q, k, v, biasT, scale, s);
  const seconds = s.T * s.S > 1e6 ? 0 : 0.5;
  const row: Record<string, unknown> = {
    ...s,
    H,
    fusedForwardMs: time(() => noGrad(fused), seconds),
    fourOpForwardMs: time(() => noGrad(plain), seconds),
  };
  if (s.backward) {
    const step = (f: () => Tensor) => () => {
      backward(sum(mul(f(), 1e-3)));
      for (const x of [q, k, v]) x.grad = null;
    };
    row.fusedTrainMs = time(step(fused), seconds);
    row.fourOpTrainMs = time(step(plain), seconds);
    row.fusedSavedBytes = await liveBytes(fused);
    row.fourOpSavedBytes = await liveBytes(plain);
  }
  rows.push(row);
  const f = (x: unknown) => (x as number).toFixed(2).padStart(8);
  console.log(
    `attention ${s.name.padEnd(24)} fwd fused ${f(row.fusedForwardMs)} ms  four-op ${f(row.fourOpForwardMs)} ms` +
      (s.backward
        ? `  fwd+bwd fused ${f(row.fusedTrainMs)} ms  four-op ${f(row.fourOpTrainMs)} ms` +
          `  kept for backward ${((row.fusedSavedBytes as number) / 2 ** 20).toFixed(1)} MiB vs ` +
          `${((row.fourOpSavedBytes as number) / 2 ** 20).toFixed(1)} MiB`
        : ''),
  );
}
console.log(JSON.stringify({ threads: 1, unit: 'CPU ms (min over repeats)', rows }));
