/**
 * Pure helpers of the CPU benchmark (benchmarks/run.ts): the sgemm shapes of the benchmark model, the analytic
 * training-memory estimate, and the Markdown table written into benchmarks/README.md. No timing here, so the unit
 * test (report.test.ts) can check them.
 */
import type { DeepseekV3ConfigInput } from '../packages/core/src/index.js';

/** One sgemm C[M, N] = op(A)[M, K] @ op(B)[K, N], named after where the model runs it. */
export interface GemmShape {
  name: string;
  M: number;
  N: number;
  K: number;
  transA: 0 | 1;
  transB: 0 | 1;
}

/**
 * The sgemm shapes of the benchmark config: for a linear [in → out] over R rows (HF weight [out, in]) the forward is
 * x @ Wᵀ (M R, N out, K in, transB), the input gradient dY @ W (M R, N in, K out) and the weight gradient dYᵀ @ x
 * (M out, N in, K R, transA); plus the per-head attention products, M = 1 decode rows and square sizes.
 */
export function gemmShapes(c: DeepseekV3ConfigInput, w: Record<string, number>, quick = false): GemmShape[] {
  const R = w.trainBatch * w.trainSeq;
  const T = w.trainSeq;
  const D = c.hidden_size!;
  const V = c.vocab_size!;
  const I = c.intermediate_size!;
  const Im = c.moe_intermediate_size!;
  const H = c.num_attention_heads!;
  const qk = c.qk_nope_head_dim! + c.qk_rope_head_dim!;
  const expertRows = Math.round((R * c.num_experts_per_tok!) / c.n_routed_experts!);
  const fwd = (name: string, rows: number, inF: number, out: number): GemmShape => ({
    name: `${name} fwd`,
    M: rows,
    N: out,
    K: inF,
    transA: 0,
    transB: 1,
  });
  const dX = (name: string, rows: number, inF: number, out: number): GemmShape => ({
    name: `${name} dX`,
    M: rows,
    N: inF,
    K: out,
    transA: 0,
    transB: 0,
  });
  const dW = (name: string, rows: number, inF: number, out: number): GemmShape => ({
    name: `${name} dW`,
    M: out,
    N: inF,
    K: rows,
    transA: 1,
    transB: 0,
  });
  const square = (n: number): GemmShape => ({ name: `square ${n}`, M: n, N: n, K: n, transA: 0, transB: 0 });
  const shapes: GemmShape[] = [
    fwd('lm_head', R, D, V),
    dX('lm_head', R, D, V),
    dW('lm_head', R, D, V),
    fwd('mlp gate', R, D, I),
    fwd('mlp down', R, I, D),
    dW('mlp down', R, I, D),
    fwd('q_b_proj', R, c.q_lora_rank!, H * qk),
    fwd('kv_b_proj', R, c.kv_lora_rank!, H * (c.qk_nope_head_dim! + c.v_head_dim!)),
    fwd('expert gate', expertRows, D, Im),
    { name: 'attn q·kᵀ', M: T, N: T, K: qk, transA: 0, transB: 1 },
    { name: 'attn p·v', M: T, N: c.v_head_dim!, K: T, transA: 0, transB: 0 },
    fwd('decode lm_head', 1, D, V),
    fwd('decode mlp gate', 1, D, I),
    fwd('decode mlp down', 1, I, D),
  ];
  const squares = quick ? [256, 512] : [256, 512, 1024, 2048];
  return [...(quick ? shapes.slice(0, 4) : shapes), ...squares.map(square)];
}

/** Bytes of a training step by the config: params, grads, AdamW's two moments, and the activations kept for backward. */
export interface MemoryEstimate {
  params: number;
  grads: number;
  adam: number;
  activations: number;
  total: number;
  note: string;
}

