// Strict configs at every entry point, and one meaning per GRPO section: `aha run r1-zero` (= npm start), `aha run r1`
// (either GRPO stage) and `aha train grpo` reject an unknown key naming it and the closest valid key, before any
// training; and the same `grpo` section resolves to the same GrpoConfig in all three (it used to be silently
// dropped by r1-zero, whose own schema called the fields `steps` / `epsilon`). Leaves out: running the training
// (recipe and command tests do), library constructors (their packages test them).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../cli/capture.js';
import { resolveTrainGrpo } from '../commands/train-grpo.js';
import { resolveR1Config } from '../recipes/r1/recipe.js';
import { resolveR1ZeroConfig } from '../recipes/r1-zero.js';
import { parseConfig } from './load.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'aha-entry-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, value: unknown) => {
  writeFileSync(join(dir, name), JSON.stringify(value));
  return name;
};
const loaded = (value: Record<string, unknown>) => parseConfig(value, 'test.json', dir);

/** Every GrpoConfig key (less seed/outputDir) set to a value no entry point uses as its default. */
const FULL_SECTION = {
  groupSize: 4,
  promptsPerStep: 3,
  stepsPerRollout: 2,
  numIterations: 2,
  temperature: 0.9,
  topP: 0.95,
  topK: 5,
  maxPromptLength: 64,
  maxCompletionLength: 24,
  stop: ['</answer>'],
  rollout: { backend: 'local' },
  lossType: 'dapo',
  advantageScale: 'none',
  advantageEpsilon: 1e-3,
  epsilonLow: 0.2,
  epsilonHigh: 0.28,
  beta: 0.001,
  refModelSyncSteps: 7,
  refModelMixupAlpha: 0.5,
  tisCap: 2,
  dynamicSampling: true,
  overlongFilter: true,
  dynamicSamplingMaxRounds: 2,
  rewardTimeoutMs: 5000,
  learningRate: 1e-4,
  lrSchedule: 'cosine',
  warmupSteps: 3,
  minLrRatio: 0.1,
  weightDecay: 0.01,
  adamBetas: [0.8, 0.99],
  adamEpsilon: 1e-6,
  gradAccumulation: 2,
  maxGradNorm: 0.5,
  routingBiasGamma: 0.002,
  maxSteps: 30,
  resume: false,
  shuffle: false,
  checkpointEvery: 3,
  keepCheckpoints: 3,
  logSamples: 1,
  logEvery: 2,
};

