/**
 * Worker-thread scoring: a reward defined with `worker: { module, export }` scores each sample in a worker thread, so a
 * synchronous runaway (an infinite loop in user code) is cut at its time limit by terminating the thread — the only
 * way to stop synchronous JS in Node short of a process. Follows sharp's "long work off the event loop" idea; the
 * thread is replaced and the remaining samples go on.
 *
 * The host script is evaluated from a string (`eval: true`) so the package needs no separate worker entry file; the
 * user module is loaded with `import()`; a TypeScript module that Node cannot load as is (a worker does not get the
 * loader hooks its process registered) is loaded through tsx's `tsImport`, found from the module's own folder or from
 * this package — a reward written in .ts works under the source CLI, the built CLI and plain node alike.
 *
 * Time: each sample has `timeoutMs`; after `MAX_TIMEOUTS_IN_A_ROW` samples of one batch time out one after another,
 * the rest of the batch is marked as timed out without being run, so a reward that hangs on everything costs a few
 * time limits per batch, not one per sample.
 *
 * Memory: `maxHeapMb` caps the thread's V8 heap (`resourceLimits`); a thread over it dies with
 * ERR_WORKER_OUT_OF_MEMORY, reported as an error for that sample, and a fresh thread takes the next one.
 *
 * Leaves out: limits on native memory (Buffers, WASM) inside the thread.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ValueError } from '@aha/errors';
import { type Reward, type RewardContext, registerWorkerScore, type Sample, type SampleOutcome } from './reward.js';

/** Time a fresh worker may take to load the user module before every remaining sample is marked as an error. */
const STARTUP_MS = 30_000;

/** Samples of one batch that may time out one after another before the rest of the batch is given up. */
export const MAX_TIMEOUTS_IN_A_ROW = 3;

// Runs inside the worker: loads the module (a .ts one through tsx when Node cannot), then answers
// { id, ok, value | message } per sample message.
const HOST = `
const { parentPort, workerData } = require('node:worker_threads');
function loadTs(err) {
  if (!err || err.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw err;
  if (!workerData.tsxApi) throw new Error(err.message + ' (a TypeScript worker module needs tsx: npm install -D tsx; or build it to .js)');
  return import(workerData.tsxApi).then((api) => api.tsImport(workerData.module, workerData.module));
}
import(workerData.module).catch(loadTs).then((mod) => {
  const fn = mod[workerData.exportName];
  if (typeof fn !== 'function') {
    parentPort.postMessage({ fatal: 'export ' + JSON.stringify(workerData.exportName) + ' of ' + workerData.module + ' is ' + typeof fn + ', not a function' });
    return;
  }
  parentPort.on('message', async (msg) => {
    try {
      const value = await fn(msg.sample, msg.limits);
      parentPort.postMessage({ id: msg.id, ok: true, value: value === undefined ? undefined : value });
    } catch (err) {
      parentPort.postMessage({ id: msg.id, ok: false, message: err && err.message ? String(err.message) : String(err) });
    }
  });
  parentPort.postMessage({ ready: true });
}, (err) => parentPort.postMessage({ fatal: 'cannot load ' + workerData.module + ': ' + (err && err.message ? err.message : String(err)) }));
`;

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string };

/** Module specifier for the worker: file URLs and absolute paths become file URLs, anything else goes as is. */
function specifierOf(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (module.startsWith('file:') || module.startsWith('data:')) return module;
  if (module.startsWith('/') || /^[A-Za-z]:[\\/]/.test(module)) return pathToFileURL(module).href;
  return module;
}

const TS_FILE = /\.[mc]?tsx?$/;

/**
 * URL of tsx's ESM API (`tsx/esm/api`, which has `tsImport`) for a TypeScript worker module: found beside the module,
 * else beside this package; undefined for JS modules or when tsx is not installed (loading then fails with a message
 * that says to install it).
 */
function tsxApiFor(specifier: string): string | undefined {
  if (!specifier.startsWith('file:') || !TS_FILE.test(specifier)) return undefined;
  for (const from of [specifier, import.meta.url]) {
    try {
      const pkgFile = createRequire(from).resolve('tsx/package.json');
      const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as {
        exports?: Record<string, { import?: { default?: string } }>;
      };
      const entry = pkg.exports?.['./esm/api']?.import?.default;
      if (entry) return pathToFileURL(join(dirname(pkgFile), entry)).href;
    } catch {}
  }
  return undefined;
}

class Lane {
  private worker: Worker | undefined;
  private readonly tsxApi: string | undefined;
  private waiting: ((event: { kind: 'reply'; reply: Reply } | { kind: 'exit'; message: string }) => void) | undefined;

  constructor(
    private readonly specifier: string,
    private readonly exportName: string,
    private readonly maxHeapMb: number | undefined,
  ) {
    this.tsxApi = tsxApiFor(specifier);
  }

