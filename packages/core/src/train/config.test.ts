// The base training config: strict keys with a "did you mean" suggestion, recipe defaults that keep the schema, and
// the one optimizer factory. Leaves out: each trainer's own fields (their packages test them).
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { optimizerFrom } from '../optim/factory.js';
import { tensor } from '../tensor.js';
import { closestKey, parseTrainConfig, TrainConfigBaseSchema, withDefaults } from './config.js';

describe('TrainConfigBaseSchema', () => {
  it('fills every default', () => {
    expect(parseTrainConfig(TrainConfigBaseSchema, {}, 'T')).toMatchObject({
      learningRate: 1e-4,
      lrSchedule: 'linear',
      adamBetas: [0.9, 0.999],
      maxSteps: null,
      resume: true,
      logEvery: 1,
    });
  });

  it.each([
    ['lr', 'learningRate', 'renamed'],
    ['schedule', 'lrSchedule', 'renamed'],
    ['betas', 'adamBetas', 'renamed'],
    ['steps', 'maxSteps', 'renamed'],
    ['learningrate', 'learningRate', 'case'],
    ['maxStep', 'maxSteps', 'one letter'],
    ['warmup_steps', 'warmupSteps', 'snake case'],
    ['checkpointEvry', 'checkpointEvery', 'typo'],
  ])('unknown key %s suggests %s (%s)', (key, suggestion) => {
    expect(() => parseTrainConfig(TrainConfigBaseSchema, { [key]: 1 }, 'SftTrainer')).toThrow(
      `${key}: unknown key (did you mean "${suggestion}"?)`,
    );
    expect(closestKey(key, Object.keys(TrainConfigBaseSchema.shape))).toBe(suggestion);
  });

  it('suggests nothing for a key unlike any other, and names nested keys by path', () => {
    expect(() => parseTrainConfig(TrainConfigBaseSchema, { zzzzzz: 1 }, 'T')).toThrow(/zzzzzz: unknown key$/m);
    const S = z.strictObject({ rollout: z.strictObject({ baseUrl: z.string() }).optional() });
    expect(() => parseTrainConfig(S, { rollout: { baseURL: 'x' } }, 'T')).toThrow(
      'rollout.baseURL: unknown key (did you mean "baseUrl"?)',
    );
  });

  it('withDefaults changes defaults only: types, descriptions and strictness stay', () => {
    const S = withDefaults(TrainConfigBaseSchema, { learningRate: 7e-4, maxSteps: 200 });
    expect(S.parse({})).toMatchObject({ learningRate: 7e-4, maxSteps: 200, lrSchedule: 'linear' });
    expect(S.shape.learningRate.description).toBe(TrainConfigBaseSchema.shape.learningRate.description);
    expect(S.safeParse({ learningRate: -1 }).success).toBe(false);
    expect(S.safeParse({ lr: 1 }).success).toBe(false);
    expect(() => withDefaults(TrainConfigBaseSchema, { lr: 1 } as never)).toThrow(/"lr" is not a key.*learningRate/);
  });

  it('optimizerFrom builds AdamW with the config and its schedule over the run', () => {
    const w = tensor(new Float32Array(2), [2]).requiresGrad_();
    const cfg = parseTrainConfig(TrainConfigBaseSchema, { learningRate: 0.1, warmupSteps: 2, weightDecay: 0.5 }, 'T');
    const { optimizer, scheduler } = optimizerFrom(cfg, [w], 10);
    expect([optimizer.lr, optimizer.weightDecay, optimizer.betas]).toEqual([0, 0.5, [0.9, 0.999]]);
    scheduler.step();
    scheduler.step();
    expect(optimizer.lr).toBeCloseTo(0.1);
  });
});
