import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const pkg = (name: string) => fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));

// Tests import packages from source (no build step), like users would after a build.
export default defineConfig({
  resolve: {
    alias: {
      '@aha/core/testing': fileURLToPath(new URL('./packages/core/src/testing/index.ts', import.meta.url)),
      '@aha/errors': pkg('errors'),
      '@aha/core': pkg('core'),
      '@aha/rewards': pkg('rewards'),
      '@aha/reward-models': pkg('reward-models'),
      '@aha/grpo': pkg('grpo'),
      '@aha/distill': pkg('distill'),
      '@aha/safety': pkg('safety'),
      '@aha/data': pkg('data'),
      '@aha/pipeline': pkg('pipeline'),
    },
  },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'native/test/**/*.test.ts',
      'examples/**/*.test.ts',
      'tools/**/*.test.ts',
      'benchmarks/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', '**/dist/**'],
    globalSetup: ['tools/vitest/global-setup.ts'],
    reporters: ['default', './tools/vitest/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    onConsoleLog: (_log, type) => (type === 'stdout' ? false : undefined),
  },
});
