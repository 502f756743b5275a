/**
 * The stages of the `r1` recipe — DeepSeek-R1's four stages (§2.3) in miniature — each a `defineStage` with a zod
 * config (the `.describe()` texts are the docs), composed by recipe.ts with `runStage` (skip when done, resume when
 * interrupted):
 *   1. `cold-start`     SFT of the base model on readable English chains of thought (§2.3.1), some language-mixed;
 *   2. `reasoning-rl`   GRPO with accuracy + format + language-consistency rewards (§2.3.2);
 *   3. `rejection-sft`  rejection sampling from the stage-2 model (correct, well-formed, English only) plus general
 *                       (non-reasoning) answers, then SFT (§2.3.3);
 *   4. `reward-models`  a pairwise (Bradley-Terry) helpfulness RM and a point-wise safety RM on synthetic data, and
 *      `alignment-rl`   GRPO on reasoning + general prompts: rules for reasoning, the RMs for general (§2.3.4);
 *   then `evaluate` measures every stage's model on the same held-out sets.
 * Stage 3 trains from the stage-2 checkpoint by default (`initFrom: 'reasoning-rl'`): the paper retrains the base
 * model on ~800k samples for two epochs; with the few hundred SFT steps a 2-core run affords, restarting from the
 * base would mostly re-learn the cold start. `initFrom: 'base'` follows the paper.
 * Each output carries `id`, a hash of the stage's config and input, so a later stage's input changes when an earlier
 * stage reruns with other settings (its paths stay the same). Stage 4 keeps a KL term to the stage-3 model (β > 0);
 * the other RL stage runs without one (β = 0, as r1-zero).
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createByteLevelTokenizer,
  loadModel,
  loadTokenizer,
  type StepReport,
  stepRecord,
  ValueError,
  withDefaults,
} from '@aha/core';
import { type KeptSample, type RejectionStats, readJsonl, rejectionSample } from '@aha/distill';
import { additionProblems } from '@aha/grpo';
import {
  bannedWordPairs,
  createRewardModel,
  evaluateRewardModel,
  hazardWordSamples,
  loadRewardModel,
  RewardModelTrainer,
  RewardTrainerConfigSchema,
  tinyRewardModelConfig,
} from '@aha/reward-models';
import { writeLabelSidecar } from '@aha/safety';
import { z } from 'zod';
import { heldOutProblems, TaskOptionsSchema } from '../base-model/pretrain.js';
import { GrpoSectionSchema } from '../grpo-section.js';
import { saveFinalModel } from '../helpers.js';
import { defineStage, hashConfig } from '../stages.js';
import { BANNED_WORD, coldStartRows, GENERAL_TOPICS, generalPrompt, generalRows, HAZARD_WORDS } from './data.js';
import { alignmentRewards, type ReasoningRewardsFn, reasoningRewards } from './rewards.js';
import { filterRows, RiskFilterSchema, riskControlOf, riskSampleFilter } from './risk.js';
import {
  evaluateGeneral,
  evaluateReasoning,
  grpoStageSection,
  runGrpo,
  runSft,
  sftSection,
  type TrainHooks,
} from './train.js';

/** Stage 1 settings (`sft.coldStart` in a config file). */
/**
 * Stage 1's SFT: 500 steps at a constant 3e-3 after warmup. The cold start must leave a model that RL can move: the
 * same data at 1e-3 with cosine decay to 0 reached a similar greedy accuracy, but the first reasoning-RL steps at
 * 7e-4 then collapsed it (sampled accuracy 36% → 4% in ten steps), and at 2e-4–3e-4 RL went nowhere in 60 steps;
 * ending at a high constant rate, as the base model's pretraining did, leaves it where RL at 7e-4 climbs. 250 steps
 * on 3,000 examples gave 60–64% and a final 89–96% over seeds 0–1; 500 on 3,500 gave 96% and a final 98.5% (seed 1).
 */
const COLD_START_SFT = sftSection(500, 3e-3, 'constant');

