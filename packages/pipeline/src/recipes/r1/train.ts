/**
 * What the `r1` stages share: supervised fine-tuning with @aha/distill's `SftTrainer` logging one metrics line per
 * step (resumable: lines past the checkpoint it resumes from are dropped), GRPO with @aha/grpo's `GrpoTrainer`
 * (which writes its own metrics.jsonl and checkpoints), saving a model folder, and the held-out evaluation every
 * stage reports (greedy addition accuracy, language consistency of the chain of thought, and — with the stage-4
 * reward models — helpfulness / safety of answers to general prompts).
 * Leaves out: evaluation during SFT (the stage reports its accuracy after it ends).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createByteLevelTokenizer, latestCheckpoint, type Model, type Tokenizer } from '@aha/core';
import { SftTrainer } from '@aha/distill';
import type { AdditionProblem } from '@aha/grpo';
import { type DatasetRow, GrpoTrainer, type StepMetrics } from '@aha/grpo';
import { type RewardModel, scoreCompletions } from '@aha/reward-models';
import { languageCounts, thinkPart, type WeightedReward } from '@aha/rewards';
import { z } from 'zod';
import { createMetricsWriter } from '../../metrics/jsonl.js';
import { METRICS_FILE } from '../../report/write.js';
import { evaluateGreedy } from '../base-model/evaluate.js';
import { GENERAL_TOPICS, generalPrompt, generalWordRates } from './data.js';
import { forTrainer } from './rewards.js';

/** SFT settings of a stage (a subset of @aha/distill's TrainConfig, with the recipe's defaults set by the caller). */
export const SftSettingsSchema = z.object({
  steps: z.number().int().positive().describe('SFT optimizer steps.'),
  batchSize: z.number().int().positive().default(32).describe('Sequences per step.'),
  learningRate: z.number().positive().describe('Peak AdamW learning rate η (cosine decay after warmup).'),
  warmupSteps: z.number().int().nonnegative().default(10).describe('Linear warmup steps.'),
  checkpointEvery: z.number().int().positive().default(50).describe('Checkpoint every N steps (Ctrl-C also saves).'),
});
export type SftSettings = z.infer<typeof SftSettingsSchema>;

/** Progress callbacks of a training stage. */
export interface TrainHooks {
  onStart?(stage: string, total: number, firstStep: number): void;
  onStep?(stage: string, step: number, record: Record<string, unknown>): void;
}

const checkpointStep = (dir: string | null) => (dir ? Number(/(\d+)$/.exec(dir)?.[1] ?? 0) : 0);

/** Keeps the metrics lines up to `step` (a resumed run rewrites what came after its checkpoint). */
function truncateMetrics(file: string, step: number): void {
  if (!existsSync(file)) return;
  const kept = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() && (JSON.parse(l) as { step: number }).step <= step);
  writeFileSync(file, kept.map((l) => `${l}\n`).join(''));
}

/**
 * SFT of `model` on `{ prompt, completion }` rows in `workDir` (checkpoints there; resumes from the newest one),
 * one metrics line per step in `<workDir>/metrics.jsonl`. Returns the last step reached.
 */
export async function runSft(args: {
  stage: string;
  model: Model;
  tokenizer: Tokenizer;
  rows: readonly { prompt: string; completion: string }[];
  settings: SftSettings;
  seed: number;
  workDir: string;
  signal: AbortSignal;
  hooks?: TrainHooks;
}): Promise<{ steps: number; lastLoss: number | null; firstLoss: number | null }> {
  const { settings: s } = args;
  const metricsFile = join(args.workDir, METRICS_FILE);
  const resumeFrom = await latestCheckpoint(join(args.workDir, 'checkpoints'));
  truncateMetrics(metricsFile, checkpointStep(resumeFrom));
  args.hooks?.onStart?.(args.stage, s.steps, checkpointStep(resumeFrom));
  const trainer = new SftTrainer({
    model: args.model,
    tokenizer: args.tokenizer,
    dataset: args.rows,
    config: {
      lr: s.learningRate,
      schedule: 'cosine',
      warmupSteps: s.warmupSteps,
      maxSteps: s.steps,
      batchSize: s.batchSize,
      maxLength: args.model.config.max_position_embeddings,
      seed: args.seed,
      outputDir: args.workDir,
      checkpointEvery: s.checkpointEvery,
      keepCheckpoints: 1,
      routingBiasGamma: 0.001,
    },
  });
  const writer = createMetricsWriter(metricsFile);
  let steps = checkpointStep(resumeFrom);
  let firstLoss: number | null = null;
  let lastLoss: number | null = null;
  for await (const r of trainer.train({ signal: args.signal })) {
    steps = r.step;
    firstLoss ??= r.loss;
    lastLoss = r.loss;
    const record = { step: r.step, time: Date.now(), loss: r.loss, grad_norm: r.gradNorm, lr: r.lr, stage: args.stage };
    writer.write(record);
    args.hooks?.onStep?.(args.stage, r.step, record);
  }
  return { steps, firstLoss, lastLoss };
}

