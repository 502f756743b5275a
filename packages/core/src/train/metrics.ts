/**
 * `metrics.jsonl`, the per-step log of every aha trainer, written by the training loop (loop.ts) and nowhere else:
 * one JSON object per logged optimizer step, in one vocabulary (`stepRecord`: step, time, loss, grad_norm, lr,
 * tokens_per_s.train, step_seconds, then the task's own metrics), which the report and the CLI read. A line is
 * appended and fsynced before the step's checkpoint becomes visible, and a resumed run first drops the lines after the
 * checkpoint it resumes from (`truncateMetrics`), so a crash at any point neither loses nor duplicates a step.
 * Leaves out: validation against the report's schema (@aha/pipeline reads forgivingly), rotation of large logs.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AhaError } from '../errors.js';
import { writeTextAtomic } from '../io/atomic.js';

/** The log's file name inside a run folder. */
export const METRICS_FILE = 'metrics.jsonl';

/** What the loop knows about a step (a subset of its `StepReport`). */
export interface StepFacts {
  step: number;
  loss: number;
  gradNorm: number;
  lr: number;
  stepMs: number;
  tokensPerSecond?: number;
  metrics: Record<string, number>;
}

/**
 * The metrics record of a step in the one vocabulary: `step`, `time` (ms since the epoch), `loss`, `grad_norm`
 * (before clipping), `lr` (used for the step), `tokens_per_s.train`, `step_seconds`, then the task's metrics by name.
 */
export function stepRecord(r: StepFacts): Record<string, unknown> {
  return {
    ...r.metrics,
    step: r.step,
    time: Date.now(),
    loss: r.loss,
    grad_norm: r.gradNorm,
    lr: r.lr,
    ...(r.tokensPerSecond === undefined ? {} : { tokens_per_s: { train: r.tokensPerSecond } }),
    step_seconds: r.stepMs / 1000,
  };
}

/** Appends one record as a line and fsyncs it (it must be on disk before the step's checkpoint is). */
export function appendMetrics(file: string, record: Record<string, unknown>): void {
  mkdirSync(dirname(file), { recursive: true });
  let fd: number;
  try {
    fd = openSync(file, 'a');
  } catch (err) {
    throw new AhaError('io', `metrics: cannot open ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    writeSync(fd, `${JSON.stringify(record)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Keeps the lines of `file` whose step is ≤ `step` (atomic rewrite); a torn last line is dropped. Nothing to do
 * when the file does not exist. Returns how many lines were dropped.
 */
export async function truncateMetrics(file: string, step: number): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw new AhaError('io', `metrics: cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const kept = lines.filter((l) => {
    try {
      const s = (JSON.parse(l) as { step?: unknown }).step;
      return typeof s === 'number' && s <= step;
    } catch {
      return false;
    }
  });
  if (kept.length === lines.length && text.endsWith('\n')) return 0;
  await writeTextAtomic(file, kept.map((l) => `${l}\n`).join(''));
  return lines.length - kept.length;
}
