import { defineConfig } from 'tsup';

export default defineConfig({
  // clean-worker: the worker-thread entry of cleanDataset({ workers }) (src/pipeline/pool.ts loads it next to index.js)
  entry: { index: 'src/index.ts', 'clean-worker': 'src/pipeline/worker.ts' },
  shims: true,
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
