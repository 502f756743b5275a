/**
 * A small pool of worker threads for math verification, in the style of sharp's worker baton: the main thread only
 * queues `{ gold, completion }` and waits; a job that runs past its timeout gets its worker terminated (the only way to
 * stop a hung parse) and resolves `timeout`, and a fresh worker takes the slot. Workers have capped heaps
 * (`resourceLimits`), so a memory blow-up kills the worker, not the trainer. Idle workers are unref'd and never keep
 * the process alive.
 * From source (tests, `tsx --conditions=source`) the worker is `worker.ts` loaded through tsx; from the build it is
 * `dist/math-worker.js` (a tsup entry).
 * Leaves out: priorities and cancellation of queued jobs.
 */
import { Worker } from 'node:worker_threads';
import type { MathVerification, VerifyCoreOptions } from './verify-core.js';

interface Pending {
  gold: string;
  completion: string;
  timeoutMs: number;
  /** Comparison and extraction settings; the worker's defaults when absent. */
  options?: VerifyCoreOptions;
  resolve: (r: MathVerification) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job?: Pending & { id: number; timer: NodeJS.Timeout };
}

/** A failure of the pool itself (workers cannot start, or the pool was closed). Stable marker: `code`. */
export class MathPoolError extends Error {
  readonly code = 'math_pool';
}

const WORKER_LIMITS = { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 };

/** Starts one verifier worker; it must post `{ ready: true }`, then answer `{ id, result }` per job. */
export type SpawnWorker = () => Worker;

function spawnWorker(): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    // running from source: a small .mjs bootstrap loads worker.ts through tsx
    return new Worker(new URL('./worker-source.mjs', here), { resourceLimits: WORKER_LIMITS });
  }
  const ext = here.endsWith('.cjs') ? 'cjs' : 'js';
  return new Worker(new URL(`./math-worker.${ext}`, here), { resourceLimits: WORKER_LIMITS });
}

/** A fixed-size pool of verifier workers. */
export class MathWorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 0;
  private closed = false;
  private startFailures = 0;

  /** `spawn` is injectable so tests can drive the pool with a worker that hangs. */
  constructor(
    readonly size: number,
    private readonly spawnOne: SpawnWorker = spawnWorker,
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  /** Runs one verification; resolves `timeout` when it takes longer than `timeoutMs` on a worker. */
  run(gold: string, completion: string, timeoutMs: number, options?: VerifyCoreOptions): Promise<MathVerification> {
    if (this.closed) return Promise.reject(new MathPoolError('verifyMath: the worker pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ gold, completion, timeoutMs, options, resolve, reject });
      this.pump();
    });
  }

  /** Terminates every worker; queued jobs are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new MathPoolError('verifyMath: the worker pool was closed'));
    await Promise.all(
      this.slots.map(async (s) => {
        if (s.job) {
          clearTimeout(s.job.timer);
          s.job.reject(new MathPoolError('verifyMath: the worker pool was closed'));
        }
        s.worker.removeAllListeners();
        await s.worker.terminate();
      }),
    );
    this.slots.length = 0;
  }

  private spawn(): Slot {
    const slot: Slot = { worker: this.spawnOne(), ready: false };
    slot.worker.unref();
    slot.worker.on('message', (msg: { ready?: boolean; id?: number; result?: MathVerification }) => {
      if (msg.ready) {
        slot.ready = true;
        this.startFailures = 0;
      } else if (slot.job && msg.id === slot.job.id && msg.result) {
        const job = slot.job;
        slot.job = undefined;
        clearTimeout(job.timer);
        slot.worker.unref();
        job.resolve(msg.result);
      }
      this.pump();
    });
    const fail = () => this.replace(slot, 'crash');
    slot.worker.on('error', fail);
    slot.worker.on('exit', fail);
    return slot;
  }

  /** Replaces a worker that timed out or died; its job (if any) resolves `timeout`. */
  private replace(slot: Slot, why: 'timeout' | 'crash'): void {
    const i = this.slots.indexOf(slot);
    if (i < 0 || this.closed) return;
    slot.worker.removeAllListeners();
    void slot.worker.terminate();
    const job = slot.job;
    slot.job = undefined;
    if (job) {
      clearTimeout(job.timer);
      job.resolve({ verdict: 'timeout' });
    }
    if (why === 'crash' && !slot.ready && ++this.startFailures >= 3) {
      // workers cannot even start: fail loudly instead of respawning forever
      this.closed = true;
      const err = new MathPoolError('verifyMath: math verifier workers failed to start three times');
      for (const p of this.queue.splice(0)) p.reject(err);
      this.slots.splice(i, 1);
      return;
    }
    this.slots[i] = this.spawn();
    this.pump();
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (!slot.ready || slot.job) continue;
      const next = this.queue.shift();
      if (!next) return;
      const id = this.nextId++;
      const timer = setTimeout(() => this.replace(slot, 'timeout'), next.timeoutMs);
      slot.job = { ...next, id, timer };
      slot.worker.ref();
      slot.worker.postMessage({ id, gold: next.gold, completion: next.completion, options: next.options });
    }
  }
}
