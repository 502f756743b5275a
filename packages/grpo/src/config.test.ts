import { AhaError, TrainConfigBaseSchema } from '@aha/core';
import { describe, expect, it } from 'vitest';
import { GrpoConfigSchema, grpoConfigJsonSchema, parseGrpoConfig } from './config.js';
import { GrpoTrainer } from './trainer/trainer.js';

describe('GrpoConfig', () => {
  it('defaults come from the R1 paper where it gives them', () => {
    const c = parseGrpoConfig({});
    expect(c).toMatchObject({
      groupSize: 16,
      promptsPerStep: 32,
      stepsPerRollout: 16,
      numIterations: 1,
      temperature: 1,
      maxCompletionLength: 32768,
      learningRate: 3e-6,
      beta: 0.001,
      epsilonLow: 10,
      epsilonHigh: 10,
      refModelSyncSteps: 400,
      maxSteps: 10400,
      lossType: 'grpo',
      advantageScale: 'std',
      rewardWeights: { accuracy: 1, format: 1 },
      rollout: { backend: 'local' },
    });
  });

  it('keeps user values and defaults the rest, including nested remote rollout', () => {
    const c = parseGrpoConfig({
      groupSize: 4,
      lossType: 'dr_grpo',
      rollout: { backend: 'remote', baseUrl: 'http://127.0.0.1:8000', model: 'tiny' },
    });
    expect(c.groupSize).toBe(4);
    expect(c.lossType).toBe('dr_grpo');
    expect(c.rollout).toEqual({
      backend: 'remote',
      baseUrl: 'http://127.0.0.1:8000',
      model: 'tiny',
      timeoutMs: 600000,
      maxRetries: 3,
    });
  });

  it('rejects bad values and unknown keys with a config error naming each path', () => {
    try {
      parseGrpoConfig({ groupSize: 1, lossType: 'ppo', topP: 0, grupSize: 8, rollout: { backend: 'remote' } });
      expect.unreachable();
    } catch (err) {
      expect(AhaError.is(err, 'config')).toBe(true);
      const msg = (err as Error).message;
      expect(msg).toMatch(/groupSize:/);
      expect(msg).toMatch(/lossType:/);
      expect(msg).toMatch(/topP:/);
      expect(msg).toMatch(/grupSize: unknown key \(did you mean "groupSize"\?\)/); // typo caught, closest key named
      expect(msg).toMatch(/rollout\.baseUrl/);
    }
  });

  it('new GrpoTrainer rejects a misspelt option (it used to be dropped silently) and names the closest key', () => {
    expect(() => new GrpoTrainer({ maxStep: 30, beta: 0.001 } as never)).toThrow(
      /GrpoTrainer: invalid options\n {2}maxStep: unknown key \(did you mean "maxSteps"\?\)/,
    );
    expect(() => new GrpoTrainer({ steps: 30 } as never)).toThrow(/steps: unknown key \(did you mean "maxSteps"\?\)/);
  });

  it('shares the base training config of @aha/core (one vocabulary), with GRPO defaults', () => {
    for (const key of Object.keys(TrainConfigBaseSchema.shape).filter((k) => k !== 'epochs')) {
      expect(GrpoConfigSchema.shape).toHaveProperty(key);
    }
    expect(parseGrpoConfig({}).resume).toBe(true);
  });

  it('remote rollouts take a weight sync: lora or full, defaulted, checked strictly', () => {
    const remote = { backend: 'remote', baseUrl: 'http://127.0.0.1:8000', model: 'base' } as const;
    const lora = parseGrpoConfig({ rollout: { ...remote, sync: { kind: 'lora' } } }).rollout;
    expect(lora.backend === 'remote' && lora.sync).toEqual({
      kind: 'lora',
      namePrefix: 'aha-policy',
      timeoutMs: 300000,
    });
    const full = parseGrpoConfig({ rollout: { ...remote, sync: { kind: 'full', serverDir: '/mnt/x' } } }).rollout;
    expect(full.backend === 'remote' && full.sync).toEqual({
      kind: 'full',
      endpoint: '/update_weights_from_disk',
      pathKey: 'model_path',
      serverDir: '/mnt/x',
      timeoutMs: 300000,
    });
    const bad = (sync: unknown) => () => parseGrpoConfig({ rollout: { ...remote, sync } });
    expect(bad({ kind: 'nccl' })).toThrow(/rollout\.sync\.kind/);
    expect(bad({ kind: 'full', endpoint: 'reload' })).toThrow(/rollout\.sync\.endpoint: a path starting with \//);
    expect(bad({ kind: 'lora', namePrefix: 'my policy' })).toThrow(/rollout\.sync\.namePrefix/);
    expect(bad({ kind: 'lora', endpoint: '/x' })).toThrow(/rollout\.sync.*endpoint/); // a full-sync key on lora
    expect(bad({ kind: 'lora', timeoutMs: 0 })).toThrow(/rollout\.sync\.timeoutMs/);
    expect(() => parseGrpoConfig({ rollout: { backend: 'local', sync: { kind: 'lora' } } })).toThrow(/sync/);
  });

  it('rejects empty stop strings', () => {
    expect(() => parseGrpoConfig({ stop: [''] })).toThrow(/stop\[0\]: stop strings must be non-empty/);
  });

  it('every field has a description (the docs) — checked on the schema itself', () => {
    const shape = GrpoConfigSchema.shape;
    for (const [key, field] of Object.entries(shape)) {
      expect(field.description, key).toBeTruthy();
    }
  });

  it('exports a JSON Schema with descriptions and defaults for every property', () => {
    const js = grpoConfigJsonSchema() as {
      type: string;
      properties: Record<string, { description?: string; default?: unknown }>;
      required?: string[];
      additionalProperties?: boolean;
    };
    expect(js.type).toBe('object');
    expect(js.additionalProperties).toBe(false);
    expect(js.required ?? []).toEqual([]); // input side: everything optional
    const props = Object.entries(js.properties);
    expect(props.length).toBe(Object.keys(GrpoConfigSchema.shape).length);
    for (const [key, p] of props) {
      expect(p.description, key).toBeTruthy();
      expect(p.default, key).not.toBeUndefined();
    }
    expect(js.properties.beta.default).toBe(0.001);
    expect(js.properties.beta.description).toMatch(/β/);
    expect(js.properties.groupSize.description).toMatch(/^G/);
  });
});
