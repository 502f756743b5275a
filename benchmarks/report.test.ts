import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { estimateTrainingBytes, gemmShapes, renderLevelTables, renderTable } from './report.js';

const config = JSON.parse(readFileSync(new URL('model/config.json', import.meta.url), 'utf8'));
const workload = JSON.parse(readFileSync(new URL('model/workload.json', import.meta.url), 'utf8'));

describe('benchmark report helpers', () => {
  it('derives the sgemm shapes of the model from its config: forward, both gradients, decode rows, squares', () => {
    const shapes = gemmShapes(config, workload);
    const R = workload.trainBatch * workload.trainSeq;
    const byName = new Map(shapes.map((s) => [s.name, s]));
    expect(byName.get('lm_head fwd')).toMatchObject({ M: R, N: config.vocab_size, K: config.hidden_size, transB: 1 });
    expect(byName.get('lm_head dX')).toMatchObject({ M: R, N: config.hidden_size, K: config.vocab_size, transA: 0 });
    expect(byName.get('lm_head dW')).toMatchObject({ M: config.vocab_size, N: config.hidden_size, K: R, transA: 1 });
    expect(byName.get('decode lm_head fwd')?.M).toBe(1);
    expect(shapes.filter((s) => s.name.startsWith('square')).map((s) => s.M)).toEqual([256, 512, 1024, 2048]);
    expect(gemmShapes(config, workload, true).some((s) => s.M === 2048)).toBe(false);
  });

  it('estimates training memory as 16 bytes per parameter plus activations that grow with the batch', () => {
    const a = estimateTrainingBytes(config, workload, 1000);
    expect(a.params + a.grads + a.adam).toBe(16 * 1000);
    expect(a.total).toBe(16 * 1000 + a.activations);
    const b = estimateTrainingBytes(config, { ...workload, trainBatch: 2 * workload.trainBatch }, 1000);
    expect(b.activations).toBe(2 * a.activations);
  });

  it('renders skipped baselines as skipped rather than as numbers', () => {
    const row = { ...gemmShapes(config, workload)[0], threads: 1, ahaGflops: 50, openblasGflops: null };
    const md = renderTable({
      machine: {
        cpu: 'Test CPU',
        cores: 2,
        simd: 'avx2+fma',
        node: 'v20',
        date: '2026-01-01T00:00:00.000Z',
        loadBefore: [1, 1, 1],
        loadAfter: [1, 1, 1],
        openblasEnv: {},
      },
      peak: { skipped: 'no gcc' },
      openblas: { skipped: 'no OpenBLAS' },
      gemm: [{ ...row, vsOpenblas: null, vsPeak: null, vsOpenblasCpu: null }],
      model: {
        config,
        workload,
        torch: { skipped: 'no torch' },
        rows: [{ threads: 1, aha: { params: 5e6, trainTokensPerS: 100, decodeTokensPerS: 10, maxRssBytes: 2 ** 28 } }],
        memoryEstimate: estimateTrainingBytes(config, workload, 5e6),
      },
      seconds: 1,
    });
    expect(md).toContain('OpenBLAS baseline skipped: no OpenBLAS');
    expect(md).toContain('PyTorch baseline skipped: no torch');
    expect(md).toContain('FMA peak: skipped (no gcc)');
    expect(md).toMatch(/\| lm_head fwd \| 512×4096×256 \| A·Bᵀ \| 1 \| 50\.0 \| — \| skipped \|/);
    expect(md).toContain('256 MiB');
  });

  it('renders the sgemm-by-level tables: ratio to the unpinned OpenBLAS, share of the widest peak, AVX2 table', () => {
    const sec = (gflops: number, size: number) => (2 * size ** 3) / gflops / 1e9;
    const rows = (gflops: number) => [{ size: 1024, threads: 1, seconds: sec(gflops, 1024) }];
    const md = renderLevelTables({
      widest: { unit: 'AVX-512F (zmm)', fmaPerCycle: 2, lanes: 16, peakGflops: { 1: 200, 2: 400 } },
      avx2PeakGflops: { 1: 100, 2: 200 },
      aha: { portable: rows(10), avx2: rows(80), avx512: rows(150) },
      unpinned: {
        1: {
          numpy: '2.4',
          corename: 'SkylakeX',
          config: 'OpenBLAS 0.3.31  X',
          maxErrorPerK: 5e-8,
          rows: [{ size: 1024, seconds: sec(300, 1024) }],
        },
      },
      pinned: { 1: { skipped: 'python3 did not start' } },
    });
    expect(md).toContain('AVX-512F (zmm) (2 × 16-lane FMA per cycle per core, measured): 200 GFLOP/s (1 thread)');
    expect(md).toContain('kernel SkylakeX');
    expect(md).toMatch(/\| 1024² \| 1 \| 10\.0 \| 80\.0 \| 150\.0 \| 300\.0 \| 0\.50 \| 75% \|/);
    expect(md).toContain('Pinned baseline (the environment’s OPENBLAS_* settings): skipped (python3 did not start)');
    expect(md).toMatch(/\| 1024² \| 1 \| 80\.0 \| — \| — \| 80% \|/);
  });
});
