// The from-scratch recipe end to end at a reduced size (a few pages, a micro MLA + MoE + MTP model, 3 pretraining
// steps, 2 GRPO steps): every stage recorded in stages.json, each planted problem counted by its cleaning step, a
// model pretrained from the cleaned text, R1-Zero GRPO run from it, the report with the cleaning table; a rerun skips
// every stage. Leaves out: the full size (minutes; its defaults are in FromScratchSchema) and learning quality.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '@aha/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MICRO_SIZES } from '../base-model/micro.js';
import { readStages } from '../stages.js';
import { type CleanCounts, type FromScratchOptions, runFromScratch } from './recipe.js';

/** The reduced size `npm test` runs. */
export const REDUCED = {
  corpus: { pages: 16, examplesPerPage: 4, pii: 2, exactDuplicates: 2, nearDuplicates: 2, junk: 2, harmful: 2 },
  modelConfig: { ...MICRO_SIZES, num_nextn_predict_layers: 1 },
  task: { minDigits: 1, maxDigits: 2, evalProblems: 4, maxNewTokens: 6 },
  pretrain: { seqLength: 32, batchSize: 2, maxSteps: 3, warmupSteps: 0, checkpointEvery: 0 },
  grpo: { maxSteps: 2, promptsPerStep: 2, groupSize: 2, checkpointEvery: 1, warmupSteps: 0 },
  trainProblems: 20,
} satisfies FromScratchOptions;

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'aha-from-scratch-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('from-scratch recipe (reduced size)', () => {
  it('corpus → clean → pretrain → R1-Zero GRPO → report; planted problems counted; a rerun skips every stage', async () => {
    const runDir = join(root, 'run');
    const logs: string[] = [];
    const r = await runFromScratch(REDUCED, { runDir, seed: 1, log: (m) => logs.push(m) });
    expect(r.interrupted).toBeUndefined();
    const stages = await readStages(runDir);
    expect(Object.keys(stages).sort()).toEqual(['clean', 'corpus', 'pretrain', 'r1-zero', 'report']);
    expect(Object.values(stages).every((s) => s.status === 'done')).toBe(true);

    const clean = stages.clean.output as { input: number; output: number; steps: CleanCounts[] };
    const step = (name: string) => clean.steps.find((s) => s.step === name) as CleanCounts;
    expect(clean.input).toBe(16 + 2 * 5);
    expect(step('pii').edited).toBe(2);
    expect(step('content').dropped).toBe(2);
    expect(step('quality').dropped).toBe(2);
    expect(step('exact-dedup').dropped).toBe(2);
    expect(step('near-dedup').dropped).toBe(2);
    // Only the planted pages go: the 16 clean pages and the 2 (now pseudonymised) PII pages remain.
    expect(clean.output).toBe(18);

    const pre = stages.pretrain.output as { modelDir: string; steps: number; documents: number };
    // One document per line: 18 pages of 4 examples, plus the 2 pseudonymised contact lines.
    expect(pre).toMatchObject({ steps: 3, documents: 18 * 4 + 2 });
    const model = await loadModel(pre.modelDir);
    expect((model.config as { num_nextn_predict_layers: number }).num_nextn_predict_layers).toBe(1);
    const base = JSON.parse(readFileSync(join(pre.modelDir, 'base-model.json'), 'utf8'));
    expect(base.task).toMatchObject({ minDigits: 1, maxDigits: 2 });
    const pretrainMetrics = readFileSync(join(runDir, 'pretrain', 'metrics.jsonl'), 'utf8');
    expect(pretrainMetrics).toContain('"mtpLoss"');

    expect(r.grpoSteps).toBe(2);
    expect(existsSync(join(runDir, 'r1-zero', 'grpo', 'metrics.jsonl'))).toBe(true);
    const html = readFileSync(r.report as string, 'utf8');
    expect(html).toContain('<h2>Data cleaning</h2>');
    expect(html).toMatch(/<td>near-dedup<\/td><td>\d+<\/td><td>\d+<\/td><td>0<\/td><td>2<\/td>/);
    expect(html).toContain('r1-zero/report.html');

    const again: string[] = [];
    await runFromScratch(REDUCED, { runDir, seed: 1, log: (m) => again.push(m) });
    expect(again.filter((m) => m.includes('skipped'))).toHaveLength(5);
  }, 60_000);
});

describe('aha run from-scratch', () => {
  it('runs from a config file with its sections checked key by key', async () => {
    const { writeFileSync } = await import('node:fs');
    const { runCliCaptured } = await import('../../cli/capture.js');
    const { task, grpo, pretrain, ...fromScratch } = REDUCED;
    const config = { recipe: 'from-scratch', outputDir: 'run', fromScratch, pretrain, grpo, eval: task };
    writeFileSync(join(root, 'fs.json'), JSON.stringify(config));
    const r = await runCliCaptured(['run', 'fs.json', '--json'], { cwd: root });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, recipe: 'from-scratch', pretrainSteps: 3, grpoSteps: 2 });

    for (const [bad, message] of [
      [{ pretrain: { maxStep: 1 } }, 'pretrain.maxStep: unknown key (did you mean "maxSteps"?)'],
      [{ r1Zero: { evalEvery: 1 } }, 'r1Zero: the from-scratch recipe does not use this section'],
      [{ model: './base' }, 'model: the from-scratch recipe pretrains a fresh model'],
      [{ fromScratch: { corpus: { junk: 0 } } }, 'fromScratch.corpus.junk'],
    ] as const) {
      writeFileSync(join(root, 'bad.json'), JSON.stringify({ ...config, ...bad }));
      const r2 = await runCliCaptured(['run', 'bad.json'], { cwd: root });
      expect(r2.code).toBe(2);
      expect(r2.stderr).toContain(message);
    }
  }, 60_000);
});