export const ColdStartSchema = z.strictObject({
  examples: z
    .number()
    .int()
    .positive()
    .default(3500)
    .describe('Synthetic cold-start examples (readable CoT; two-digit addition has ~3,700 training problems).'),
  mixedShare: z
    .number()
    .min(0)
    .max(1)
    .default(0)
    .describe(
      'Share of examples whose chain of thought mixes in Chinese words: noise for the stage-2 language reward to ' +
        'remove. 0 by default, as R1 §2.3.1 (clean cold-start data): 0.1 lowered cold-start greedy accuracy 64% → 44% (seed 0).',
    ),
  mixedWordRate: z
    .number()
    .min(0)
    .max(1)
    .default(0.5)
    .describe('In a mixed example, the chance of each word being Chinese.'),
  sft: COLD_START_SFT.default(COLD_START_SFT.parse({})).describe(
    'SFT settings (@aha/distill TrainConfig; recipe defaults: 500 steps, lr 3e-3, constant after 10 warmup steps).',
  ),
});

/** Stage 2 GRPO settings (`grpo.reasoning`): GrpoConfig with the stage's defaults. */
export const ReasoningGrpoSchema = grpoStageSection({
  maxSteps: 60,
  learningRate: 7e-4,
  temperature: 1,
  promptsPerStep: 32,
}).describe(
  'Stage 2 GRPO (GrpoConfig). Recipe defaults: the r1-zero settings (lr 7e-4 decaying linearly, τ = 1, 32 prompts ' +
    '× G = 8) for 60 steps.',
);

/** Stage 2 recipe settings (`r1.reasoning`). */
export const ReasoningRlSchema = z.strictObject({
  trainProblems: z.number().int().positive().default(2000).describe('Distinct training problems prompts come from.'),
  weights: z
    .strictObject({
      accuracy: z.number().default(1).describe('Weight of the accuracy reward.'),
      format: z.number().default(1).describe('Weight of the format reward.'),
      language: z
        .number()
        .default(1)
        .describe('Weight of the language-consistency reward (R1 §2.3.2: summed directly).'),
    })
    .default({ accuracy: 1, format: 1, language: 1 })
    .describe('r = Σ wᵢ·rᵢ over accuracy, format and language consistency.'),
  grpo: z
    .record(z.string(), z.unknown())
    .default({})
    .describe('GRPO settings as written (checked and defaulted with ReasoningGrpoSchema).'),
});

/** Stage 3 settings (`rejection`). */
export const RejectionSftSchema = z.strictObject({
  prompts: z.number().int().positive().default(600).describe('Training problems sampled from the stage-2 model.'),
  n: z.number().int().positive().default(4).describe('Completions sampled per prompt.'),
  temperature: z.number().positive().default(0.7).describe('Sampling temperature τ.'),
  minLanguageShare: z
    .number()
    .min(0)
    .max(1)
    .default(1)
    .describe('Keep a sample only when this share of its CoT words is in the target language (readability filter).'),
  generalExamples: z.number().int().nonnegative().default(300).describe('General (non-reasoning) SFT examples added.'),
  bannedRate: z
    .number()
    .min(0)
    .max(1)
    .default(0.3)
    .describe('Share of general answers with the banned word (imperfect data).'),
  hazardRate: z.number().min(0).max(1).default(0.3).describe('Share of general answers with a hazard word.'),
  initFrom: z
    .enum(['reasoning-rl', 'base'])
    .default('reasoning-rl')
    .describe("SFT starts from the stage-2 model, or from the base model as R1 §2.3.3 does ('base')."),
  sft: sftSection(200, 1e-3)
    .default(sftSection(200, 1e-3).parse({}))
    .describe('SFT settings (@aha/distill TrainConfig; recipe defaults: 200 steps, lr 1e-3, cosine).'),
  risk: RiskFilterSchema.default(RiskFilterSchema.parse({})).describe(
    'Risk control on the sampled and the general SFT data: drop or flag what it blocks.',
  ),
});

