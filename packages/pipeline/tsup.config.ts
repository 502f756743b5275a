import { defineConfig } from 'tsup';

export default defineConfig({
  // The CLI entry is built beside the library so bin/aha.js can run dist/cli/bin.js.
  entry: { index: 'src/index.ts', 'cli/bin': 'src/cli/bin.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: 'src/index.ts' },
  sourcemap: true,
  clean: true,
  target: 'node20',
  // import.meta.url locates the uPlot assets and the package.json; shim it in the CommonJS build.
  shims: true,
});