/**
 * The analytic training memory of `params` float32 parameters (the count the model reports) at the workload's
 * batch: params + grads + 2 Adam moments = 16 bytes per parameter, plus the activations an eager autograd keeps per
 * token (each op's output that backward reads), counted from the config; approximate by nature (it ignores
 * allocator slack and temporaries that die inside the step).
 */
export function estimateTrainingBytes(
  c: DeepseekV3ConfigInput,
  w: Record<string, number>,
  params: number,
): MemoryEstimate {
  const T = w.trainSeq;
  const tokens = w.trainBatch * T;
  const D = c.hidden_size!;
  const H = c.num_attention_heads!;
  const qk = c.qk_nope_head_dim! + c.qk_rope_head_dim!;
  const dv = c.v_head_dim!;
  const r = c.kv_lora_rank!;
  const rope = c.qk_rope_head_dim!;
  const ql = c.q_lora_rank ?? 0;
  // per token, floats: pre-norm input, q LoRA out + its norm, q, kv_a out, latent norm, kv_b out, roped q and k,
  // v, scores + probs over T keys (causal: half are used, all are stored), attention out, o_proj out, residual,
  // post-attention norm
  const attn = D + 2 * ql + H * qk + (r + rope) + r + H * (c.qk_nope_head_dim! + dv) + 2 * H * qk + H * dv;
  const perLayerAttn = attn + 2 * H * T + H * dv + 3 * D;
  const dense = 4 * c.intermediate_size!; // gate, up, silu(gate), product
  const Im = c.moe_intermediate_size!;
  const moe =
    2 * c.n_routed_experts! + // router logits + sigmoid scores
    c.num_experts_per_tok! * (D + 4 * Im + D) + // gathered input, expert internals, weighted output
    c.n_shared_experts! * 4 * Im;
  const L = c.num_hidden_layers!;
  const denseLayers = Math.min(L, c.first_k_dense_replace!);
  const perToken =
    D + // embedding output
    L * perLayerAttn +
    denseLayers * dense +
    (L - denseLayers) * moe +
    D + // final norm
    2 * c.vocab_size!; // logits + softmax kept by the cross-entropy
  const activations = 4 * perToken * tokens;
  const p = 4 * params;
  return {
    params: p,
    grads: p,
    adam: 2 * p,
    activations,
    total: 4 * p + activations,
    note: `float32; activations = ${perToken} floats/token × ${tokens} tokens`,
  };
}

const mib = (b: number) => (b / 2 ** 20).toFixed(0);
const fmt = (x: number | null | undefined, d = 1) => (x === null || x === undefined ? '—' : x.toFixed(d));
const ratio = (x: number | null | undefined) => (x === null || x === undefined ? 'skipped' : `${x.toFixed(2)}×`);

// biome-ignore lint/suspicious/noExplicitAny: the results object is the JSON run.ts writes; the table reads it loosely
type Results = any;