/**
 * Reward-model settings (`rm`): the RM trainer's keys (RewardTrainerConfig, for both RMs, with the recipe's defaults)
 * beside the sizes of the synthetic data sets, as `aha train rm` has its `dataset` beside them.
 */
export const RewardModelsSchema = withDefaults(
  RewardTrainerConfigSchema.omit({ objective: true, seed: true, outputDir: true }),
  { maxSteps: 60, batchSize: 16, learningRate: 3e-3, lrSchedule: 'constant' },
).extend({
  pairs: z.number().int().positive().default(400).describe('Synthetic preference pairs for the helpfulness RM.'),
  safetySamples: z.number().int().positive().default(400).describe('Synthetic labelled samples for the safety RM.'),
  heldOut: z.number().int().positive().default(100).describe('Held-out pairs / samples for the RM accuracy.'),
});

/** Stage 4 GRPO settings (`grpo.alignment`): GrpoConfig with the stage's defaults. */
export const AlignmentGrpoSchema = grpoStageSection({
  maxSteps: 30,
  learningRate: 2e-4,
  temperature: 0.7,
  beta: 0.1,
  overlongFilter: true,
}).describe(
  'Stage 4 GRPO (GrpoConfig). Recipe defaults: 30 steps, lr 2e-4, temperature 0.7, β = 0.1 (KL to the stage-3 ' +
    'model) and overlong completions masked. At β = 0.04, lr 3e-4, unmasked (seed 0) the stage cost 3 points of ' +
    "reasoning accuracy and almost doubled the general answers' length (24 → 45 tokens); with these it kept 96%.",
);

/** Stage 4 recipe settings (`r1.alignment`). */
export const AlignmentRlSchema = z.strictObject({
  generalShare: z.number().min(0).max(1).default(0.5).describe('Share of general (non-reasoning) prompts.'),
  trainProblems: z.number().int().positive().default(1000).describe('Reasoning problems in the prompt set.'),
  weights: z
    .strictObject({
      helpfulness: z.number().default(1).describe('Weight of the helpfulness RM score.'),
      safety: z.number().default(1).describe('Weight of the safety RM P(safe).'),
    })
    .default({ helpfulness: 1, safety: 1 })
    .describe('Weights of the reward-model rewards (the rule rewards keep stage 2 weights).'),
  lengthGuard: z
    .strictObject({
      limit: z
        .number()
        .int()
        .positive()
        .nullable()
        .default(null)
        .describe("Tokens a general answer may have unpenalised; null: the longest general answer of stage 3's data."),
      buffer: z
        .number()
        .int()
        .positive()
        .default(16)
        .describe('Tokens over the limit at which the penalty reaches −1.'),
      weight: z.number().nonnegative().default(1).describe('Weight of the guard; 0 turns it off.'),
    })
    .default({ limit: null, buffer: 16, weight: 1 })
    .describe(
      'Soft length guard on general answers (DAPO overlong shaping where the RMs judge): without it, seed 2 ' +
        "doubled the answers' length (24 → 46 tokens) while the RM and the judge both rose.",
    ),
  helpfulnessNormalize: z
    .enum(['sigmoid', 'none'])
    .default('sigmoid')
    .describe(
      "The helpfulness RM's Bradley-Terry score as a reward: 'sigmoid' bounds it (a guard against pushing an RM past " +
        "what it learned), 'none' is the raw score.",
    ),
  risk: RiskFilterSchema.default(RiskFilterSchema.parse({})).describe(
    'Risk control on the prompt set: drop or flag what it blocks.',
  ),
  grpo: z
    .record(z.string(), z.unknown())
    .default({})
    .describe('GRPO settings as written (checked and defaulted with AlignmentGrpoSchema).'),
});

/** Evaluation settings (`eval`, besides the task keys). */
export const R1EvalSchema = z.strictObject({
  generalPerTopic: z.number().int().positive().default(8).describe('Sampled answers per general topic (8 topics).'),
});

/** The tiny reward-model backbone (byte-level, 2 layers): fixed, so its scores compare across stages. */
export const REWARD_MODEL_CONFIG = tinyRewardModelConfig;

