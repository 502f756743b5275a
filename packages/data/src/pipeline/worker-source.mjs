// Worker bootstrap used when @aha/data runs from source (tests, `tsx --conditions=source`): Node 20 cannot load
// TypeScript by itself, so the worker loads `worker.ts` through tsx, a dev dependency of the workspace. The build
// ships `dist/clean-worker.js` instead and never reads this file.
import { tsImport } from 'tsx/esm/api';

await tsImport('./worker.ts', import.meta.url);
