/**
 * Worker thread of the cleaning pool: builds the parallel prefix of the steps from the config it is sent, then
 * answers each batch with every record's fate (the record as the steps left it), the per-step counts of the batch
 * and the steps' report deltas (`checkpoint()`), which the main thread absorbs in input order.
 */
import { parentPort } from 'node:worker_threads';
import type { DataRecord, Step } from '../record.js';
import type { CleanConfig } from './config.js';
import { createSteps, emptyCounts, processRecord, type RecordFate, type StepCounts } from './steps.js';

export interface WorkerInit {
  config: CleanConfig;
  prefix: number;
  baseDir?: string;
  env?: Record<string, string | undefined>;
}
export type WorkerRequest = { init: WorkerInit } | { id: number; records: DataRecord[] };
export type WorkerResponse =
  | { ready: true }
  | { id: number; fates: RecordFate[]; counts: StepCounts[]; deltas: unknown[] }
  | { error: string; id?: number };

const port = parentPort;
if (!port) throw new Error('clean worker: not running in a worker thread');
let steps: Step[] | undefined;

port.on('message', async (msg: WorkerRequest) => {
  try {
    if ('init' in msg) {
      const { config, prefix, baseDir, env } = msg.init;
      steps = await createSteps({ ...config, steps: config.steps.slice(0, prefix) }, { baseDir, env });
      port.postMessage({ ready: true } satisfies WorkerResponse);
      return;
    }
    if (!steps) throw new Error('clean worker: batch before init');
    const counts = emptyCounts(steps);
    const fates: RecordFate[] = [];
    for (const r of msg.records) fates.push(await processRecord(r, steps, counts));
    const deltas = steps.map((s) => s.checkpoint?.());
    port.postMessage({ id: msg.id, fates, counts, deltas } satisfies WorkerResponse);
  } catch (err) {
    port.postMessage({ error: (err as Error).message, id: 'id' in msg ? msg.id : undefined } satisfies WorkerResponse);
  }
});