/** The Markdown block between the README markers: machine, peak, sgemm table, model table. */
export function renderTable(res: Results): string {
  const m = res.machine;
  const lines: string[] = [];
  const env = Object.entries(m.openblasEnv as Record<string, string>)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  lines.push(
    `Machine: ${m.cpu}, ${m.cores} cores (${m.simd}), Node ${m.node}, ${m.date.slice(0, 16).replace('T', ' ')} UTC; ` +
      `load average ${m.loadBefore.join(' / ')} before, ${m.loadAfter.join(' / ')} after (1/5/15 min; the cores ` +
      `are shared, every figure is a min over repeats). ${env ? `OpenBLAS env: ${env}.` : ''} Run time ${res.seconds} s.`,
  );
  lines.push('');
  if (Math.max(...m.loadBefore.slice(0, 1), ...m.loadAfter.slice(0, 1)) > m.cores) {
    lines.push(
      `**The load average exceeded the ${m.cores} cores during this run**: other processes held the cores, so the ` +
        'wall-clock figures (the 2-thread ones most: a thread that loses its core stalls its partner, and idle ' +
        'OpenMP workers in torch spin-wait) understate what an idle machine gives. The 1-thread CPU-time ratios are ' +
        'the load-proof comparison.',
    );
    lines.push('');
  }
  if (res.peak.skipped) lines.push(`FMA peak: skipped (${res.peak.skipped}).`);
  else {
    lines.push(
      `FMA peak = cores × 2 FMA units × 8 lanes × 2 flops × ${res.peak.clockGHz} GHz = ` +
        `${res.peak.peakGflops[1]} GFLOP/s (1 thread), ${res.peak.peakGflops[2]} GFLOP/s (2 threads); clock: ` +
        `${res.peak.clockSource}. A plain FMA loop measures ${res.peak.measuredFmaGflops[1]} / ` +
        `${res.peak.measuredFmaGflops[2]} GFLOP/s.`,
    );
  }
  lines.push('');
  lines.push(
    res.openblas.skipped
      ? `OpenBLAS baseline skipped: ${res.openblas.skipped}`
      : `sgemm GFLOP/s, aha vs OpenBLAS (${res.openblas.library}) called from benchmarks/openblas/sgemm.c:`,
  );
  lines.push('');
  lines.push(
    '| shape | M×N×K | op | threads | aha GFLOP/s | OpenBLAS GFLOP/s | aha / OpenBLAS | aha / FMA peak | ' +
      'aha / OpenBLAS by CPU time (1 thread) |',
  );
  lines.push('| --- | --- | --- | --: | --: | --: | --: | --: | --: |');
  for (const g of res.gemm) {
    const op = `${g.transA ? 'Aᵀ' : 'A'}·${g.transB ? 'Bᵀ' : 'B'}`;
    lines.push(
      `| ${g.name} | ${g.M}×${g.N}×${g.K} | ${op} | ${g.threads} | ${fmt(g.ahaGflops)} | ${fmt(g.openblasGflops)} | ` +
        `${ratio(g.vsOpenblas)} | ${g.vsPeak === null ? '—' : `${(100 * g.vsPeak).toFixed(0)}%`} | ` +
        `${g.threads === 1 ? ratio(g.vsOpenblasCpu) : '—'} |`,
    );
  }
  lines.push('');
  const c = res.model.config;
  const w = res.model.workload;
  lines.push(
    `Model: DeepSeek-V3 config benchmarks/model/config.json (${c.num_hidden_layers} layers, ${c.first_k_dense_replace} ` +
      `dense + MoE ${c.n_routed_experts} experts top-${c.num_experts_per_tok} + ${c.n_shared_experts} shared, d=` +
      `${c.hidden_size}, ${c.num_attention_heads} heads, MLA q/kv rank ${c.q_lora_rank}/${c.kv_lora_rank}, vocab ` +
      `${c.vocab_size}, ${(res.model.rows[0].aha.params / 1e6).toFixed(2)} M params). Training: batch ` +
      `${w.trainBatch}×${w.trainSeq} tokens, forward + backward + AdamW, min of ${w.trainSteps} steps. Decode: ` +
      `batch 1, ${w.decodePrompt}-token prompt, ${w.decodeTokens} greedy tokens (aha: latent KV cache; torch: ` +
      `HF-style per-head KV cache), min of ${w.decodeRuns} runs.`,
  );
  lines.push(
    res.model.torch.skipped
      ? `PyTorch baseline skipped: ${res.model.torch.skipped}`
      : `Baseline: PyTorch ${res.model.rows[0].torch?.torch ?? '?'} eager on CPU (${res.model.torch.python}), BLAS: ` +
          `${(res.model.rows[0].torch?.blasLibraries ?? []).join(', ') || 'unknown'}; with 2 threads the better ` +
          'of OpenMP’s default (spinning) and PASSIVE wait policy per metric (spinning workers collapse on shared cores).',
  );
  lines.push('');
  lines.push(
    '| threads | train tok/s aha | train tok/s torch | aha / torch | decode tok/s aha | decode tok/s torch | ' +
      'aha / torch | train / decode aha / torch by CPU time | peak RSS aha | peak RSS torch |',
  );
  lines.push('| --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |');
  for (const r of res.model.rows) {
    lines.push(
      `| ${r.threads} | ${fmt(r.aha.trainTokensPerS, 0)} | ${fmt(r.torch?.trainTokensPerS, 0)} | ` +
        `${ratio(r.trainVsTorch)} | ${fmt(r.aha.decodeTokensPerS)} | ${fmt(r.torch?.decodeTokensPerS)} | ` +
        `${ratio(r.decodeVsTorch)} | ${r.threads === 1 ? `${ratio(r.trainVsTorchCpu)} / ${ratio(r.decodeVsTorchCpu)}` : '—'} | ` +
        `${mib(r.aha.maxRssBytes)} MiB | ${r.torch ? `${mib(r.torch.maxRssBytes)} MiB` : '—'} |`,
    );
  }
  lines.push('');
  lines.push(
    'The CPU-time ratios (1 thread only: with 2, idle OpenMP workers spin and would count) compare process CPU ' +
      'seconds, which time lost to other processes on the shared cores does not inflate.',
  );
  const e = res.model.memoryEstimate;
  const base = res.model.rows[0].aha.baseRssBytes;
  const torchBase = res.model.rows[0].torch?.baseRssBytes;
  const trainRss = res.model.rows[0].aha.maxRssBytes;
  const poolHeld = res.model.rows[0].aha.poolMaxBytesHeld;
  lines.push('');
  lines.push(
    `Analytic training memory: params ${mib(e.params)} + grads ${mib(e.grads)} + AdamW ${mib(e.adam)} + activations ` +
      `${mib(e.activations)} = ${mib(e.total)} MiB (${e.note}).` +
      (base
        ? ` The aha process's RSS before building the model (Node + tsx + addon) is ${mib(base)} MiB, so the run ` +
          `itself added ${mib(trainRss - base)} MiB = ${((trainRss - base) / e.total).toFixed(2)}× the estimate` +
          (torchBase ? ` (torch: ${mib(torchBase)} MiB after import torch).` : '.') +
          (poolHeld !== undefined
            ? ` Of that, the buffer pool held up to ${mib(poolHeld)} MiB of idle buffers for reuse after a backward ` +
              '(AHA_POOL_MAX_MB caps it; AHA_POOL=0 turns it off).'
            : '')
        : ''),
  );
  return lines.join('\n');
}

