// `aha train pretrain` end to end through the CLI entry (runCliCaptured) at tiny sizes: a fresh MLA + MoE + MTP model
// from `pretrain.modelConfig` on a folder of text and JSONL files (metrics with the lm/MTP terms, checkpoints, exact
// resume to more steps, a loadable final model and the report), an existing model folder with its own tokenizer, and
// config errors that name the key (exit 2). Leaves out: Ctrl-C (the shared trainLoop path, tested with train grpo).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '@aha/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../cli/capture.js';
import { MICRO_SIZES, saveMicroBaseModel } from '../recipes/base-model/micro.js';
import { BASE_MODEL_CONFIG } from '../recipes/base-model/pretrain.js';

let dir: string;
const aha = (argv: string[]) => runCliCaptured(argv, { cwd: dir });
const write = (name: string, value: unknown) =>
  writeFileSync(join(dir, name), typeof value === 'string' ? value : JSON.stringify(value));
const metrics = (run: string) =>
  readFileSync(join(dir, run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((m) => typeof m.step === 'number' && typeof m.loss === 'number');

/** The micro base model's sizes with one MTP module. */
const MODEL_CONFIG = { ...BASE_MODEL_CONFIG, ...MICRO_SIZES, num_nextn_predict_layers: 1 };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'aha-pretrain-'));
  mkdirSync(join(dir, 'corpus'));
  const sums = Array.from({ length: 12 }, (_, i) => `${i + 10}+${i * 3}=${i + 10 + i * 3}`);
  writeFileSync(join(dir, 'corpus', 'a.txt'), sums.slice(0, 6).join(' '));
  writeFileSync(
    join(dir, 'corpus', 'b.jsonl'),
    sums
      .slice(6)
      .map((t) => JSON.stringify({ text: t }))
      .join('\n'),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('aha train pretrain', () => {
  it('pretrains a fresh MLA+MoE+MTP model on text and JSONL, resumes exactly, saves the final model and report', async () => {
    const config = (maxSteps: number) => ({
      outputDir: 'runs/fresh',
      seed: 3,
      pretrain: {
        data: 'corpus',
        modelConfig: MODEL_CONFIG,
        seqLength: 16,
        batchSize: 2,
        maxSteps,
        checkpointEvery: 1,
        learningRate: 1e-3,
      },
    });
    write('fresh.json', config(2));
    const r = await aha(['train', 'pretrain', '-c', 'fresh.json', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: true, command: 'train pretrain', documents: 7, lastStep: 2 });
    expect(out.sequences).toBeGreaterThan(1);
    // The total is lm + 0.3 · mtp (the default λ), and both terms are logged.
    expect(out.loss).toBeCloseTo(out.lmLoss + 0.3 * out.mtpLoss, 4);
    expect(metrics('runs/fresh').map((m) => m.step)).toEqual([1, 2]);
    expect(existsSync(out.report)).toBe(true);
    const first = await loadModel(out.finalModel);
    expect((first.config as { num_nextn_predict_layers: number }).num_nextn_predict_layers).toBe(1);
    expect(existsSync(join(out.finalModel, 'tokenizer.json'))).toBe(true);

    // Run again with a larger budget: it continues from the step-2 checkpoint, not from scratch.
    write('fresh.json', config(3));
    const again = JSON.parse((await aha(['train', 'pretrain', '-c', 'fresh.json', '--json'])).stdout);
    expect(again).toMatchObject({ ok: true, lastStep: 3 });
    expect(metrics('runs/fresh').map((m) => m.step)).toEqual([1, 2, 3]);
  });

  it('continues pretraining an existing model folder with its tokenizer; no MTP module means no mtpLoss', async () => {
    await saveMicroBaseModel(join(dir, 'micro'));
    write('folder.json', {
      model: './micro',
      outputDir: 'runs/folder',
      pretrain: { data: 'corpus/b.jsonl', seqLength: 8, batchSize: 2, maxSteps: 1 },
    });
    const r = await aha(['train', 'pretrain', 'folder.json', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: true, documents: 6, lastStep: 1 });
    expect(out.mtpLoss).toBeUndefined();
  });

  it.each([
    [{ pretrain: { data: 'corpus', seqLenght: 8 } }, 'pretrain.seqLenght: unknown key (did you mean "seqLength"?)'],
    [{ pretrain: {} }, 'pretrain.data: expected string, got nothing'],
    [{ pretrain: { data: 'nowhere' } }, 'pretrain.data: '],
    [{ pretrain: { data: 'corpus', outputDir: 'x' } }, 'pretrain.outputDir: set the top-level "outputDir" instead'],
    [
      { model: './micro', pretrain: { data: 'corpus', modelConfig: MODEL_CONFIG } },
      'pretrain.modelConfig: set either it or the top-level "model"',
    ],
    [{ model: './micro', pretrain: { data: 'corpus', mtpWeight: 0.1 } }, 'mtpWeight = 0.1 but the model has no MTP'],
  ])('rejects %j', async (config, message) => {
    write('bad.json', config);
    const r = await aha(['train', 'pretrain', 'bad.json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});