/**
 * The held-out judges' backbone: wider and one layer deeper than the trained-on RMs, with its own init and data, so
 * it does not share their blind spots. The policy never sees a judge's score in its reward (the alignment stage logs
 * it with weight 0): a trained-on RM score that rises while the judge's does not is over-optimisation, made visible.
 */
export const JUDGE_MODEL_CONFIG = {
  ...tinyRewardModelConfig,
  hidden_size: 48,
  intermediate_size: 96,
  moe_intermediate_size: 24,
  num_hidden_layers: 3,
};

const Task = TaskOptionsSchema;
const Common = { task: Task, language: z.string(), seed: z.number().int() };
type ModelOut = { modelDir: string; id: string };

/** Stage 1: cold-start SFT on readable chains of thought. */
export const coldStartStage = (hooks: TrainHooks = {}) =>
  defineStage({
    name: 'cold-start',
    description: 'SFT of the base model on readable (mostly English) chains of thought.',
    config: z.object({ coldStart: ColdStartSchema, ...Common }),
    async run(input: { modelDir: string }, { coldStart, task, seed }, ctx) {
      const model = await loadModel(input.modelDir);
      const tokenizer = await loadTokenizer(input.modelDir);
      const problems = additionProblems({ ...task, count: coldStart.examples, seed: seed + 101, split: 'train' });
      const rows = coldStartRows(problems, {
        seed,
        mixedShare: coldStart.mixedShare,
        mixedWordRate: coldStart.mixedWordRate,
      });
      const r = await runSft({
        stage: 'cold-start',
        model,
        tokenizer,
        rows,
        settings: coldStart.sft,
        seed,
        workDir: ctx.workDir,
        signal: ctx.signal,
        hooks,
        log: ctx.log,
      });
      const modelDir = ctx.signal.aborted ? '' : await saveFinalModel(ctx.workDir, model, tokenizer);
      return {
        modelDir,
        id: hashConfig({ input, coldStart, task, seed }),
        steps: r.steps,
        firstLoss: r.firstLoss,
        lastLoss: r.lastLoss,
        mixedExamples: rows.filter((x) => x.mixed).length,
      };
    },
  });

/** Stage 2: reasoning GRPO with accuracy + format + language consistency. */
export const reasoningRlStage = (hooks: TrainHooks = {}, rewards: ReasoningRewardsFn = reasoningRewards) =>
  defineStage({
    name: 'reasoning-rl',
    description: 'GRPO on accuracy + format + language-consistency rewards.',
    config: z.object({ reasoning: ReasoningRlSchema.extend({ grpo: GrpoSectionSchema }), ...Common }),
    async run(input: ModelOut, { reasoning, task, language, seed }, ctx) {
      const model = await loadModel(input.modelDir);
      const tokenizer = await loadTokenizer(input.modelDir);
      const dataset = additionProblems({ ...task, count: reasoning.trainProblems, seed, split: 'train' }).map((p) => ({
        prompt: p.prompt,
        solution: p.solution,
      }));
      const r = await runGrpo({
        stage: 'reasoning-rl',
        model,
        tokenizer,
        dataset,
        rewards: rewards({ language, weights: reasoning.weights }),
        settings: reasoning.grpo,
        seed,
        workDir: ctx.workDir,
        signal: ctx.signal,
        hooks,
        log: ctx.log,
      });
      const modelDir = ctx.signal.aborted ? '' : await saveFinalModel(ctx.workDir, model, tokenizer);
      return { modelDir, id: hashConfig({ input, reasoning, task, language, seed }), steps: r.steps };
    },
  });

