import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { add, mul, sub } from '../ops/binary.js';
import { linear } from '../ops/linear.js';
import { mean } from '../ops/reduce.js';
import { AdamW } from '../optim/adamw.js';
import { cosineWarmupDecay, LrScheduler } from '../optim/schedule.js';
import { type Tensor, tensor } from '../tensor.js';
import { rng } from '../testing/gradcheck.js';
import { latestCheckpoint, listCheckpoints } from './checkpoint.js';
import { TrainingDivergedError, type TrainTask, trainLoop } from './loop.js';

// A small regression task whose batches come from a seeded stream, so its data position is part of the state.
function makeTask(opts: { poison?: number; steps?: number } = {}) {
  const w = tensor(new Float32Array(8).fill(0.1), [2, 4]).requiresGrad_();
  const b = tensor(new Float32Array(2), [2]).requiresGrad_();
  w.name = 'w';
  b.name = 'b';
  const optimizer = new AdamW([w, b], { lr: 0.05, betas: [0.9, 0.99], eps: 1e-8, weightDecay: 0.01 });
  const scheduler = new LrScheduler(optimizer, cosineWarmupDecay({ warmupSteps: 2, totalSteps: opts.steps ?? 12 }));
  let cursor = 0;
  const batchAt = (i: number) => {
    const r = rng(1000 + i);
    const x = Float32Array.from({ length: 12 }, () => r() * 2 - 1);
    const y = new Float32Array(6);
    for (let n = 0; n < 3; n++) {
      y[n * 2] = 2 * x[n * 4] - x[n * 4 + 1] + 0.5;
      y[n * 2 + 1] = x[n * 4 + 2] + x[n * 4 + 3];
    }
    return { x: tensor(x, [3, 4]), y: tensor(y, [3, 2]) };
  };
  const task: TrainTask<{ x: Tensor; y: Tensor }> = {
    namedTensors: () => [
      ['w', w],
      ['b', b],
    ],
    modelConfig: { kind: 'test' },
    optimizer,
    scheduler,
    async nextBatches() {
      return [batchAt(cursor++), batchAt(cursor++)];
    },
    async loss(batch, ctx) {
      const err = sub(linear(batch.x, w, b), batch.y);
      const loss = mean(mul(err, err));
      if (opts.poison !== undefined && ctx.step === opts.poison) return { loss: add(loss, Number.NaN) };
      return { loss, tokens: 3, metrics: { mse: loss.item() } };
    },
    stateDict: () => ({ cursor }),
    loadStateDict: (s) => {
      cursor = (s as { cursor: number }).cursor;
    },
  };
  return { task, w, b };
}

const dirs: string[] = [];
async function tempDir() {
  const d = await mkdtemp(join(tmpdir(), 'aha-loop-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('trainLoop', () => {
  it('lowers the loss and reports every step', async () => {
    const { task } = makeTask({ steps: 60 });
    const reports = [];
    for await (const r of trainLoop(task, { totalSteps: 60, maxGradNorm: 1 })) reports.push(r);
    expect(reports.map((r) => r.step)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(reports[59].metrics.mse).toBeLessThan(reports[0].metrics.mse * 0.1);
    expect(reports.every((r) => Number.isFinite(r.gradNorm) && r.tokensPerSecond! > 0)).toBe(true);
    expect(reports[0].lr).toBe(0); // warmup starts at 0
  });

  it('resumes from a checkpoint to exactly the state of an uninterrupted run', async () => {
    const straight = makeTask();
    for await (const _ of trainLoop(straight.task, { totalSteps: 12 })) {
      // run to the end
    }
    const dir = await tempDir();
    const first = makeTask();
    for await (const r of trainLoop(first.task, { totalSteps: 12, outputDir: dir, checkpointEvery: 5 })) {
      if (r.step === 7) break; // a crash after step 7: the newest checkpoint is step 5
    }
    expect((await listCheckpoints(join(dir, 'checkpoints'))).map((c) => c.step)).toEqual([5]);
    const second = makeTask();
    const steps = [];
    for await (const r of trainLoop(second.task, { totalSteps: 12, outputDir: dir, checkpointEvery: 5 })) {
      steps.push(r.step);
    }
    expect(steps[0]).toBe(6);
    expect(Array.from(second.w.toFloat32Array())).toEqual(Array.from(straight.w.toFloat32Array()));
    expect(Array.from(second.b.toFloat32Array())).toEqual(Array.from(straight.b.toFloat32Array()));
  });

  it('ignores a half-written checkpoint folder', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'checkpoints', '.checkpoint-000009.123.abcd.tmp'), { recursive: true });
    expect(await latestCheckpoint(join(dir, 'checkpoints'))).toBeNull();
    const { task } = makeTask();
    for await (const _ of trainLoop(task, { totalSteps: 2, outputDir: dir })) {
      // run
    }
    expect(await readdir(join(dir, 'checkpoints', 'checkpoint-000002'))).toEqual(
      expect.arrayContaining(['model.safetensors', 'config.json', 'optimizer.safetensors', 'trainer_state.json']),
    );
  });

  it('stops on a NaN loss with a clear error naming the step and the last good checkpoint', async () => {
    const dir = await tempDir();
    const { task, w } = makeTask({ poison: 4 });
    const seen: number[] = [];
    const run = async () => {
      for await (const r of trainLoop(task, { totalSteps: 12, outputDir: dir, checkpointEvery: 2 })) seen.push(r.step);
    };
    await expect(run()).rejects.toThrow(TrainingDivergedError);
    await expect(run()).rejects.toThrow(/loss is NaN at step 4.*checkpoint-000004/);
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(w.toFloat32Array().every(Number.isFinite)).toBe(true);
  });

  it('checkpoints and returns when cancelled', async () => {
    const dir = await tempDir();
    const controller = new AbortController();
    const { task } = makeTask();
    const steps = [];
    for await (const r of trainLoop(task, { totalSteps: 12, outputDir: dir }, { signal: controller.signal })) {
      steps.push(r.step);
      if (r.step === 3) controller.abort();
    }
    expect(steps).toEqual([1, 2, 3, 4]);
    expect((await listCheckpoints(join(dir, 'checkpoints'))).map((c) => c.step)).toEqual([4]);
  });
});
