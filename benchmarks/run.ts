/**
 * `npm run bench`: the CPU benchmark suite of aha against baselines measured in the same run (issue "CPU kernels at
 * the hardware limit"). Writes benchmarks/results/cpu.json and regenerates the table between the markers in
 * benchmarks/README.md. Takes about 2-4 minutes on 2 cores; installs nothing.
 *
 *  1. sgemm GFLOP/s (aha's native sgemm through batchedGemm) at the matmul shapes of the benchmark model's forward,
 *     backward and M = 1 decode, and square 256…2048, on 1 and 2 threads, as a ratio to OpenBLAS (a C harness in
 *     benchmarks/openblas/ compiled here with gcc -lopenblas, OPENBLAS_NUM_THREADS set) and to the FMA peak
 *     (cores × 2 FMA units × 8 lanes × 2 flops × clock, the clock measured by benchmarks/openblas/peak.c). This is
 *     the AVX2-pinned comparison: the environment's OPENBLAS_CORETYPE pins that OpenBLAS to its AVX2 kernels.
 *  1b. sgemm by SIMD level: aha at every level the CPU has (a child per AHA_SIMD level, benchmarks/gemm-level.ts) on
 *     square 1024² / 2048² products, 1 and 2 threads, against numpy's bundled OpenBLAS
 *     (benchmarks/openblas/numpy_sgemm.py, the python3 on PATH) with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed for
 *     that process only (it picks its own kernel, printed, after a float64 check) and, as the second table, with
 *     them kept; the peak from the widest FMA unit (AVX-512 where present: FMAs per cycle measured by peak.c).
 *  2. Training tokens/s (forward + backward + AdamW) and greedy decode tokens/s (latent KV cache) of the tiny
 *     DeepSeek-V3 config in benchmarks/model/config.json, as a ratio to PyTorch CPU eager running the same config
 *     (benchmarks/model/torch_ref.py under Debian's /usr/bin/python3, on OpenBLAS-openmp), same thread count, each
 *     side in its own child process so its peak RSS is its own; beside it the analytic memory estimate.
 *  3. Attention (benchmarks/attention.ts, child process, 1 thread): the fused scaledDotProductAttention against the
 *     four-op path at the model's shapes and at T = S = 2048, CPU ms and bytes kept for the backward.
 * Every timing is the minimum over repeats after a warm-up, because other processes share these cores: the load
 * average (os.loadavg, as `uptime`) before and after is recorded with the results.
 * A baseline that cannot run (no gcc, no OpenBLAS, no torch) is reported as skipped with the reason, never guessed.
 * Options: `--quick` (fewer shapes, no 2048²) for a smoke run; `--sgemm` runs the sgemm section only and prints it
 * (writes nothing), for iterating on the kernels.
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { DeepseekV3ConfigInput } from '../packages/core/src/index.js';
import { setNumThreads, simdLevel, simdLevels } from '../packages/core/src/native.js';
import { batchedGemm } from '../packages/core/src/ops/matmul.js';
import {
  estimateTrainingBytes,
  type GemmShape,
  gemmShapes,
  type LevelResults,
  type NumpyBlas,
  renderLevelTables,
  renderTable,
} from './report.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const here = join(root, 'benchmarks');
const quick = process.argv.includes('--quick');
const sgemmOnly = process.argv.includes('--sgemm');
const THREADS = [1, 2];
const MIN_SECONDS = 0.3;

const log = (s: string) => console.log(s);
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

// ---------------------------------------------------------------------------------------------------------- machine

function cpuinfo(key: string): string | undefined {
  const line = readFileSync('/proc/cpuinfo', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(key));
  return line?.split(':')[1]?.trim();
}

const machine = {
  cpu: cpuinfo('model name') ?? cpus()[0]?.model ?? 'unknown',
  cores: availableParallelism(),
  cpuinfoMHz: Number(cpuinfo('cpu MHz') ?? Number.NaN),
  simd: simdLevel(),
  node: process.version,
  date: new Date().toISOString(),
  loadBefore: loadavg().map((x) => round(x)),
  loadAfter: [] as number[],
  openblasEnv: Object.fromEntries(Object.entries(process.env).filter(([k]) => /^OPENBLAS_(CORETYPE|L2_SIZE)/.test(k))),
};
log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.simd}, node ${machine.node}`);
log(`load average (1/5/15 min) at start: ${machine.loadBefore.join(' ')}`);

// --------------------------------------------------------------------------------------------- C harnesses (gcc)

const work = mkdtempSync(join(tmpdir(), 'aha-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

function gcc(args: string[]): string | null {
  const r = spawnSync('gcc', args, { encoding: 'utf8' });
  if (r.error) return `gcc not found (${r.error.message})`;
  if (r.status !== 0) return r.stderr.trim().split('\n').slice(-3).join(' | ');
  return null;
}

const peakBin = join(work, 'peak');
const peakErr = gcc(['-O2', '-mavx2', '-mfma', '-pthread', join(here, 'openblas/peak.c'), '-o', peakBin]);
const blasBin = join(work, 'sgemm');
const blasErr = gcc(['-O2', join(here, 'openblas/sgemm.c'), '-o', blasBin, '-lopenblas']);

interface Peak {
  clockGHz: number;
  clockSource: string;
  peakGflops: Record<number, number>;
  measuredFmaGflops: Record<number, number>;
  /** The widest FMA unit: AVX-512 where the CPU has it (FMAs per cycle from the measured zmm rate), else AVX2. */
  widest: { unit: string; fmaPerCycle: number; lanes: number; peakGflops: Record<number, number> };
}