/** Stage 3: rejection sampling from the stage-2 model + general data, then SFT. */
export const rejectionSftStage = (hooks: TrainHooks = {}, rewards: ReasoningRewardsFn = reasoningRewards) =>
  defineStage({
    name: 'rejection-sft',
    description: 'Rejection sampling (correct, readable) + general answers, then SFT.',
    // 2: the output says how long the general answers were (stage 4's length guard).
    version: 2,
    config: z.object({ rejection: RejectionSftSchema, ...Common }),
    async run(input: ModelOut & { baseDir: string }, { rejection, task, language, seed }, ctx) {
      const sampler = await loadModel(input.modelDir);
      const tokenizer = await loadTokenizer(input.modelDir);
      const prompts = additionProblems({ ...task, count: rejection.prompts, seed: seed + 303, split: 'train' }).map(
        (p) => ({
          prompt: p.prompt,
          solution: p.solution,
        }),
      );
      // A resumed stage reuses its samples (written whole, with their stats, before SFT starts).
      const samplesFile = join(ctx.workDir, 'rejection-samples.jsonl');
      const statsFile = join(ctx.workDir, 'rejection-stats.json');
      const risk = await riskControlOf(rejection.risk);
      const reviewed = { reviewed: 0 };
      const sample = () =>
        rejectionSample({
          model: sampler,
          tokenizer,
          prompts,
          // Correct and well-formed: accuracy + format = 2; the language filter is the readability filter of §2.3.3.
          rewards: rewards({ language, weights: { accuracy: 1, format: 1, language: 0 } }),
          n: rejection.n,
          batchSize: 64,
          seed,
          maxNewTokens: task.maxNewTokens,
          temperature: rejection.temperature,
          topP: 1,
          keep: {
            minReward: 2,
            requireFormat: true,
            language: { language, minShare: rejection.minLanguageShare },
            maxPerPrompt: 1,
          },
          filter: risk ? riskSampleFilter(risk, reviewed) : undefined,
          filterMode: rejection.risk.mode,
          output: samplesFile,
          signal: ctx.signal,
        });
      let kept: { samples: KeptSample[]; stats: RejectionStats };
      if (existsSync(samplesFile) && existsSync(statsFile)) {
        kept = {
          samples: await readJsonl<KeptSample>(samplesFile),
          stats: JSON.parse(await readFile(statsFile, 'utf8')),
        };
      } else {
        kept = await sample();
        // The sampled data set is generated text: its implicit AI-generated label goes beside it.
        await writeLabelSidecar(samplesFile, { model: input.modelDir });
        await writeFile(statsFile, `${JSON.stringify({ ...kept.stats, reviewed: reviewed.reviewed })}\n`);
      }
      const filteredGeneral = await filterRows(
        generalRows({
          count: rejection.generalExamples,
          seed: seed + 7,
          bannedRate: rejection.bannedRate,
          hazardRate: rejection.hazardRate,
        }),
        risk,
        rejection.risk.mode,
        ctx.signal,
      );
      const general = filteredGeneral.rows;
      const rows = [
        ...kept.samples.map((s) => ({ prompt: s.prompt as string, completion: s.completion as string })),
        ...general,
      ];
      const initDir = rejection.initFrom === 'base' ? input.baseDir : input.modelDir;
      const model = rejection.initFrom === 'base' ? await loadModel(initDir) : sampler;
      const r = await runSft({
        stage: 'rejection-sft',
        model,
        tokenizer,
        rows,
        settings: rejection.sft,
        seed,
        workDir: ctx.workDir,
        signal: ctx.signal,
        hooks,
        log: ctx.log,
      });
      const modelDir = ctx.signal.aborted ? '' : await saveFinalModel(ctx.workDir, model, tokenizer);
      return {
        modelDir,
        id: hashConfig({ input, rejection, task, language, seed }),
        steps: r.steps,
        reasoningKept: kept.stats.kept,
        generalExamples: general.length,
        // The longest general answer the SFT data taught, in tokens: stage 4's length guard starts there.
        generalAnswerTokens: Math.max(
          0,
          ...general.map((g) => tokenizer.encode(g.completion, { addSpecialTokens: false }).length),
        ),
        rejected: kept.stats.rejected,
        generated: kept.stats.generated,
        riskControl: {
          sampled: { ...kept.stats.filter, reviewed: (kept.stats as { reviewed?: number }).reviewed ?? 0 },
          general: filteredGeneral.counts,
        },
      };
    },
  });