/** numpy's bundled OpenBLAS as run by benchmarks/openblas/numpy_sgemm.py, or why it was skipped. */
export interface NumpyBlas {
  numpy?: string;
  corename?: string;
  config?: string;
  maxErrorPerK?: number;
  rows?: { size: number; seconds: number }[];
  skipped?: string;
}

/** What the sgemm-by-level section measured (benchmarks/run.ts). */
export interface LevelResults {
  /** The widest FMA unit: which, its FMAs per cycle per core, and the peak it gives on 1 and 2 threads. */
  widest: { unit: string; fmaPerCycle: number; lanes: number; peakGflops: Record<number, number> } | null;
  avx2PeakGflops: Record<number, number> | null;
  /** aha seconds by level, size and threads (levels the CPU lacks are absent). */
  aha: Record<string, { size: number; threads: number; seconds: number }[]>;
  /** numpy's OpenBLAS by thread count, with the environment's OPENBLAS_CORETYPE / L2 pins removed, and with them. */
  unpinned: Record<number, NumpyBlas>;
  pinned: Record<number, NumpyBlas>;
}

const gflopsOf = (size: number, seconds: number) => (2 * size ** 3) / seconds / 1e9;

function blasCell(b: NumpyBlas | undefined, size: number): number | null {
  const row = b?.rows?.find((r) => r.size === size);
  return row ? gflopsOf(size, row.seconds) : null;
}