/** GRPO settings shared by the reasoning and alignment stages (their own defaults are set by each stage). */
export const GrpoSettingsSchema = z.object({
  steps: z.number().int().positive().describe('GRPO optimizer steps.'),
  promptsPerStep: z.number().int().positive().default(16).describe('Distinct prompts per step.'),
  groupSize: z.number().int().min(2).default(8).describe('G — completions sampled per prompt.'),
  learningRate: z.number().positive().describe('Peak AdamW learning rate (linear decay to 0).'),
  temperature: z.number().positive().default(1).describe('Rollout sampling temperature.'),
  epsilon: z.number().positive().default(0.2).describe('ε — clip range of the ratio (on-policy μ = 1: inactive).'),
  advantageScale: z
    .enum(['std', 'none'])
    .default('std')
    .describe("'std': Â = (r − mean) / std within a group (R1 eq. 3); 'none': Â = r − mean (Dr. GRPO)."),
  maxGradNorm: z.number().positive().default(1).describe('Clip the global gradient norm to this.'),
  checkpointEvery: z.number().int().positive().default(10).describe('Checkpoint every N steps (Ctrl-C also saves).'),
});
export type GrpoSettings = z.infer<typeof GrpoSettingsSchema>;

/** GRPO of `model` on `dataset` with the weighted `rewards` in `workDir` (resumes from its newest checkpoint). */
export async function runGrpo(args: {
  stage: string;
  model: Model;
  tokenizer: Tokenizer;
  dataset: readonly DatasetRow[];
  rewards: readonly WeightedReward[];
  settings: GrpoSettings;
  maxCompletionLength: number;
  seed: number;
  workDir: string;
  signal: AbortSignal;
  hooks?: TrainHooks;
}): Promise<{ steps: number; first?: StepMetrics; last?: StepMetrics }> {
  const s = args.settings;
  const resumeFrom = await latestCheckpoint(join(args.workDir, 'checkpoints'));
  args.hooks?.onStart?.(args.stage, s.steps, checkpointStep(resumeFrom));
  const trainer = new GrpoTrainer({
    model: args.model,
    tokenizer: args.tokenizer,
    dataset: args.dataset,
    ...forTrainer(args.rewards),
    groupSize: s.groupSize,
    promptsPerStep: s.promptsPerStep,
    stepsPerRollout: 1,
    numIterations: 1,
    temperature: s.temperature,
    maxCompletionLength: args.maxCompletionLength,
    lossType: 'grpo',
    advantageScale: s.advantageScale,
    epsilonLow: s.epsilon,
    epsilonHigh: s.epsilon,
    beta: 0,
    tisCap: null,
    learningRate: s.learningRate,
    lrSchedule: 'linear',
    warmupSteps: 0,
    weightDecay: 0,
    maxGradNorm: s.maxGradNorm,
    routingBiasGamma: 0.001,
    maxSteps: s.steps,
    seed: args.seed,
    outputDir: args.workDir,
    checkpointEvery: s.checkpointEvery,
    keepCheckpoints: 1,
    signal: args.signal,
  });
  let first: StepMetrics | undefined;
  let last: StepMetrics | undefined;
  for await (const m of trainer.train()) {
    first ??= m;
    last = m;
    args.hooks?.onStep?.(args.stage, m.step, { ...m });
  }
  return { steps: last?.step ?? checkpointStep(resumeFrom), first, last };
}

