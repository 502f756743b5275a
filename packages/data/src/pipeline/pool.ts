/**
 * A pool of worker threads running the parallel prefix of the cleaning steps (the steps before the first one that
 * needs records in order — dedup — or a classifier function that cannot cross a thread boundary). Batches go out
 * round-robin, results come back by batch id; the runner consumes them in input order, so output, stats and resume
 * are the same as a single-threaded run. From source the worker is `worker.ts` through tsx; from the build,
 * `dist/clean-worker.js` (a tsup entry).
 */
import { Worker } from 'node:worker_threads';
import { DataStateError } from '../errors.js';
import type { DataRecord } from '../record.js';
import type { WorkerInit, WorkerResponse } from './worker.js';

type BatchResult = Extract<WorkerResponse, { fates: unknown }>;

function spawn(): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    return new Worker(new URL('./worker-source.mjs', here), { execArgv: ['--conditions=source'] });
  }
  const ext = here.endsWith('.cjs') ? 'cjs' : 'js';
  return new Worker(new URL(`./clean-worker.${ext}`, here));
}

export class StepPool {
  readonly #workers: Worker[] = [];
  readonly #pending = new Map<number, { resolve: (r: BatchResult) => void; reject: (e: Error) => void }>();
  #next = 0;
  #failed: Error | undefined;

  private constructor() {}

  /** Starts `size` workers and waits until each has built its steps. */
  static async start(size: number, init: WorkerInit): Promise<StepPool> {
    const pool = new StepPool();
    try {
      await Promise.all(
        Array.from({ length: size }, async () => {
          const w = spawn();
          pool.#workers.push(w);
          await new Promise<void>((resolve, reject) => {
            const onMessage = (m: WorkerResponse) => {
              if ('ready' in m) resolve();
              else if ('error' in m) reject(new DataStateError(`clean worker failed to start: ${m.error}`));
            };
            w.once('message', onMessage);
            w.once('error', reject);
            w.postMessage({ init });
          });
          w.on('message', (m: WorkerResponse) => pool.#onMessage(m));
          w.on('error', (e) => pool.#fail(e));
          w.on('exit', (code) => {
            if (code !== 0) pool.#fail(new DataStateError(`clean worker exited with code ${code}`));
          });
        }),
      );
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  #onMessage(m: WorkerResponse): void {
    if ('ready' in m) return;
    if ('error' in m) {
      const err = new DataStateError(`clean worker: ${m.error}`);
      if (m.id !== undefined) {
        this.#pending.get(m.id)?.reject(err);
        this.#pending.delete(m.id);
      } else this.#fail(err);
      return;
    }
    this.#pending.get(m.id)?.resolve(m);
    this.#pending.delete(m.id);
  }

  #fail(err: Error): void {
    this.#failed ??= err;
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }

  /** Processes a batch on the next worker. */
  run(records: DataRecord[]): Promise<BatchResult> {
    if (this.#failed) return Promise.reject(this.#failed);
    const id = this.#next++;
    const worker = this.#workers[id % this.#workers.length];
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ id, records });
    });
  }

  async close(): Promise<void> {
    this.#failed ??= new DataStateError('clean worker pool closed');
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