/** The RM data sets: training and held-out (other seeds) preference pairs and safety samples. */
export function rewardModelData(o: z.infer<typeof RewardModelsSchema>, seed: number) {
  return {
    pairs: bannedWordPairs({ n: o.pairs, seed: seed + 1, banned: BANNED_WORD }),
    pairsHeldOut: bannedWordPairs({ n: o.heldOut, seed: seed + 2, banned: BANNED_WORD }),
    safety: hazardWordSamples({ n: o.safetySamples, seed: seed + 3, hazards: HAZARD_WORDS }),
    safetyHeldOut: hazardWordSamples({ n: o.heldOut, seed: seed + 4, hazards: HAZARD_WORDS }),
    // The judges learn from data of their own (other seeds), never from the trained-on RMs' sets.
    judgePairs: bannedWordPairs({ n: o.pairs, seed: seed + 21, banned: BANNED_WORD }),
    judgeSafety: hazardWordSamples({ n: o.safetySamples, seed: seed + 23, hazards: HAZARD_WORDS }),
  };
}

/** The four reward models of stage 4: the two the policy is trained on and their held-out judges. */
type RewardModelKind = 'helpfulness' | 'safety' | 'judge-helpfulness' | 'judge-safety';

/**
 * Stage 4a: trains the helpfulness (pairwise) and safety (point-wise) reward models, and a held-out judge of each
 * (another backbone, init and data set; see {@link JUDGE_MODEL_CONFIG}).
 */
export const rewardModelsStage = (hooks: TrainHooks = {}) =>
  defineStage({
    name: 'reward-models',
    description:
      'Pairwise (Bradley-Terry) helpfulness RM and point-wise safety RM on synthetic data, and their judges.',
    // 2: the output names the two held-out judges too.
    version: 2,
    config: z.object({ rm: RewardModelsSchema, seed: z.number().int() }),
    async run(_input: Record<string, never>, { rm, seed }, ctx) {
      const tokenizer = createByteLevelTokenizer();
      const data = rewardModelData(rm, seed);
      const out = {} as Record<RewardModelKind, { dir: string; heldOutAccuracy: number; before: number }>;
      const kinds = [
        ['helpfulness', 'pairwise', data.pairs, data.pairsHeldOut, ['LABEL_0'], REWARD_MODEL_CONFIG],
        ['safety', 'pointwise', data.safety, data.safetyHeldOut, ['safe'], REWARD_MODEL_CONFIG],
        ['judge-helpfulness', 'pairwise', data.judgePairs, data.pairsHeldOut, ['LABEL_0'], JUDGE_MODEL_CONFIG],
        ['judge-safety', 'pointwise', data.judgeSafety, data.safetyHeldOut, ['safe'], JUDGE_MODEL_CONFIG],
      ] as const;
      const { pairs: _p, safetySamples: _s, heldOut: _h, ...trainerKeys } = rm;
      for (const [k, [name, objective, train, heldOut, labels, config]] of kinds.entries()) {
        const model = createRewardModel(config, { seed: seed + 11 + k, labels: [...labels] });
        const dir = join(ctx.workDir, name);
        const before = evaluateRewardModel(model, tokenizer, heldOut, { objective });
        const trainer = new RewardModelTrainer({
          model,
          tokenizer,
          dataset: train,
          config: {
            ...trainerKeys,
            objective,
            seed,
            // The loop writes <dir>/metrics.jsonl (and a resumable checkpoint at the end) beside the saved RM.
            outputDir: dir,
          },
        });
        hooks.onStart?.(`rm-${name}`, rm.maxSteps ?? 0, 0);
        // Named per RM, so the run's combined report does not mix an RM's accuracy with the policy's.
        const record = (r: StepReport) => {
          const { accuracy, ...rest } = stepRecord(r);
          return { ...rest, stage: `rm-${name}`, [`${name}_accuracy`]: accuracy };
        };
        for await (const r of trainer.train({ signal: ctx.signal, record, onEvent: (e) => ctx.log?.(e.message) })) {
          hooks.onStep?.(`rm-${name}`, r.step, r.record ?? record(r));
        }
        const after = evaluateRewardModel(model, tokenizer, heldOut, { objective });
        await model.save(dir, { dtype: 'F32' });
        out[name] = { dir, heldOutAccuracy: after.accuracy, before: before.accuracy };
        ctx.log?.(`${name} RM: held-out accuracy ${before.accuracy.toFixed(2)} → ${after.accuracy.toFixed(2)}`);
      }
      return {
        id: hashConfig({ rm, seed, version: 2 }),
        helpfulnessDir: out.helpfulness.dir,
        safetyDir: out.safety.dir,
        judgeHelpfulnessDir: out['judge-helpfulness'].dir,
        judgeSafetyDir: out['judge-safety'].dir,
        helpfulnessHeldOutAccuracy: out.helpfulness.heldOutAccuracy,
        helpfulnessAccuracyBefore: out.helpfulness.before,
        safetyHeldOutAccuracy: out.safety.heldOutAccuracy,
        safetyAccuracyBefore: out.safety.before,
        judgeHelpfulnessHeldOutAccuracy: out['judge-helpfulness'].heldOutAccuracy,
        judgeSafetyHeldOutAccuracy: out['judge-safety'].heldOutAccuracy,
      };
    },
  });
