/**
 * The configuration shared by the SFT and distillation trainers (zod; the descriptions are the docs), following the
 * names of TRL's `SFTConfig` / HF `TrainingArguments` where one exists (learning_rate → lr, num_train_epochs → epochs,
 * max_steps → maxSteps, per_device_train_batch_size → batchSize, gradient_accumulation_steps → gradAccumulation,
 * max_length → maxLength, packing, completion_only_loss → completionOnlyLoss, save_steps → checkpointEvery).
 * Leaves out: evaluation during training, mixed precision, distributed settings (aha trains on one device).
 */
import { z } from 'zod';

export const TrainConfigSchema = z.object({
  lr: z.number().positive().finite().default(1e-4).describe('Peak learning rate η of AdamW.'),
  schedule: z
    .enum(['constant', 'linear', 'cosine'])
    .default('cosine')
    .describe('LR schedule after warmup: constant, linear decay or half-cosine decay to minLrRatio·η.'),
  warmupSteps: z.number().int().nonnegative().default(0).describe('Steps of linear warmup from 0 to η.'),
  minLrRatio: z.number().min(0).max(1).default(0).describe('Floor of the decay as a fraction of η.'),
  weightDecay: z.number().nonnegative().default(0).describe('Decoupled weight decay λ of AdamW.'),
  betas: z
    .tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)])
    .default([0.9, 0.999])
    .describe('AdamW moment decay rates (β1, β2).'),
  epochs: z
    .number()
    .positive()
    .default(1)
    .describe('Passes over the dataset (may be fractional); ignored when maxSteps is set.'),
  maxSteps: z
    .number()
    .int()
    .positive()
    .nullable()
    .default(null)
    .describe('Optimizer steps of the run; null: derived from epochs.'),
  batchSize: z.number().int().positive().default(8).describe('Sequences per micro-batch.'),
  gradAccumulation: z.number().int().positive().default(1).describe('Micro-batches per optimizer step.'),
  maxGradNorm: z.number().positive().nullable().default(1).describe('Global gradient-norm clip; null disables it.'),
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
  seed: z.number().int().default(0).describe('Seed of the data order.'),
  outputDir: z
    .string()
    .nullable()
    .default(null)
    .describe('Run folder: checkpoints go to <outputDir>/checkpoints; null: no checkpoints.'),
  checkpointEvery: z.number().int().nonnegative().default(0).describe('Checkpoint every N steps (0: only at the end).'),
  keepCheckpoints: z.number().int().positive().default(2).describe('How many newest checkpoints to keep.'),
  resume: z
    .union([z.boolean(), z.string()])
    .default(true)
    .describe(
      'true: continue from the newest checkpoint in outputDir; a path: from that checkpoint; false: start over.',
    ),
  routingBiasGamma: z
    .number()
    .nonnegative()
    .default(0)
    .describe('γ of the auxiliary-loss-free MoE bias update after each step (0: off; a dense student has no MoE).'),
});
export type TrainConfig = z.input<typeof TrainConfigSchema>;
export type ParsedTrainConfig = z.output<typeof TrainConfigSchema>;
