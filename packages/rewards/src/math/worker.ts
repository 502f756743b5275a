/**
 * Worker-thread entry of the math verifier pool: receives `{ id, gold, completion, options? }`, answers `{ id, result }`.
 * It announces `{ ready: true }` once loaded so the pool starts a job's timeout only when a worker can run it.
 * An unexpected exception becomes `not_equal` (never `equal`, never a skip).
 */
import { parentPort } from 'node:worker_threads';
import { type MathVerification, type VerifyCoreOptions, verifyMathSync } from './verify-core.js';

interface Job {
  id: number;
  gold: string;
  completion: string;
  options?: VerifyCoreOptions;
}

const port = parentPort;
if (port) {
  port.on('message', (job: Job) => {
    let result: MathVerification;
    try {
      result = verifyMathSync(job.gold, job.completion, job.options);
    } catch {
      result = { verdict: 'not_equal' };
    }
    port.postMessage({ id: job.id, result });
  });
  port.postMessage({ ready: true });
}
