// Parent half of native-terminate.test.ts: starts a kernel-looping worker and terminates it after a random delay
// (fixed seed, at most MAX_DELAY ms), ROUNDS times, then runs a kernel itself and prints its result as JSON. Before the
// fix the process died with "terminate called after throwing an instance of 'Napi::Error'" within a few rounds. The
// addon loads on the worker's first kernel call, right after 'ready': short delays terminate it while it loads.
// Usage: main.mjs ROUNDS MAX_DELAY
import { Worker } from 'node:worker_threads';
import { matmul, tensor } from '@aha/core';

const rounds = Number(process.argv[2] ?? 20);
const maxDelay = Number(process.argv[3] ?? 40);
let seed = 12345;
const random = () => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 2 ** 32;
};
for (let i = 0; i < rounds; i++) {
  const worker = new Worker(new URL('./worker.mjs', import.meta.url));
  await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await new Promise((resolve) => setTimeout(resolve, random() * maxDelay));
  await worker.terminate();
}
const t = tensor(Float32Array.of(1, 2, 3, 4), [2, 2]);
console.log(JSON.stringify({ rounds, product: Array.from(matmul(t, t).values()) }));
