/**
 * One side of the model benchmark (run by benchmarks/run.ts as a child process so its peak RSS is its own):
 * forward+backward+AdamW training tokens/s and greedy decode tokens/s with the latent KV cache of the tiny
 * DeepSeek-V3 config in config.json, workload in workload.json. Prints one JSON line.
 * Run alone: `AHA_NUM_THREADS=2 npx tsx --conditions=source benchmarks/model/aha.ts 2`; add `--decode-only` to skip
 * the training part (decode tokens/s only: the quick check for decode-time threading changes).
 * Leaves out: MTP and the balance loss (num_nextn_predict_layers = 0, balanceAlpha off), sampling (greedy argmax).
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import {
  AdamW,
  backward,
  bufferPoolStats,
  createModel,
  type DeepseekV3ConfigInput,
  deepseekV3ParamCount,
  noGrad,
  setNumThreads,
} from '../../packages/core/src/index.js';

const here = new URL('./', import.meta.url);
const config = JSON.parse(readFileSync(new URL('config.json', here), 'utf8')) as DeepseekV3ConfigInput;
const work = JSON.parse(readFileSync(new URL('workload.json', here), 'utf8')) as Record<string, number>;
const threads = Number(process.argv[2] ?? 1);
const extra = process.argv.slice(3);
for (const a of extra) if (a !== '--decode-only') throw new Error(`aha.ts: unknown argument ${a} (only --decode-only)`);
const decodeOnly = extra.includes('--decode-only');
const baseRssBytes = process.memoryUsage().rss; // runtime + addon, before the model exists
setNumThreads(threads);

// A deterministic token stream (LCG) so both sides see the same kind of data; the values do not matter for speed.
let seed = 12345;
const nextToken = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return 2 + (seed % (config.vocab_size! - 2));
};
const batch = (B: number, T: number) => Array.from({ length: B }, () => Array.from({ length: T }, nextToken));

const model = createModel(config, { seed: 0 });
const params = model.parameters();
const opt = new AdamW(params, { lr: 1e-4 });

// ---- training: forward + backward + AdamW step; first step is warm-up, then min over steps
const { trainBatch: B, trainSeq: T } = work;
const trainSteps = decodeOnly ? -1 : work.trainSteps;
const stepTimes: number[] = [];
const stepCpu: number[] = []; // CPU seconds of the process (all threads): immune to time lost to other processes
let lastLoss = Number.NaN;
let poolMaxBytesHeld = 0; // idle buffers the pool keeps for reuse (packages/core/src/memory/pool.ts): part of the RSS
for (let s = 0; s <= trainSteps; s++) {
  const tokens = batch(B, T);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const { loss } = model.loss(tokens);
  backward(loss);
  poolMaxBytesHeld = Math.max(poolMaxBytesHeld, bufferPoolStats().bytesHeld);
  opt.step();
  opt.zeroGrad(); // as trainLoop does after each step
  const dt = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  lastLoss = loss.item();
  if (s > 0) {
    stepTimes.push(dt);
    stepCpu.push((cpu.user + cpu.system) / 1e6);
  }
}
const trainMs = Math.min(...stepTimes);

// ---- decode: prefill the prompt, then one token at a time through the latent cache (greedy)
const { decodePrompt: P, decodeTokens: N, decodeRuns } = work;
const decodeTimes: number[] = [];
const decodeCpu: number[] = [];
for (let r = 0; r <= decodeRuns; r++) {
  const prompt = batch(1, P);
  noGrad(() => {
    const cache = model.newCache(1, P + N);
    let logits = model.decode(prompt, [prompt[0].map(() => 1)], cache);
    const keyMask = [prompt[0].map(() => 1)];
    const V = config.vocab_size!;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (let i = 0; i < N; i++) {
      const vals = logits.values();
      const last = vals.subarray(vals.length - V);
      let best = 0;
      for (let v = 1; v < V; v++) if (last[v] > last[best]) best = v;
      const past = { keyMask: [keyMask[0].slice()], positions: [keyMask[0].length] };
      logits = model.decode([[best]], [[1]], cache, past);
      keyMask[0].push(1);
    }
    const cpu = process.cpuUsage(c0);
    if (r > 0) {
      decodeTimes.push(performance.now() - t0);
      decodeCpu.push((cpu.user + cpu.system) / 1e6);
    }
  });
}
const decodeMs = Math.min(...decodeTimes);

const nParams = params.reduce((n, p) => n + p.numel, 0);
console.log(
  JSON.stringify({
    side: 'aha',
    threads,
    params: nParams,
    paramCountHf: deepseekV3ParamCount(model.config),
    trainTokensPerS: (B * T) / (trainMs / 1000),
    trainStepMs: trainMs,
    lastLoss,
    decodeTokensPerS: N / (decodeMs / 1000),
    trainTokensPerCpuS: (B * T) / Math.min(...stepCpu),
    decodeTokensPerCpuS: N / Math.min(...decodeCpu),
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    baseRssBytes,
    poolMaxBytesHeld,
  }),
);