export type RewardModelsOut = {
  id: string;
  helpfulnessDir: string;
  safetyDir: string;
  judgeHelpfulnessDir: string;
  judgeSafetyDir: string;
};

/** The trained-on RMs and their judges, loaded from a reward-models stage's output. */
export async function loadStageRewardModels(rms: RewardModelsOut) {
  return {
    helpfulness: await loadRewardModel(rms.helpfulnessDir),
    safety: await loadRewardModel(rms.safetyDir),
    judgeHelpfulness: await loadRewardModel(rms.judgeHelpfulnessDir),
    judgeSafety: await loadRewardModel(rms.judgeSafetyDir),
    tokenizer: createByteLevelTokenizer(),
  };
}

/** Stage 4b: alignment GRPO on reasoning + general prompts. */
export const alignmentRlStage = (hooks: TrainHooks = {}, rewards: ReasoningRewardsFn = reasoningRewards) =>
  defineStage({
    name: 'alignment-rl',
    description: 'GRPO on reasoning (rule rewards) + general (helpfulness + safety RMs) prompts.',
    config: z.object({
      alignment: AlignmentRlSchema.extend({ grpo: GrpoSectionSchema }),
      reasoningWeights: ReasoningRlSchema.shape.weights,
      ...Common,
    }),
    async run(
      input: ModelOut & { rms: RewardModelsOut; generalAnswerTokens?: number },
      { alignment, reasoningWeights, task, language, seed },
      ctx,
    ) {
      const model = await loadModel(input.modelDir);
      const tokenizer = await loadTokenizer(input.modelDir);
      const nGeneral = Math.round(
        (alignment.trainProblems * alignment.generalShare) / (1 - alignment.generalShare || 1),
      );
      const reasoning = additionProblems({
        ...task,
        count: alignment.trainProblems,
        seed: seed + 404,
        split: 'train',
      }).map((p) => ({ prompt: p.prompt, solution: p.solution }));
      // General prompts: the eight topics, repeated to the share asked for (no solution column: judged by the RMs).
      const general = Array.from(
        { length: alignment.generalShare >= 1 ? alignment.trainProblems : nGeneral },
        (_, i) => ({
          prompt: generalPrompt(GENERAL_TOPICS[i % GENERAL_TOPICS.length]),
        }),
      );
      const filtered = await filterRows(
        [...(alignment.generalShare >= 1 ? [] : reasoning), ...general],
        await riskControlOf(alignment.risk),
        alignment.risk.mode,
        ctx.signal,
      );
      const dataset = filtered.rows;
      if (dataset.length === 0)
        throw new ValueError(
          `alignment-rl: risk control (mode ${alignment.risk.mode}) dropped all ${filtered.counts.checked} prompts; use mode 'flag' or another keyword list`,
        );
      const loaded = await loadStageRewardModels(input.rms);
      const guard = alignment.lengthGuard;
      const limit = guard.limit ?? input.generalAnswerTokens;
      if (guard.weight > 0 && limit === undefined)
        throw new ValueError(
          'alignment-rl: lengthGuard.limit is null and the stage-3 output names no general answer length; set r1.alignment.lengthGuard.limit',
        );
      const rms = {
        ...loaded,
        judges: { helpfulness: loaded.judgeHelpfulness, safety: loaded.judgeSafety },
        weights: alignment.weights,
        helpfulnessNormalize: alignment.helpfulnessNormalize,
        lengthGuard:
          guard.weight > 0 ? { limit: limit as number, buffer: guard.buffer, weight: guard.weight } : undefined,
      };
      const r = await runGrpo({
        stage: 'alignment-rl',
        model,
        tokenizer,
        dataset,
        rewards: alignmentRewards(rewards({ language, weights: reasoningWeights }), rms),
        settings: alignment.grpo,
        seed: seed + 1,
        workDir: ctx.workDir,
        signal: ctx.signal,
        hooks,
        log: ctx.log,
      });
      const modelDir = ctx.signal.aborted ? '' : await saveFinalModel(ctx.workDir, model, tokenizer);
      return {
        modelDir,
        id: hashConfig({ input, alignment, reasoningWeights, task, language, seed }),
        steps: r.steps,
        riskControl: { prompts: filtered.counts },
      };
    },
  });

