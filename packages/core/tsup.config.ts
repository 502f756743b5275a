import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  // import.meta.url (native loader, workers) must also work in the CJS build.
  shims: true,
  external: ['vitest'],
  target: 'node20',
});
