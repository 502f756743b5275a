/**
 * What the `r1` stages share: supervised fine-tuning with @aha/distill's `SftTrainer` and GRPO with @aha/grpo's
 * `GrpoTrainer` (the core loop writes each one's metrics.jsonl and checkpoints in the stage folder), their config
 * sections (the trainers' own schemas with the recipe's defaults), and the held-out evaluation every
 * stage reports (greedy addition accuracy, language consistency of the chain of thought, and — with the stage-4
 * reward models — helpfulness / safety of answers to general prompts).
 * Leaves out: evaluation during SFT (the stage reports its accuracy after it ends).
 */
import { join } from 'node:path';
import {
  createByteLevelTokenizer,
  latestCheckpoint,
  type Model,
  stepRecord,
  type Tokenizer,
  withDefaults,
} from '@aha/core';
import { SftTrainer, TrainConfigSchema } from '@aha/distill';
import type { AdditionProblem } from '@aha/grpo';
import { type DatasetRow, GrpoTrainer, type StepMetrics } from '@aha/grpo';
import { type RewardModel, scoreCompletions } from '@aha/reward-models';
import { languageCounts, thinkPart, type WeightedReward } from '@aha/rewards';
import type { z } from 'zod';
import { evaluateGreedy } from '../base-model/evaluate.js';
import { type GrpoSection, type GrpoSectionInput, grpoSection } from '../grpo-section.js';
import { GENERAL_TOPICS, generalPrompt, generalWordRates } from './data.js';
import { forTrainer } from './rewards.js';

/**
 * The SFT settings of a stage: @aha/distill's `TrainConfigSchema` (every SFT option) less `seed` and `outputDir`
 * (the run's) and `maxLength` (always the model's context length here), with the recipe's defaults.
 */
export const SftSectionSchema = TrainConfigSchema.omit({ outputDir: true, seed: true, maxLength: true });
export type SftSettings = z.output<typeof SftSectionSchema>;

/**
 * An SFT section with a stage's defaults: 10 warmup steps, batch 32, a checkpoint every 50 steps, and the schedule
 * given (cosine unless said otherwise).
 */
export const sftSection = (maxSteps: number, learningRate: number, lrSchedule: 'cosine' | 'constant' = 'cosine') =>
  withDefaults(SftSectionSchema, {
    maxSteps,
    learningRate,
    lrSchedule,
    warmupSteps: 10,
    batchSize: 32,
    checkpointEvery: 50,
    keepCheckpoints: 1,
    routingBiasGamma: 0.001,
  });

/**
 * A GRPO section with a stage's defaults: the r1-zero settings (fully on-policy, β = 0, linear decay) with 16
 * prompts per step and a checkpoint every 10 steps. The rewards and their weights are the recipe's (`r1` section).
 */
export const grpoStageSection = (defaults: GrpoSectionInput) =>
  grpoSection({
    promptsPerStep: 16,
    groupSize: 8,
    stepsPerRollout: 1,
    numIterations: 1,
    temperature: 1,
    lossType: 'grpo',
    advantageScale: 'std',
    epsilonLow: 0.2,
    epsilonHigh: 0.2,
    beta: 0,
    tisCap: null,
    lrSchedule: 'linear',
    warmupSteps: 0,
    weightDecay: 0,
    maxGradNorm: 1,
    routingBiasGamma: 0.001,
    checkpointEvery: 10,
    keepCheckpoints: 1,
    ...defaults,
  });

/** Progress callbacks of a training stage. */
export interface TrainHooks {
  onStart?(stage: string, total: number, firstStep: number): void;
  onStep?(stage: string, step: number, record: Record<string, unknown>): void;
}

const checkpointStep = (dir: string | null) => (dir ? Number(/(\d+)$/.exec(dir)?.[1] ?? 0) : 0);