describe('the same grpo section means the same thing everywhere', () => {
  it.each([
    ['every key set', FULL_SECTION],
    ['the issue report: maxSteps 30 at β = 0.001', { maxSteps: 30, beta: 0.001, epsilonHigh: 0.28 }],
  ])('%s: r1-zero, both r1 GRPO stages and train grpo resolve it to the same GrpoConfig', async (_why, section) => {
    const zero = (await resolveR1ZeroConfig(loaded({ recipe: 'r1-zero', grpo: section }))).grpo;
    const r1 = await resolveR1Config(loaded({ recipe: 'r1', grpo: { reasoning: section, alignment: section } }));
    const train = resolveTrainGrpo(loaded({ grpo: section })).grpo;
    for (const [key, value] of Object.entries(section)) {
      for (const resolved of [zero, r1.reasoning.grpo, r1.alignment.grpo, train]) {
        expect([key, (resolved as Record<string, unknown>)[key]]).toEqual([key, value]);
      }
    }
    if (section === FULL_SECTION) {
      expect(r1.reasoning.grpo).toEqual(zero);
      expect(r1.alignment.grpo).toEqual(zero);
      expect(train).toEqual(zero);
    }
  });

  it('aha run r1-zero --print-config shows the section as the trainer gets it (every default filled in)', async () => {
    write('zero.json', { recipe: 'r1-zero', grpo: { maxSteps: 30, beta: 0.001 } });
    const r = await runCliCaptured(['run', 'zero.json', '--print-config', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    const { config } = JSON.parse(r.stdout) as { config: { grpo: Record<string, unknown>; seed: number } };
    expect(config.grpo).toMatchObject({
      maxSteps: 30,
      beta: 0.001,
      learningRate: 7e-4,
      groupSize: 8,
      lossType: 'grpo',
    });
    expect(config.seed).toBe(0);
  });
});

describe('sections a recipe does not read', () => {
  it('an empty one (as `aha init` scaffolds) is accepted; one with keys is an error', async () => {
    write('empty.json', { recipe: 'distill', grpo: {} });
    expect((await runCliCaptured(['run', 'empty.json', '--print-config', '--json'], { cwd: dir })).code).toBe(0);
    write('unused.json', { recipe: 'distill', grpo: { maxSteps: 3 } });
    const r = await runCliCaptured(['run', 'unused.json', '--print-config'], { cwd: dir });
    expect(r.stderr).toContain('grpo: the distill recipe does not use this section (it reads: distill)');
    expect(r.code).toBe(2);
  });
});

describe('an unknown key fails at every entry point, naming it and the closest valid key (exit 2)', () => {
  it.each([
    [
      'aha run r1-zero (npm start)',
      ['run', 'a.json'],
      { recipe: 'r1-zero', grpo: { maxStep: 30 } },
      'grpo.maxStep: unknown key (did you mean "maxSteps"?)',
    ],
    [
      'aha run r1-zero, old key name',
      ['run', 'b.json'],
      { recipe: 'r1-zero', grpo: { steps: 30 } },
      'grpo.steps: unknown key (did you mean "maxSteps"?)',
    ],
    [
      'aha run r1-zero, recipe section',
      ['run', 'c.json'],
      { recipe: 'r1-zero', r1Zero: { trainProblem: 9 } },
      'r1Zero.trainProblem: unknown key (did you mean "trainProblems"?)',
    ],
    [
      'aha run r1-zero, a section it does not read',
      ['run', 'd.json'],
      { recipe: 'r1-zero', sft: { maxSteps: 1 } },
      'sft: the r1-zero recipe does not use this section',
    ],
    [
      'aha run r1, a GRPO stage',
      ['run', 'e.json'],
      { recipe: 'r1', grpo: { reasoning: { bta: 0 } } },
      'grpo.reasoning.bta: unknown key (did you mean "beta"?)',
    ],
    [
      'aha run r1, an SFT stage',
      ['run', 'f.json'],
      { recipe: 'r1', sft: { coldStart: { sft: { lr: 1 } } } },
      'sft.coldStart.sft.lr: unknown key (did you mean "learningRate"?)',
    ],
    [
      'aha run distill',
      ['run', 'g.json'],
      { recipe: 'distill', distill: { promts: 9 } },
      'distill.promts: unknown key (did you mean "prompts"?)',
    ],
    [
      'top level',
      ['run', 'h.json'],
      { recipe: 'r1-zero', modle: 'tiny' },
      'modle: unknown key (did you mean "model"?)',
    ],
    [
      'aha train grpo',
      ['train', 'grpo', 'i.json'],
      { grpo: { task: 'addition', maxStep: 1 } },
      'grpo.maxStep: unknown key (did you mean "maxSteps"?)',
    ],
    [
      'aha train sft',
      ['train', 'sft', 'j.json'],
      { sft: { dataset: 'x.jsonl', schedule: 'cosine' } },
      'sft.schedule: unknown key (did you mean "lrSchedule"?)',
    ],
    [
      'aha train rm',
      ['train', 'rm', 'k.json'],
      { rm: { dataset: 'x.jsonl', totalSteps: 3 } },
      'rm.totalSteps: unknown key (did you mean "maxSteps"?)',
    ],
  ])('%s', async (_entry, argv, config, message) => {
    write(argv[argv.length - 1], config);
    const r = await runCliCaptured(argv, { cwd: dir });
    expect(r.stderr).toContain(message);
    expect(r.code).toBe(2);
  });
});