  /** Starts a worker and waits until the module is loaded; returns an error message when it cannot. */
  async start(): Promise<string | undefined> {
    const worker = new Worker(HOST, {
      eval: true,
      workerData: { module: this.specifier, exportName: this.exportName, tsxApi: this.tsxApi },
      stdout: false,
      stderr: false,
      ...(this.maxHeapMb ? { resourceLimits: { maxOldGenerationSizeMb: this.maxHeapMb } } : {}),
    });
    this.worker = worker;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        void worker.terminate();
        resolve(`worker did not load ${this.specifier} within ${STARTUP_MS} ms`);
      }, STARTUP_MS);
      worker.on('message', (msg: { ready?: true; fatal?: string } & Partial<Reply>) => {
        if (msg.ready || msg.fatal) {
          clearTimeout(timer);
          resolve(msg.fatal);
          return;
        }
        if (this.worker === worker) this.waiting?.({ kind: 'reply', reply: msg as Reply });
      });
      const gone = (message: string) => {
        clearTimeout(timer);
        resolve(message);
        // A terminated (replaced) worker's late exit must not touch the sample its successor is running.
        if (this.worker !== worker) return;
        this.worker = undefined;
        this.waiting?.({ kind: 'exit', message });
      };
      worker.on('error', (err) => gone(`worker error: ${err.message}`));
      worker.on('exit', (code) => gone(`worker exited with code ${code}`));
    });
  }

  /** Scores one sample with a wall-clock limit; on timeout the worker is terminated (a fresh one starts next time). */
  async run(id: number, sample: Sample, timeoutMs: number): Promise<SampleOutcome> {
    const worker = this.worker!;
    return new Promise<SampleOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        this.worker = undefined;
        void worker.terminate();
        resolve({ status: 'timeout', value: null, message: `no result within ${timeoutMs} ms; worker terminated` });
      }, timeoutMs);
      this.waiting = (event) => {
        if (event.kind === 'reply' && event.reply.id !== id) return;
        clearTimeout(timer);
        this.waiting = undefined;
        if (event.kind === 'exit') resolve({ status: 'error', value: null, message: event.message });
        else if (!event.reply.ok) resolve({ status: 'error', value: null, message: event.reply.message });
        else resolve(checkValue(event.reply.value));
      };
      try {
        worker.postMessage({ id, sample, limits: { timeoutMs } });
      } catch (err) {
        clearTimeout(timer);
        this.waiting = undefined;
        resolve({
          status: 'error',
          value: null,
          message: `cannot send the sample to the worker: ${(err as Error).message}`,
        });
      }
    });
  }

  get ready(): boolean {
    return this.worker !== undefined;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }
}

/** A finite number or null is a value; anything else is an error for that sample (never a silent 0). */
export function checkValue(value: unknown): SampleOutcome {
  if (value === null || value === undefined) return { status: 'ok', value: null };
  if (typeof value === 'number' && Number.isFinite(value)) return { status: 'ok', value };
  return {
    status: 'error',
    value: null,
    message: `returned ${typeof value === 'number' ? value : typeof value}, not a finite number or null`,
  };
}

/**
 * Scores `samples` with a worker reward: per-sample time limit `limits.timeoutMs`, errors isolated per sample.
 * Rejects only when `signal` aborts.
 */
export async function runWorkerOutcomes(
  reward: Pick<Reward, 'name' | 'worker'>,
  samples: readonly Sample[],
  options: {
    timeoutMs: number;
    signal?: AbortSignal;
    /** Called as each sample's outcome is known (the runner reports failures and timeouts as they happen). */
    onOutcome?: (index: number, outcome: SampleOutcome) => void;
  },
): Promise<SampleOutcome[]> {
  const spec = reward.worker;
  if (!spec) throw new ValueError(`reward '${reward.name}': has no worker spec`);
  const threads = Math.max(1, Math.min(spec.threads ?? 1, samples.length));
  const specifier = specifierOf(spec.module);
  const outcomes: (SampleOutcome | undefined)[] = new Array(samples.length).fill(undefined);
  const lanes = Array.from({ length: threads }, () => new Lane(specifier, spec.export ?? 'default', spec.maxHeapMb));
  let next = 0;
  let fatal: string | undefined;
  let timeoutsInARow = 0;
  const onAbort = () => void Promise.all(lanes.map((l) => l.close()));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.all(
      lanes.map(async (lane) => {
        while (next < samples.length && !fatal && !options.signal?.aborted && timeoutsInARow < MAX_TIMEOUTS_IN_A_ROW) {
          if (!lane.ready) {
            const problem = await lane.start();
            if (problem) {
              fatal = problem;
              break;
            }
          }
          if (next >= samples.length || options.signal?.aborted) break; // others took the rest while this one started
          const i = next++;
          const outcome = await lane.run(i, samples[i], options.timeoutMs);
          outcomes[i] = outcome;
          timeoutsInARow = outcome.status === 'timeout' ? timeoutsInARow + 1 : 0;
          options.onOutcome?.(i, outcome);
        }
      }),
    );
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await Promise.all(lanes.map((l) => l.close()));
  }
  options.signal?.throwIfAborted();
  return outcomes.map((o, i) => {
    if (o) return o;
    const left: SampleOutcome = fatal
      ? { status: 'error', value: null, message: `reward '${reward.name}': ${fatal}` }
      : {
          status: 'timeout',
          value: null,
          message: `not run: ${MAX_TIMEOUTS_IN_A_ROW} samples of this batch timed out one after another (${options.timeoutMs} ms each)`,
        };
    options.onOutcome?.(i, left);
    return left;
  });
}

registerWorkerScore(async (reward: Reward, samples: Sample[], ctx: RewardContext) => {
  const outcomes = await runWorkerOutcomes(reward, samples, { timeoutMs: ctx.limits.timeoutMs, signal: ctx.signal });
  return outcomes.map((o, i) => {
    if (o.status !== 'ok') ctx.fail(i, o.message ?? o.status, o.status);
    return o.value;
  });
});
