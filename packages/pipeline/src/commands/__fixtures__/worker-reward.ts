// A plugin reward that scores in a worker thread, its per-sample function written in TypeScript (worker-score.ts):
// the CLI must load it in the worker, from source and from the built dist alike.
import { defineReward } from '@aha/rewards';

export default defineReward({
  name: 'worker_len',
  worker: { module: new URL('./worker-score.ts', import.meta.url) },
});