/**
 * SFT of `model` on `{ prompt, completion }` rows in `workDir` (checkpoints and metrics.jsonl there, written by the
 * core loop; resumes from the newest checkpoint). Returns the last step reached.
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
  log?: (message: string) => void;
}): Promise<{ steps: number; lastLoss: number | null; firstLoss: number | null }> {
  const { settings: s } = args;
  const resumeFrom = await latestCheckpoint(join(args.workDir, 'checkpoints'));
  args.hooks?.onStart?.(args.stage, s.maxSteps ?? 0, checkpointStep(resumeFrom));
  const trainer = new SftTrainer({
    model: args.model,
    tokenizer: args.tokenizer,
    dataset: args.rows,
    config: {
      ...s,
      maxLength: args.model.config.max_position_embeddings,
      seed: args.seed,
      outputDir: args.workDir,
    },
  });
  let steps = checkpointStep(resumeFrom);
  let firstLoss: number | null = null;
  let lastLoss: number | null = null;
  for await (const r of trainer.train({ signal: args.signal, onEvent: (e) => args.log?.(e.message) })) {
    steps = r.step;
    firstLoss ??= r.loss;
    lastLoss = r.loss;
    args.hooks?.onStep?.(args.stage, r.step, { ...(r.record ?? stepRecord(r)), stage: args.stage });
  }
  return { steps, firstLoss, lastLoss };
}

/** GRPO of `model` on `dataset` with the weighted `rewards` in `workDir` (resumes from its newest checkpoint). */
export async function runGrpo(args: {
  stage: string;
  model: Model;
  tokenizer: Tokenizer;
  dataset: readonly DatasetRow[];
  rewards: readonly WeightedReward[];
  settings: GrpoSection;
  seed: number;
  workDir: string;
  signal: AbortSignal;
  hooks?: TrainHooks;
  log?: (message: string) => void;
}): Promise<{ steps: number; first?: StepMetrics; last?: StepMetrics }> {
  const s = args.settings;
  const resumeFrom = await latestCheckpoint(join(args.workDir, 'checkpoints'));
  args.hooks?.onStart?.(args.stage, s.maxSteps, checkpointStep(resumeFrom));
  const trainer = new GrpoTrainer({
    ...s,
    model: args.model,
    tokenizer: args.tokenizer,
    dataset: args.dataset,
    ...forTrainer(args.rewards),
    seed: args.seed,
    outputDir: args.workDir,
    signal: args.signal,
    onEvent: (e) => args.log?.(e.message),
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
  /** Mean length of the greedy completions, in tokens. */
  length: number;
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
    length: greedy.meanTokens,
    samples: greedy.samples
      .slice(0, 4)
      .map((s) => ({ prompt: s.prompt, completion: s.completion, correct: s.correct })),
  };
}

/**
 * What {@link evaluateGeneral} measures: reward-model scores, held-out judge scores, word rates and length of sampled
 * answers to general prompts.
 */
export interface GeneralEvaluation {
  /** Mean raw Bradley-Terry score of the helpfulness RM (the one alignment RL trains on). */
  helpfulness: number;
  /** Mean P(safe) of the safety RM (trained on). */
  safety: number;
  /** The same two scores from the held-out judges (never trained on): they should move with the RMs'. */
  judgeHelpfulness: number;
  judgeSafety: number;
  /** Share of answers with the banned word / a hazard word (the rules the RMs learned, checked directly). */
  bannedRate: number;
  hazardRate: number;
  /** Mean answer length in tokens: a length hack shows here. */
  generalLength: number;
  samples: { prompt: string; completion: string }[];
}

/** The reward models {@link evaluateGeneral} scores with: the trained-on pair and their held-out judges. */
export interface EvaluationRewardModels {
  helpfulness: RewardModel;
  safety: RewardModel;
  judgeHelpfulness: RewardModel;
  judgeSafety: RewardModel;
  tokenizer: Tokenizer;
}

/** Samples `perTopic` answers per general topic (τ = 1, seeded) and scores them with the RMs and the judges. */
export async function evaluateGeneral(
  model: Model,
  rms: EvaluationRewardModels,
  o: { perTopic: number; maxNewTokens: number; seed: number },
): Promise<GeneralEvaluation> {
  const tokenizer = createByteLevelTokenizer();
  const prompts = GENERAL_TOPICS.map(generalPrompt);
  const gens = await model.generate(
    prompts.map((p) => tokenizer.encode(p)),
    { temperature: 1, maxNewTokens: o.maxNewTokens, tokenizer, seed: o.seed, numReturnSequences: o.perTopic },
  );
  const items = gens.map((g, i) => ({ prompt: prompts[Math.floor(i / o.perTopic)], completion: g.text ?? '' }));
  const raw = (rm: RewardModel) => scoreCompletions(rm, rms.tokenizer, items).map((v) => v[0]);
  const pSafe = (rm: RewardModel) => raw(rm).map((z) => 1 / (1 + Math.exp(-z)));
  const rates = generalWordRates(items.map((i) => i.completion));
  return {
    helpfulness: mean(raw(rms.helpfulness)) ?? 0,
    safety: mean(pSafe(rms.safety)) ?? 0,
    judgeHelpfulness: mean(raw(rms.judgeHelpfulness)) ?? 0,
    judgeSafety: mean(pSafe(rms.judgeSafety)) ?? 0,
    bannedRate: rates.banned,
    hazardRate: rates.hazard,
    generalLength: mean(gens.map((g) => g.tokens.length)) ?? 0,
    samples: items.filter((_, i) => i % o.perTopic === 0).slice(0, 4),
  };
}