/**
 * AVX-512 (16 lanes) where the probe ran zmm FMAs: a core retires round(measured / (32 flops x clock)) of them per
 * cycle (2 with full-width units, 1 where they are split in halves), else AVX2 with 2 FMA units of 8 lanes.
 */
function widestUnit(p: Record<string, number | null>, clockGHz: number): Peak['widest'] {
  const z = p.fma512Gflops1;
  const units = z ? Math.min(2, Math.max(1, Math.round(z / (32 * clockGHz)))) : 2;
  const lanes = z ? 16 : 8;
  return {
    unit: z ? 'AVX-512F (zmm)' : 'AVX2 + FMA (ymm)',
    fmaPerCycle: units,
    lanes,
    peakGflops: Object.fromEntries(THREADS.map((t) => [t, round(t * units * lanes * 2 * clockGHz, 1)])),
  };
}

function measurePeak(): Peak | { skipped: string } {
  if (peakErr) return { skipped: `peak probe did not build: ${peakErr}` };
  const r = spawnSync(peakBin, { encoding: 'utf8' });
  if (r.status !== 0) return { skipped: `peak probe failed: ${r.stderr}` };
  const p = JSON.parse(r.stdout) as Record<string, number>; // fma512Gflops* are null without AVX-512
  // The busiest-core clock is the one that matters for 2 threads, but under load a probe thread loses time slices;
  // the best of the single- and dual-thread probes is the clock the cores reach.
  const clockGHz = Math.max(p.clockGHz1, p.clockGHz2);
  return {
    clockGHz: round(clockGHz, 3),
    clockSource:
      'timed chain of dependent integer adds (1 cycle each), best of 400 short tries (benchmarks/openblas/peak.c); ' +
      `/proc/cpuinfo says ${machine.cpuinfoMHz} MHz`,
    peakGflops: Object.fromEntries(THREADS.map((t) => [t, round(t * 2 * 8 * 2 * clockGHz, 1)])),
    measuredFmaGflops: { 1: p.fmaGflops1, 2: p.fmaGflops2 },
    widest: widestUnit(p, clockGHz),
  };
}

// ------------------------------------------------------------------------------------------------------- sgemm

const rand = (n: number) => {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() - 0.5;
  return a;
};

/**
 * aha sgemm: min wall seconds of one call over repeats (warm-up first), and min process CPU seconds (all threads),
 * which time lost to other processes on the shared cores does not inflate.
 */
