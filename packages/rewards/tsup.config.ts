import { defineConfig } from 'tsup';

export default defineConfig({
  // math-worker: the worker-thread entry of verifyMath (src/math/pool.ts loads dist/math-worker.js next to index.js)
  entry: { index: 'src/index.ts', 'math-worker': 'src/math/worker.ts' },
  shims: true,
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
