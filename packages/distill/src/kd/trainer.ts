/**
 * `KdTrainer`: logit distillation of a student from a frozen teacher on a dataset of prompts + completions, on
 * @aha/core's `trainLoop`. Each micro-batch runs the teacher without a graph (`noGrad`), the student with one, and
 * minimises the chosen divergence (losses.ts) over the completion tokens, plus optionally α × the usual next-token
 * cross-entropy (Hinton et al.'s soft + hard targets). This is supervised KD / GKD with λ = 0 (TRL `GKDTrainer`
 * with `lmbda=0`); the R1 paper itself distils by SFT on teacher samples (`SftTrainer` on `rejectionSample` output).
 * Teacher and student must share the tokenizer (same vocabulary size).
 * Leaves out: on-policy sampling from the student (GKD λ > 0), teacher logits cached on disk.
 */
import {
  add,
  crossEntropy,
  type Model,
  mul,
  noGrad,
  ShapeError,
  type StepReport,
  type Tokenizer,
  type TrainEvent,
  ValueError,
} from '@aha/core';
import { z } from 'zod';
import { collate, type LmBatch, prng, type TokenizedExample, tokenizeSftDataset } from '../data/sft-data.js';
import { runLmTraining } from '../lm-task.js';
import { loadRows, parseConfig } from '../sft/trainer.js';
import { TrainConfigSchema } from '../train-config.js';
import { DivergenceSchema, distillLoss } from './losses.js';

export const KdConfigSchema = TrainConfigSchema.extend({
  divergence: DivergenceSchema.default('forward_kl'),
  beta: z.number().min(0).max(1).default(0.5).describe('β of the generalized JSD (teacher share of the mixture).'),
  temperature: z.number().positive().default(1).describe('τ: both logits are divided by it before the softmax.'),
  ceWeight: z
    .number()
    .nonnegative()
    .default(0)
    .describe(
      'α: add α × next-token cross-entropy on the dataset tokens (hard targets) to the divergence (off-policy micro-batches only).',
    ),
  lmbda: z
    .number()
    .min(0)
    .max(1)
    .default(0)
    .describe('λ of GKD: share of micro-batches whose completions are sampled from the student (on-policy).'),
  maxNewTokens: z.number().int().positive().default(128).describe('Most tokens the student samples (λ > 0).'),
  generationTemperature: z
    .number()
    .nonnegative()
    .default(1)
    .describe('Sampling temperature of the on-policy completions (λ > 0).'),
});
export type KdConfig = z.input<typeof KdConfigSchema>;

/** Options of `new KdTrainer(...)`. */
export interface KdTrainerOptions {
  /** Trained in place. */
  student: Model;
  /** Frozen: run without gradients, never stepped. */
  teacher: Model;
  tokenizer: Tokenizer;
  /** Rows `{ prompt, completion }` / `{ messages }`, or a JSONL file of them. */
  dataset: readonly unknown[] | string;
  config?: KdConfig;
}

/** Logit distillation trainer; `train()` yields one `StepReport` per step, metrics `kd` and `ce` per step. */
export class KdTrainer {
  readonly config: z.output<typeof KdConfigSchema>;

  constructor(private readonly options: KdTrainerOptions) {
    this.config = parseConfig(KdConfigSchema, options.config, 'KdTrainer');
    const [s, t] = [options.student.config.vocab_size, options.teacher.config.vocab_size];
    if (s !== t)
      throw new ShapeError(
        `KdTrainer: student vocab_size ${s} and teacher vocab_size ${t} differ; they must share a tokenizer`,
      );
    if (options.student === options.teacher) throw new ValueError('KdTrainer: student and teacher are the same model');
    if (this.config.lmbda > 0 && (this.config.packing || !this.config.completionOnlyLoss))
      throw new ValueError(
        'KdTrainer: on-policy distillation (lmbda > 0) needs packing: false and completionOnlyLoss: true',
      );
  }

  async examples(): Promise<TokenizedExample[]> {
    const rows = await loadRows(this.options.dataset);
    return tokenizeSftDataset(rows, this.options.tokenizer, this.config).examples;
  }

  async *train(
    options: { signal?: AbortSignal; onEvent?: (event: TrainEvent) => void } = {},
  ): AsyncGenerator<StepReport> {
    const { student, teacher, tokenizer } = this.options;
    const c = this.config;
    teacher.eval();
    const examples = await this.examples();
    const { reports } = runLmTraining({
      model: student,
      examples,
      config: c,
      padId: tokenizer.padTokenId ?? tokenizer.eosTokenId ?? 0,
      loss: async (given, ctx) => {
        const coin = prng(((c.seed * 7919 + ctx.step) * 131 + ctx.micro) | 0)();
        const onPolicy = c.lmbda > 0 && coin < c.lmbda;
        const batch = onPolicy ? await this.studentBatch(ctx.items, ctx.step * 131 + ctx.micro) : given;
        const forward = { attentionMask: batch.attentionMask };
        const teacherLogits = noGrad(() => teacher.forward(batch.tokens, forward)); // [B, T, V]
        const studentLogits = student.forward(batch.tokens, forward); // [B, T, V]
        const kd = distillLoss(studentLogits, teacherLogits, c.divergence, {
          mask: batch.targetMask,
          temperature: c.temperature,
          beta: c.beta,
        });
        const ce = crossEntropy(studentLogits, batch.targets, { ignoreIndex: c.ignoreIndex });
        const loss = c.ceWeight > 0 && !onPolicy ? add(kd, mul(ce, c.ceWeight)) : kd; // no hard targets in the student's own samples
        return { loss, metrics: { kd: kd.item(), ce: ce.item(), onPolicy: onPolicy ? 1 : 0 } };
      },
      signal: options.signal,
      onEvent: options.onEvent,
    });
    yield* reports;
  }

  /** The micro-batch with each completion replaced by a student sample for the same prompt (GKD on-policy data). */
  private async studentBatch(items: readonly TokenizedExample[], seed: number): Promise<LmBatch> {
    const { student, tokenizer } = this.options;
    const c = this.config;
    const prompts = items.map((e) => e.tokens.slice(0, e.promptLength));
    const gens = await student.generate(prompts, {
      maxNewTokens: c.maxNewTokens,
      temperature: c.generationTemperature,
      seed: c.seed * 1_000_003 + seed,
    });
    const examples = prompts.map((p, i) => {
      const tokens = [...p, ...gens[i].tokens].slice(0, c.maxLength);
      const labels = tokens.map((t, j) => (j < p.length ? c.ignoreIndex : t));
      return { tokens, labels, promptLength: p.length };
    });
    return collate(examples, tokenizer.padTokenId ?? tokenizer.eosTokenId ?? 0, c.ignoreIndex);
  }
}
