// The one training loop: learning, exact resume, NaN stops, cancellation, and the run's state on disk (metrics.jsonl
// written before each checkpoint, stale temporary folders, corrupt checkpoints). Leaves out: a real model (a
// two-tensor regression task stands in) and killing a real process (crashes are simulated at the same points).
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
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
import { checkpointDirName, latestCheckpoint, listCheckpoints } from './checkpoint.js';
import { type TrainEvent, TrainingDivergedError, type TrainTask, trainLoop } from './loop.js';

// A small regression task whose batches come from a seeded stream, so its data position is part of the state.
function makeTask(opts: { poison?: number; steps?: number; crashSavingAt?: number } = {}) {
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
    stateDict: () => {
      // Called while a checkpoint is written: a throw here is a crash after the step's metrics line, before the
      // checkpoint is visible.
      if (opts.crashSavingAt !== undefined && cursor === opts.crashSavingAt * 2) throw new Error('simulated crash');
      return { cursor };
    },
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

  const metricSteps = async (dir: string) =>
    (await readFile(join(dir, 'metrics.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { step: number }).step);

  it('writes one metrics line per step in the one vocabulary, and a resume says where it continues', async () => {
    const dir = await tempDir();
    for await (const r of trainLoop(makeTask().task, { totalSteps: 12, outputDir: dir, checkpointEvery: 5 })) {
      if (r.step === 7) break;
    }
    const events: TrainEvent[] = [];
    const loop = trainLoop(
      makeTask().task,
      { totalSteps: 12, outputDir: dir, checkpointEvery: 5 },
      { onEvent: (e) => events.push(e) },
    );
    for await (const _ of loop) {
      // run to the end
    }
    expect(await metricSteps(dir)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const line = JSON.parse((await readFile(join(dir, 'metrics.jsonl'), 'utf8')).split('\n')[0]);
    expect(Object.keys(line)).toEqual(
      expect.arrayContaining(['step', 'time', 'loss', 'grad_norm', 'lr', 'tokens_per_s', 'step_seconds', 'mse']),
    );
    expect(events).toContainEqual(expect.objectContaining({ type: 'resume', step: 5 }));
    expect(events.find((e) => e.type === 'resume')?.message).toMatch(/^resuming from step 5 /);
  });

  it('a crash after a step is logged but before its checkpoint is visible neither loses nor duplicates a line', async () => {
    const dir = await tempDir();
    const crashing = makeTask({ crashSavingAt: 6 }).task;
    const run = async () => {
      for await (const _ of trainLoop(crashing, { totalSteps: 9, outputDir: dir, checkpointEvery: 3 })) {
        // until the crash
      }
    };
    await expect(run()).rejects.toThrow(/simulated crash/);
    expect(await metricSteps(dir)).toEqual([1, 2, 3, 4, 5, 6]); // step 6 logged, its checkpoint never appeared
    expect((await listCheckpoints(join(dir, 'checkpoints'))).map((c) => c.step)).toEqual([3]);
    for await (const _ of trainLoop(makeTask().task, { totalSteps: 9, outputDir: dir, checkpointEvery: 3 })) {
      // resume from step 3 to the end
    }
    expect(await metricSteps(dir)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('removes temporary folders of dead writers, keeps a live one, and restores a checkpoint moved aside', async () => {
    const dir = await tempDir();
    const root = join(dir, 'checkpoints');
    const dead = `.${checkpointDirName(9)}.999999999.abcd.tmp`; // no such pid
    const live = `.${checkpointDirName(8)}.${process.pid}.abcd.tmp`;
    const movedAside = `.${checkpointDirName(1)}.999999999.beef.tmp.old`;
    for await (const _ of trainLoop(makeTask().task, { totalSteps: 1, outputDir: dir })) {
      // one step: checkpoint-000001
    }
    for (const name of [dead, live]) await mkdir(join(root, name), { recursive: true });
    // A re-save of step 1 killed between moving the old folder aside and renaming the new one into place.
    await rename(join(root, checkpointDirName(1)), join(root, movedAside));
    const events: TrainEvent[] = [];
    const again = trainLoop(makeTask().task, { totalSteps: 1, outputDir: dir }, { onEvent: (e) => events.push(e) });
    for await (const _ of again) {
      // nothing left to train
    }
    const names = await readdir(root);
    expect(names).not.toContain(dead);
    expect(names).toContain(live);
    expect(names).toContain(checkpointDirName(1));
    expect(events.filter((e) => e.type === 'cleanup').map((e) => e.message)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/removed .*999999999\.abcd\.tmp/),
        expect.stringMatching(/restored/),
      ]),
    );
  });

  it('resumes from the newest intact checkpoint when the last one is corrupt, saying which and why', async () => {
    const dir = await tempDir();
    const root = join(dir, 'checkpoints');
    for await (const r of trainLoop(makeTask().task, {
      totalSteps: 12,
      outputDir: dir,
      checkpointEvery: 3,
      keepCheckpoints: 3,
    })) {
      if (r.step === 7) break;
    }
    expect((await listCheckpoints(root)).map((c) => c.step)).toEqual([3, 6]);
    await writeFile(join(root, checkpointDirName(6), 'optimizer.safetensors'), 'not a safetensors file');
    const events: TrainEvent[] = [];
    const second = makeTask();
    const steps: number[] = [];
    const loop = trainLoop(
      second.task,
      { totalSteps: 12, outputDir: dir, checkpointEvery: 3, keepCheckpoints: 3 },
      { onEvent: (e) => events.push(e) },
    );
    for await (const r of loop) steps.push(r.step);
    expect(steps[0]).toBe(4);
    const skipped = events.find((e) => e.type === 'checkpoint-skipped');
    expect(skipped?.message).toMatch(
      /skipping checkpoint .*checkpoint-000006: .*optimizer\.safetensors.*trying .*checkpoint-000003/,
    );
    expect(events).toContainEqual(expect.objectContaining({ type: 'resume', step: 3 }));
    const straight = makeTask();
    for await (const _ of trainLoop(straight.task, { totalSteps: 12 })) {
      // uninterrupted
    }
    expect(Array.from(second.w.toFloat32Array())).toEqual(Array.from(straight.w.toFloat32Array()));
    expect(await metricSteps(dir)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });

  it('fails naming every checkpoint when none is intact', async () => {
    const dir = await tempDir();
    const root = join(dir, 'checkpoints');
    await mkdir(join(root, checkpointDirName(2)), { recursive: true });
    const run = async () => {
      for await (const _ of trainLoop(makeTask().task, { totalSteps: 4, outputDir: dir })) {
        // never starts
      }
    };
    await expect(run()).rejects.toThrow(
      /no intact checkpoint .*\n.*checkpoint-000002: .*trainer_state\.json[\s\S]*resume: false/,
    );
  });
});