function ahaSeconds(s: GemmShape): { wall: number; cpu: number } {
  const { M, N, K, transA, transB } = s;
  const A = rand(M * K);
  const B = rand(K * N);
  const C = new Float32Array(M * N);
  const lda = transA ? M : K;
  const ldb = transB ? K : N;
  const call = () => batchedGemm(transA, transB, M, N, K, 1, A, lda, [0], B, ldb, [0], 0, C, N, [0], 0, 0);
  call(); // warm-up: grows the packing buffers
  const w0 = performance.now();
  call();
  // One sample = `inner` calls lasting >= ~2 ms, so CPU-time accounting is not at the mercy of its granularity.
  const inner = Math.max(1, Math.ceil(2 / Math.max(performance.now() - w0, 1e-4)));
  let wall = Infinity;
  let cpu = Infinity;
  let reps = 0;
  const start = performance.now();
  while (reps < 3 || performance.now() - start < MIN_SECONDS * 1000) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (let r = 0; r < inner; r++) call();
    const used = process.cpuUsage(c0);
    wall = Math.min(wall, (performance.now() - t0) / 1000 / inner);
    cpu = Math.min(cpu, (used.user + used.system) / 1e6 / inner);
    reps++;
  }
  return { wall, cpu };
}

/** OpenBLAS: the harness reads every shape on stdin and prints min seconds per shape. */
function openblasSeconds(shapes: GemmShape[], threads: number): { wall: number; cpu: number }[] | string {
  if (blasErr) return `OpenBLAS harness did not build (install libopenblas-dev): ${blasErr}`;
  const input = shapes.map((s) => `${s.transA} ${s.transB} ${s.M} ${s.N} ${s.K}`).join('\n');
  const r: SpawnSyncReturns<string> = spawnSync(blasBin, {
    input,
    encoding: 'utf8',
    env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) },
  });
  if (r.status !== 0) return `OpenBLAS harness failed: ${r.stderr}`;
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => ({ wall: Number(l.split(' ')[5]), cpu: Number(l.split(' ')[6]) }));
}

// ------------------------------------------------------------------------------------------------------- model

const config = JSON.parse(readFileSync(join(here, 'model/config.json'), 'utf8')) as DeepseekV3ConfigInput;
const workload = JSON.parse(readFileSync(join(here, 'model/workload.json'), 'utf8')) as Record<string, number>;

function child(cmd: string, args: string[], env: NodeJS.ProcessEnv): Record<string, unknown> | string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, cwd: root });
  if (r.error) return `${cmd} did not start: ${r.error.message}`;
  const line = r.stdout
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (r.status !== 0 || !line) return `${cmd} exited ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`;
  return JSON.parse(line) as Record<string, unknown>;
}

function torchAvailable(): string | null {
  if (!existsSync('/usr/bin/python3')) return 'no /usr/bin/python3 (Debian python)';
  const r = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  return r.status === 0 ? null : 'PyTorch is not installed for /usr/bin/python3 (apt-get install -y python3-torch)';
}

// Debian's torch links the generic libblas.so.3 (the reference BLAS unless an OpenBLAS alternative is selected); the
// OpenMP build of OpenBLAS is the one that shares torch's OpenMP threads instead of fighting them, so put it first.
const OPENMP_BLAS = '/usr/lib/x86_64-linux-gnu/openblas-openmp';

/**
 * The PyTorch side at `threads`. With more than one thread it runs twice, with OpenMP's default (spinning) wait policy
 * and with OMP_WAIT_POLICY=PASSIVE, and keeps the better figure of each metric: on shared cores spinning workers
 * whose partner lost its core collapse (tens of tokens/s), which would make a crippled baseline.
 */
