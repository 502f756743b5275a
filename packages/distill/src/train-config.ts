/**
 * The configuration shared by the SFT and distillation trainers (zod; the descriptions are the docs): @aha/core's
 * base training config (`learningRate`, `lrSchedule`, `adamBetas`, `maxSteps`, `epochs`, `gradAccumulation`,
 * `checkpointEvery`, ... — one vocabulary for every trainer) extended with the fields of TRL's `SFTConfig`
 * (per_device_train_batch_size → batchSize, max_length → maxLength, packing, completion_only_loss →
 * completionOnlyLoss). The names `lr`, `schedule` and `betas` of earlier versions are unknown keys whose error names
 * the new key. Leaves out: evaluation during training, mixed precision, distributed settings (aha trains on one device).
 */
import { TrainConfigBaseSchema } from '@aha/core';
import { z } from 'zod';

export const TrainConfigSchema = TrainConfigBaseSchema.extend({
  lrSchedule: TrainConfigBaseSchema.shape.lrSchedule.unwrap().default('cosine'),
  batchSize: z.number().int().positive().default(8).describe('Sequences per micro-batch.'),
  maxLength: z
    .number()
    .int()
    .min(2)
    .default(1024)
    .describe('Tokens per sequence; longer examples are cut on the right.'),
  packing: z
    .boolean()
    .default(false)
    .describe('Pack whole examples into sequences of up to maxLength tokens (fewer pad tokens; see sft-data.ts).'),
  completionOnlyLoss: z
    .boolean()
    .default(true)
    .describe('Train only on completion tokens (prompt tokens get ignoreIndex labels); false: the whole sequence.'),
  ignoreIndex: z.number().int().default(-100).describe('Label of tokens that carry no loss (PyTorch / TRL: −100).'),
  appendEos: z.boolean().default(true).describe('Append EOS after text completions, so the model learns to stop.'),
  shuffle: z.boolean().default(true).describe('Shuffle the examples each epoch (seeded by seed and the epoch).'),
  routingBiasGamma: z
    .number()
    .nonnegative()
    .default(0)
    .describe('γ of the auxiliary-loss-free MoE bias update after each step (0: off; a dense student has no MoE).'),
});
export type TrainConfig = z.input<typeof TrainConfigSchema>;
export type ParsedTrainConfig = z.output<typeof TrainConfigSchema>;