/** Language consistency of a completion's chain of thought in `language`: target words / words, null without words. */
export function languageShare(completion: string, language: string): number | null {
  const { target, total } = languageCounts(thinkPart(completion) ?? completion, language);
  return total === 0 ? null : target / total;
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/** What {@link evaluateModel} measures on a model. */
export interface StageEvaluation {
  /** Greedy held-out accuracy on the addition task. */
  accuracy: number;
  /** Mean language consistency of the greedy chains of thought (null: none has a word, e.g. compact traces). */
  languageGreedy: number | null;
  /** Mean language consistency of sampled chains of thought (τ = 1, one per held-out prompt, seeded). */
  languageSampled: number | null;
  /** Share of sampled chains of thought with any non-target word. */
  mixedShare: number;
  /** A few greedy completions. */
  samples: { prompt: string; completion: string; correct: boolean }[];
}

/** Held-out reasoning evaluation of one model (see {@link StageEvaluation}). */
export async function evaluateReasoning(
  model: Model,
  problems: readonly AdditionProblem[],
  o: { maxNewTokens: number; language: string; seed: number },
): Promise<StageEvaluation> {
  const greedy = await evaluateGreedy(model, problems, { maxNewTokens: o.maxNewTokens, keepSamples: problems.length });
  const tokenizer = createByteLevelTokenizer();
  const sampled = await model.generate(
    problems.map((p) => tokenizer.encode(p.prompt)),
    { temperature: 1, maxNewTokens: o.maxNewTokens, tokenizer, seed: o.seed },
  );
  const shares = (texts: string[]) =>
    texts.map((t) => languageShare(t, o.language)).filter((v): v is number => v !== null);
  const sampledShares = shares(sampled.map((g) => g.text ?? ''));
  return {
    accuracy: greedy.accuracy,
    languageGreedy: mean(shares(greedy.samples.map((s) => s.completion))),
    languageSampled: mean(sampledShares),
    mixedShare: sampled.length ? sampledShares.filter((v) => v < 1).length / sampled.length : 0,
    samples: greedy.samples
      .slice(0, 4)
      .map((s) => ({ prompt: s.prompt, completion: s.completion, correct: s.correct })),
  };
}

/** What {@link evaluateGeneral} measures: reward-model scores and word rates of sampled answers to general prompts. */
export interface GeneralEvaluation {
  /** Mean raw Bradley-Terry score of the helpfulness RM. */
  helpfulness: number;
  /** Mean P(safe) of the safety RM. */
  safety: number;
  /** Share of answers with the banned word / a hazard word. */
  bannedRate: number;
  hazardRate: number;
  samples: { prompt: string; completion: string }[];
}

/** Samples `perTopic` answers per general topic (τ = 1, seeded) and scores them with the two reward models. */
export async function evaluateGeneral(
  model: Model,
  rms: { helpfulness: RewardModel; safety: RewardModel; tokenizer: Tokenizer },
  o: { perTopic: number; maxNewTokens: number; seed: number },
): Promise<GeneralEvaluation> {
  const tokenizer = createByteLevelTokenizer();
  const prompts = GENERAL_TOPICS.map(generalPrompt);
  const gens = await model.generate(
    prompts.map((p) => tokenizer.encode(p)),
    { temperature: 1, maxNewTokens: o.maxNewTokens, tokenizer, seed: o.seed, numReturnSequences: o.perTopic },
  );
  const items = gens.map((g, i) => ({ prompt: prompts[Math.floor(i / o.perTopic)], completion: g.text ?? '' }));
  const help = scoreCompletions(rms.helpfulness, rms.tokenizer, items).map((v) => v[0]);
  const safe = scoreCompletions(rms.safety, rms.tokenizer, items).map((v) => 1 / (1 + Math.exp(-v[0])));
  const rates = generalWordRates(items.map((i) => i.completion));
  return {
    helpfulness: mean(help) ?? 0,
    safety: mean(safe) ?? 0,
    bannedRate: rates.banned,
    hazardRate: rates.hazard,
    samples: items.filter((_, i) => i % o.perTopic === 0).slice(0, 4),
  };
}