function blasNote(label: string, byThreads: Record<number, NumpyBlas>): string {
  const b = Object.values(byThreads).find((x) => !x.skipped) ?? Object.values(byThreads)[0];
  if (!b || b.skipped) return `${label}: skipped (${b?.skipped ?? 'not run'}).`;
  return (
    `${label}: numpy ${b.numpy}'s bundled ${b.config?.split('  ')[0] ?? 'OpenBLAS'}, kernel ${b.corename} ` +
    `(max |error| / K against a float64 product: ${b.maxErrorPerK?.toExponential(1)}).`
  );
}

/**
 * Two markdown tables of square sgemm: aha at every SIMD level the CPU has against numpy's OpenBLAS unpinned (its own
 * choice of kernel) and the widest-unit peak; then the AVX2 comparison (aha avx2 vs the same OpenBLAS pinned by the
 * environment, AVX2 peak).
 */
export function renderLevelTables(r: LevelResults): string {
  const levels = Object.keys(r.aha);
  const rows = r.aha[levels[levels.length - 1]] ?? [];
  const cell = (x: number | null, d = 1) => (x === null ? '—' : x.toFixed(d));
  const ahaAt = (level: string, size: number, threads: number) => {
    const row = r.aha[level]?.find((x) => x.size === size && x.threads === threads);
    return row ? gflopsOf(size, row.seconds) : null;
  };
  const ratio = (a: number | null, b: number | null) => (a === null || !b ? null : a / b);
  const lines: string[] = [];
  const widest = r.widest;
  lines.push(
    widest
      ? `Peak from the widest FMA unit, ${widest.unit} (${widest.fmaPerCycle} × ${widest.lanes}-lane FMA per cycle per ` +
          `core, measured): ${widest.peakGflops[1]} GFLOP/s (1 thread), ${widest.peakGflops[2]} GFLOP/s (2 threads).`
      : 'FMA peak: skipped.',
  );
  lines.push(blasNote('Unpinned baseline', r.unpinned));
  lines.push('');
  lines.push(
    `| size | threads | ${levels.map((l) => `aha ${l}`).join(' | ')} | OpenBLAS unpinned | ${levels[levels.length - 1]} / OpenBLAS | of peak |`,
  );
  lines.push(`|---|---|${levels.map(() => '---|').join('')}---|---|---|`);
  for (const { size, threads } of rows) {
    const best = ahaAt(levels[levels.length - 1], size, threads);
    const ob = blasCell(r.unpinned[threads], size);
    const pk = widest ? widest.peakGflops[threads] : null;
    lines.push(
      `| ${size}² | ${threads} | ${levels.map((l) => cell(ahaAt(l, size, threads))).join(' | ')} | ${cell(ob)} | ` +
        `${cell(ratio(best, ob), 2)} | ${pk ? `${((100 * (best ?? 0)) / pk).toFixed(0)}%` : '—'} |`,
    );
  }
  lines.push('');
  lines.push(`AVX2 comparison. ${blasNote('Pinned baseline (the environment’s OPENBLAS_* settings)', r.pinned)}`);
  lines.push('');
  lines.push('| size | threads | aha avx2 | OpenBLAS pinned | ratio | of AVX2 peak |');
  lines.push('|---|---|---|---|---|---|');
  for (const { size, threads } of rows) {
    const a = ahaAt('avx2', size, threads);
    const ob = blasCell(r.pinned[threads], size);
    const pk = r.avx2PeakGflops?.[threads] ?? null;
    lines.push(
      `| ${size}² | ${threads} | ${cell(a)} | ${cell(ob)} | ${cell(ratio(a, ob), 2)} | ` +
        `${pk && a !== null ? `${((100 * a) / pk).toFixed(0)}%` : '—'} |`,
    );
  }
  return lines.join('\n');
}
