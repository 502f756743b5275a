import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deepseekV3ParamCount, loadModel } from '@aha/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../config/load.js';
import { AHA_MOMENT_BASE_MODEL_DIR, readBaseModelRecord, SHIPPED_BASE_MODEL_DIR } from '../base-model/save.js';
import { R1ZeroGrpoSchema } from '../r1-zero.js';
import { AhaMomentGrpoSchema, ahaMomentOptionsFromConfig, resolveAhaMomentConfig, runAhaMoment } from './recipe.js';

// A micro setting on the shipped aha-moment base model: 2 GRPO steps of 4 prompts × 4, 4 eval problems (seconds).
const MICRO = {
  task: { evalProblems: 4 },
  grpo: { maxSteps: 2, promptsPerStep: 4, groupSize: 4, checkpointEvery: 1, logSamples: 4 },
  trainProblems: 20,
};

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'aha-aha-moment-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('shipped aha-moment base model (assets/aha-moment-base)', () => {
  it('is small, and a minority of its corpus reflects: corrected mistakes and needless re-checks', async () => {
    const record = await readBaseModelRecord(AHA_MOMENT_BASE_MODEL_DIR);
    const model = await loadModel(AHA_MOMENT_BASE_MODEL_DIR);
    expect(deepseekV3ParamCount(model.config as never)).toBe(record.parameters);
    expect(statSync(join(AHA_MOMENT_BASE_MODEL_DIR, 'model.safetensors')).size).toBeLessThan(3 * 1024 * 1024);
    const c = record.corpus as { none: number; mistake: number; recheck: number };
    const total = c.none + c.mistake + c.recheck;
    expect(c.mistake / total).toBeGreaterThan(0.01);
    expect((c.mistake + c.recheck) / total).toBeLessThan(0.25);
    expect(record.task.minDigits).toBe(3);
    expect(record.heldOutAccuracy).toBeGreaterThan(0.1);
    expect(record.heldOutAccuracy).toBeLessThan(0.8);
  });
});

describe('aha-moment recipe (micro setting)', () => {
  it('runs the r1-zero stages from its own base model, logs the reflection split, and reports the aha panel', async () => {
    const runDir = join(root, 'run');
    const r = await runAhaMoment(MICRO, { runDir, seed: 3 });
    expect(r.interrupted).toBeUndefined();
    expect(r.grpoSteps).toBe(2);
    const lines = readFileSync(join(runDir, 'grpo', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n');
    for (const line of lines) {
      const m = JSON.parse(line) as { reflectionSplit: { share: number; reflecting: { count: number } } };
      expect(
        m.reflectionSplit.reflecting.count + (m.reflectionSplit as never as { other: { count: number } }).other.count,
      ).toBe(16);
    }
    // Start and end are one step each in a 2-step run; the summary is there and says whether reflection took off.
    expect(r.aha?.window).toBe(1);
    expect(r.aha?.start.steps).toEqual([1, 1]);
    expect(r.aha?.end.steps).toEqual([2, 2]);
    expect(r.aha?.start.completionLength).toBeGreaterThan(10);
    const html = readFileSync(r.report as string, 'utf8');
    expect(html).toContain('data-aha');
    expect(html).toContain('aha moment in miniature: held-out greedy accuracy');
    // The evaluated prompts are the base model's three-digit task.
    const stages = JSON.parse(readFileSync(join(runDir, 'stages.json'), 'utf8')) as Record<
      string,
      { output: { samples: { prompt: string }[] } }
    >;
    for (const s of stages['evaluate-base'].output.samples) expect(s.prompt).toMatch(/^\d{3}\+\d{3}=$/);
  }, 60_000);

  it('reads its own config sections with its own defaults; r1-zero keys elsewhere are rejected', async () => {
    const loaded = {
      config: { model: 'tiny', grpo: { learningRate: 5e-4 }, ahaMoment: { evalEvery: 50 } },
      source: 'test',
    } as unknown as LoadedConfig;
    const resolved = await resolveAhaMomentConfig(loaded);
    expect(resolved.grpo.learningRate).toBe(5e-4);
    expect(resolved.grpo.maxSteps).toBe(AhaMomentGrpoSchema.parse({}).maxSteps);
    expect(resolved.grpo.maxSteps).not.toBe(R1ZeroGrpoSchema.parse({}).maxSteps);
    expect(resolved.ahaMoment.evalEvery).toBe(50);
    expect(resolved.task.minDigits).toBe(3);
    expect(() =>
      ahaMomentOptionsFromConfig({ config: { r1Zero: { evalEvery: 1 } }, source: 'test' } as unknown as LoadedConfig),
    ).toThrow(/r1Zero/);
    expect(AHA_MOMENT_BASE_MODEL_DIR).not.toBe(SHIPPED_BASE_MODEL_DIR);
  });
});