function runTorch(threads: number): Record<string, unknown> | string {
  const n = String(threads);
  const env = {
    OMP_NUM_THREADS: n,
    OPENBLAS_NUM_THREADS: n,
    ...(existsSync(OPENMP_BLAS)
      ? { LD_LIBRARY_PATH: [OPENMP_BLAS, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') }
      : {}),
  };
  const script = [join(here, 'model/torch_ref.py'), n];
  const first = child('/usr/bin/python3', script, env);
  if (threads === 1 || typeof first === 'string') return first;
  const passive = child('/usr/bin/python3', script, { ...env, OMP_WAIT_POLICY: 'PASSIVE' });
  if (typeof passive === 'string') return first;
  const best: Record<string, unknown> = { ...first, waitPolicy: {} as Record<string, string> };
  for (const k of ['trainTokensPerS', 'decodeTokensPerS', 'trainTokensPerCpuS', 'decodeTokensPerCpuS']) {
    const usePassive = (passive[k] as number) > (first[k] as number);
    best[k] = usePassive ? passive[k] : first[k];
    (best.waitPolicy as Record<string, string>)[k] = usePassive ? 'PASSIVE' : 'default';
  }
  best.maxRssBytes = Math.max(first.maxRssBytes as number, passive.maxRssBytes as number);
  return best;
}

// ---------------------------------------------------------------------------------------------------------- run

const t0 = performance.now();
const peak = measurePeak();
if ('skipped' in peak) log(`FMA peak: skipped — ${peak.skipped}`);
else {
  log(
    `clock ${peak.clockGHz} GHz (${peak.clockSource}); FMA peak ${THREADS.map((t) => `${t}T ${peak.peakGflops[t]}`).join(', ')} GFLOP/s` +
      `, measured FMA loop ${THREADS.map((t) => `${t}T ${peak.measuredFmaGflops[t]}`).join(', ')} GFLOP/s`,
  );
  const w = peak.widest;
  log(
    `widest FMA unit: ${w.unit}, ${w.fmaPerCycle} × ${w.lanes} lanes per cycle per core: peak ` +
      `${THREADS.map((t) => `${t}T ${w.peakGflops[t]}`).join(', ')} GFLOP/s`,
  );
}

const shapes = gemmShapes(config, workload, quick);
const gemmRows: Record<string, unknown>[] = [];
let blasSkipped: string | null = null;
for (const threads of THREADS) {
  setNumThreads(threads);
  const blas = openblasSeconds(shapes, threads);
  if (typeof blas === 'string') blasSkipped = blas;
  for (const [i, s] of shapes.entries()) {
    const flops = 2 * s.M * s.N * s.K;
    const t = ahaSeconds(s);
    const aha = flops / t.wall / 1e9;
    const ob = typeof blas === 'string' ? null : flops / blas[i].wall / 1e9;
    // The peak of the unit this process's kernels use: zmm when it runs the avx512 level, else the AVX2 one.
    const unitPeak = 'skipped' in peak ? null : simdLevel() === 'avx512' ? peak.widest.peakGflops : peak.peakGflops;
    const pk = unitPeak === null ? null : unitPeak[threads];
    // With one thread, CPU time is the run time the call would have on an idle core: a load-proof second opinion.
    const cpuRatio = threads === 1 && typeof blas !== 'string' ? blas[i].cpu / t.cpu : null;
    gemmRows.push({
      ...s,
      threads,
      ahaGflops: round(aha, 1),
      openblasGflops: ob === null ? null : round(ob, 1),
      vsOpenblas: ob === null ? null : round(aha / ob),
      vsPeak: pk === null ? null : round(aha / pk),
      ahaCpuGflops: threads === 1 ? round(flops / t.cpu / 1e9, 1) : null,
      vsOpenblasCpu: cpuRatio === null ? null : round(cpuRatio),
    });
    log(
      `sgemm ${s.name.padEnd(22)} ${threads}T  aha ${aha.toFixed(1).padStart(6)} GFLOP/s` +
        (ob === null ? '' : `  OpenBLAS ${ob.toFixed(1).padStart(6)}  ratio ${(aha / ob).toFixed(2)}`) +
        (pk === null ? '' : `  of peak ${((100 * aha) / pk).toFixed(0)}%`) +
        (cpuRatio === null ? '' : `  by CPU time ${cpuRatio.toFixed(2)}`),
    );
  }
}
if (blasSkipped) log(`OpenBLAS baseline: skipped — ${blasSkipped}`);

// ------------------------------------------------------------------ sgemm by SIMD level vs numpy's OpenBLAS

const tsx = join(root, 'node_modules/tsx/dist/loader.mjs');
const LEVEL_SIZES = quick ? [1024] : [1024, 2048];
const OPENBLAS_PINS = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'];

/**
 * numpy's bundled OpenBLAS (benchmarks/openblas/numpy_sgemm.py under the python3 on PATH) on `threads`, with the
 * environment's kernel pins removed for that process only (`unpinned`) or kept. A build whose products fail the
 * float64 check is reported as skipped, never timed into a ratio.
 */
function numpyBlas(threads: number, unpinned: boolean): NumpyBlas {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OPENBLAS_NUM_THREADS: String(threads),
    OMP_NUM_THREADS: String(threads),
  };
  if (unpinned) for (const k of OPENBLAS_PINS) delete env[k];
  const r = spawnSync('python3', [join(here, 'openblas/numpy_sgemm.py'), ...LEVEL_SIZES.map(String)], {
    encoding: 'utf8',
    env,
  });
  if (r.error) return { skipped: `python3 did not start: ${r.error.message}` };
  if (r.status !== 0) return { skipped: `numpy_sgemm.py exited ${r.status}: ${r.stderr.trim().split('\n').pop()}` };
  const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as NumpyBlas;
  if (!out.corename) return { skipped: `numpy ${out.numpy} has no bundled OpenBLAS to query (${out.config})` };
  if ((out.maxErrorPerK ?? 1) > 2e-6)
    return { skipped: `${out.corename} kernels give wrong products (${out.maxErrorPerK})` };
  return out;
}

const levelResults: LevelResults = {
  widest: 'skipped' in peak ? null : peak.widest,
  avx2PeakGflops: 'skipped' in peak ? null : peak.peakGflops,
  aha: {},
  unpinned: {},
  pinned: {},
};
for (const level of simdLevels()) {
  const r = child(
    process.execPath,
    [
      '--conditions=source',
      '--import',
      tsx,
      join(here, 'gemm-level.ts'),
      THREADS.join(','),
      ...LEVEL_SIZES.map(String),
    ],
    { AHA_SIMD: level, AHA_DISABLE_SIMD: undefined },
  );
  if (typeof r === 'string') throw new Error(`aha sgemm at AHA_SIMD=${level} failed: ${r}`);
  levelResults.aha[level] = r.rows as LevelResults['aha'][string];
}
for (const threads of THREADS) {
  levelResults.unpinned[threads] = numpyBlas(threads, true);
  levelResults.pinned[threads] = numpyBlas(threads, false);
}
log(renderLevelTables(levelResults));

if (sgemmOnly) {
  log(
    `load average at end: ${loadavg()
      .map((x) => round(x))
      .join(' ')}; --sgemm: nothing written`,
  );
  process.exit(0);
}

const torchSkipped = torchAvailable();
if (torchSkipped) log(`PyTorch baseline: skipped — ${torchSkipped}`);
const modelRows: Record<string, unknown>[] = [];
for (const threads of THREADS) {
  const n = String(threads);
  const aha = child(process.execPath, ['--conditions=source', '--import', tsx, join(here, 'model/aha.ts'), n], {
    AHA_NUM_THREADS: n,
  });
  const torch = torchSkipped ? torchSkipped : runTorch(threads);
  if (typeof aha === 'string') throw new Error(`aha model benchmark failed: ${aha}`);
  const t = typeof torch === 'string' ? null : torch;
  if (typeof torch === 'string' && !torchSkipped) log(`PyTorch baseline (${n} threads) failed — ${torch}`);
  const ratio = (k: string) => (t ? round((aha[k] as number) / (t[k] as number)) : null);
  modelRows.push({
    threads,
    aha,
    torch: t,
    trainVsTorch: ratio('trainTokensPerS'),
    decodeVsTorch: ratio('decodeTokensPerS'),
    trainVsTorchCpu: ratio('trainTokensPerCpuS'),
    decodeVsTorchCpu: ratio('decodeTokensPerCpuS'),
  });
  log(
    `model ${n}T  train aha ${(aha.trainTokensPerS as number).toFixed(0)} tok/s` +
      (t ? ` torch ${(t.trainTokensPerS as number).toFixed(0)} (×${ratio('trainTokensPerS')})` : '') +
      `  decode aha ${(aha.decodeTokensPerS as number).toFixed(1)} tok/s` +
      (t ? ` torch ${(t.decodeTokensPerS as number).toFixed(1)} (×${ratio('decodeTokensPerS')})` : '') +
      `  peak RSS aha ${((aha.maxRssBytes as number) / 2 ** 20).toFixed(0)} MiB` +
      (t ? ` torch ${((t.maxRssBytes as number) / 2 ** 20).toFixed(0)} MiB` : '') +
      (t && threads === 1
        ? `  by CPU time: train ×${ratio('trainTokensPerCpuS')} decode ×${ratio('decodeTokensPerCpuS')}`
        : ''),
  );
  if (t && threads === THREADS[0])
    log(`torch ${t.torch} BLAS: ${(t.blasLibraries as string[]).join(', ') || 'none mapped'}`);
}
// Attention micro-benchmark (benchmarks/attention.ts): fused scaledDotProductAttention vs the four-op path, 1 thread.
const attention = child(
  process.execPath,
  ['--conditions=source', '--import', tsx, join(here, 'attention.ts'), ...(quick ? ['--quick'] : [])],
  { AHA_NUM_THREADS: '1' },
);
if (typeof attention === 'string') log(`attention micro-benchmark failed — ${attention}`);
else {
  for (const r of attention.rows as Record<string, number | string>[]) {
    log(
      `attention ${String(r.name).padEnd(24)} forward fused ${r.fusedForwardMs} ms vs four-op ${r.fourOpForwardMs} ms` +
        (r.fusedTrainMs === undefined
          ? ''
          : `; forward+backward ${r.fusedTrainMs} vs ${r.fourOpTrainMs} ms; kept for backward ` +
            `${((r.fusedSavedBytes as number) / 2 ** 20).toFixed(1)} vs ${((r.fourOpSavedBytes as number) / 2 ** 20).toFixed(1)} MiB`),
    );
  }
}

const estimate = estimateTrainingBytes(config, workload, (modelRows[0].aha as { params: number }).params);
log(
  `analytic training memory: params ${(estimate.params / 2 ** 20).toFixed(1)} + grads ${(estimate.grads / 2 ** 20).toFixed(1)} + ` +
    `Adam ${(estimate.adam / 2 ** 20).toFixed(1)} + activations ${(estimate.activations / 2 ** 20).toFixed(1)} = ` +
    `${(estimate.total / 2 ** 20).toFixed(1)} MiB`,
);

machine.loadAfter = loadavg().map((x) => round(x));
log(`load average at end: ${machine.loadAfter.join(' ')}; ${((performance.now() - t0) / 1000).toFixed(0)} s`);

const results = {
  name: 'cpu',
  machine,
  peak,
  openblas: blasSkipped ? { skipped: blasSkipped } : { library: '-lopenblas (Debian libopenblas-dev)' },
  gemm: gemmRows,
  sgemmLevels: levelResults,
  model: {
    config,
    workload,
    torch: torchSkipped
      ? { skipped: torchSkipped }
      : { python: '/usr/bin/python3', blas: OPENMP_BLAS, multiThread: 'best of OMP_WAIT_POLICY default / PASSIVE' },
    rows: modelRows,
    memoryEstimate: estimate,
  },
  attention: typeof attention === 'string' ? { skipped: attention } : attention,
  seconds: round((performance.now() - t0) / 1000, 1),
};
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results/cpu.json'), `${JSON.stringify(results, null, 2)}\n`);
const readmePath = join(here, 'README.md');
const readme = readFileSync(readmePath, 'utf8');
const [startMark, endMark] = ['<!-- bench:cpu:start -->', '<!-- bench:cpu:end -->'];
const a = readme.indexOf(startMark);
const b = readme.indexOf(endMark);
if (a < 0 || b < a) throw new Error(`benchmarks/README.md lacks the ${startMark} … ${endMark} markers`);
const tables = `${renderTable(results)}\n\n### sgemm by SIMD level\n\n${renderLevelTables(levelResults)}`;
writeFileSync(readmePath, readme.slice(0, a + startMark.length) + '\n' + tables + '\n' + readme.slice(b));
log('wrote benchmarks/results/cpu.json and the table in benchmarks/README.md');