/** The evaluation of one stage's model (see train.ts). */
export interface StageSummary {
  stage: string;
  /** Held-out greedy accuracy on the reasoning task. */
  accuracy: number;
  languageGreedy: number | null;
  languageSampled: number | null;
  mixedShare: number;
  /** Mean greedy completion length on the reasoning task, in tokens. */
  length: number;
  helpfulness: number;
  safety: number;
  /** The held-out judges' scores of the same general answers (see JUDGE_MODEL_CONFIG). */
  judgeHelpfulness: number;
  judgeSafety: number;
  bannedRate: number;
  hazardRate: number;
  /** Mean length of the sampled general answers, in tokens. */
  generalLength: number;
  samples: { prompt: string; completion: string }[];
}

/** Final stage: every model on the same held-out sets, judged by the same reward models. */
export const evaluateStage = defineStage({
  name: 'evaluate',
  description: 'Held-out accuracy, language consistency and RM scores of every stage’s model.',
  config: z.object({ eval: R1EvalSchema, ...Common }),
  async run(
    input: { models: { stage: string; modelDir: string; id: string }[]; rms: RewardModelsOut },
    { eval: e, task, language, seed },
    ctx,
  ) {
    const problems = heldOutProblems(task);
    const rms = await loadStageRewardModels(input.rms);
    const out: StageSummary[] = [];
    for (const m of input.models) {
      const model = await loadModel(m.modelDir);
      const r = await evaluateReasoning(model, problems, { maxNewTokens: task.maxNewTokens, language, seed: seed + 5 });
      const g = await evaluateGeneral(model, rms, {
        perTopic: e.generalPerTopic,
        maxNewTokens: task.maxNewTokens,
        seed: seed + 6,
      });
      const { samples: gs, ...general } = g;
      out.push({ stage: m.stage, ...r, ...general, samples: [...r.samples, ...gs] });
      ctx.log?.(
        `${m.stage}: accuracy ${(r.accuracy * 100).toFixed(1)}%, language (sampled) ${r.languageSampled?.toFixed(3) ?? '—'}, ` +
          `helpfulness ${g.helpfulness.toFixed(2)} (judge ${g.judgeHelpfulness.toFixed(2)}), ` +
          `safety ${g.safety.toFixed(2)} (judge ${g.judgeSafety.toFixed(2)})`,
      );
    }
    return { stages: out };
  },
});
