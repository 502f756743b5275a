/**
 * The `r1` recipe — DeepSeek-R1's four-stage pipeline (§2.3) in miniature, from the same shipped tiny DeepSeek-V3
 * base model as `r1-zero` (assets/r1-zero-base): cold-start SFT → reasoning GRPO (+ language consistency) →
 * rejection sampling + SFT → reward models and alignment GRPO, then one evaluation of every stage's model on the
 * same held-out sets (greedy addition accuracy, language consistency of the chain of thought, helpfulness and safety
 * RM scores of answers to general prompts). Stages are in stages.ts; each is run with `runStage`, so running again
 * skips finished stages, resumes an interrupted one, and reruns a stage (and those fed by it) whose settings changed.
 *
 * Config file sections (all optional): `eval` — task keys as in r1-zero plus `language` and `generalPerTopic`;
 * `sft.coldStart` — stage 1; `grpo.reasoning` — stage 2's GRPO settings (GrpoConfig, as in `aha train grpo`);
 * `rejection` — stage 3; `rm` — the reward models; `grpo.alignment` — stage 4's GRPO settings; `r1.reasoning` /
 * `r1.alignment` — those stages' recipe settings (training problems, reward weights). In code, `runR1(options, { stages, rewards })` replaces any stage or reward set.
 * Defaults: docs/recipes.md has the measured stage tables (3 seeds) and run times; tests run a micro setting. The
 * report's stage table flags a stage that lowered held-out accuracy, and RM scores that rose while a held-out judge's
 * fell. Leaves out: the paper's scale of data, generative reward models.
 */
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getNumThreads, parseTrainConfig, simdLevel } from '@aha/core';
import { z } from 'zod';
import { configRewards } from '../../commands/rewards.js';
import { ConfigError } from '../../config/errors.js';
import type { LoadedConfig } from '../../config/load.js';
import { parseSection, rejectUnusedSections } from '../../config/section.js';
import type { RiskControlRow, StageTable } from '../../report/html.js';
import { METRICS_FILE, REPORT_FILE, writeReport } from '../../report/write.js';
import { readBaseModelRecord, SHIPPED_BASE_MODEL_DIR, taskWithOverrides } from '../base-model/save.js';
import { type RecipeContext, type RecipeResult, withCtrlC } from '../context.js';
import { type GrpoSection, resolveGrpoSection } from '../grpo-section.js';
import { type Stage, StageInterruptedError, stageRunner } from '../stages.js';
import { type ReasoningRewardsFn, reasoningOnly } from './rewards.js';
import {
  AlignmentGrpoSchema,
  AlignmentRlSchema,
  alignmentRlStage,
  ColdStartSchema,
  coldStartStage,
  evaluateStage,
  R1EvalSchema,
  ReasoningGrpoSchema,
  ReasoningRlSchema,
  RejectionSftSchema,
  RewardModelsSchema,
  reasoningRlStage,
  rejectionSftStage,
  rewardModelsStage,
  type StageSummary,
} from './stages.js';
import type { TrainHooks } from './train.js';

/** Task overrides (unset: as recorded in the base model's base-model.json; maxNewTokens: 80 for readable CoT). */
export const R1TaskSchema = z.strictObject({
  minDigits: z.number().int().min(1).optional().describe('Fewest digits per operand.'),
  maxDigits: z.number().int().min(1).optional().describe('Most digits per operand.'),
  pad: z.boolean().optional().describe('Zero-pad operands to maxDigits in the prompt.'),
  evalSeed: z.number().int().optional().describe('Seed of the held-out evaluation problems.'),
  evalProblems: z.number().int().positive().optional().describe('Held-out problems in the greedy evaluation.'),
  maxNewTokens: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('Longest completion in tokens (default 80: the readable traces are ~2× the compact ones).'),
});

/** The recipe's settings. */
export const R1Schema = z.strictObject({
  task: R1TaskSchema.default({}).describe('Task and held-out evaluation overrides.'),
  language: z.string().min(2).default('en').describe('Target language of the chain of thought (R1 §2.3.2).'),
  coldStart: ColdStartSchema.default(ColdStartSchema.parse({})).describe('Stage 1: cold-start SFT.'),
  reasoning: ReasoningRlSchema.default(ReasoningRlSchema.parse({})).describe('Stage 2: reasoning GRPO.'),
  rejection: RejectionSftSchema.default(RejectionSftSchema.parse({})).describe('Stage 3: rejection sampling + SFT.'),
  rewardModels: RewardModelsSchema.default(RewardModelsSchema.parse({})).describe('Stage 4: reward models.'),
  alignment: AlignmentRlSchema.default(AlignmentRlSchema.parse({})).describe('Stage 4: alignment GRPO.'),
  eval: R1EvalSchema.default(R1EvalSchema.parse({})).describe('Final evaluation.'),
});
export type R1Options = z.input<typeof R1Schema>;

/** The stages a run uses; replace any with your own `defineStage` of the same input and output. */
export interface R1Stages {
  coldStart: ReturnType<typeof coldStartStage>;
  reasoningRl: ReturnType<typeof reasoningRlStage>;
  rejectionSft: ReturnType<typeof rejectionSftStage>;
  rewardModels: ReturnType<typeof rewardModelsStage>;
  alignmentRl: ReturnType<typeof alignmentRlStage>;
  evaluate: typeof evaluateStage;
}

/** Options of {@link runR1} besides the recipe settings. */
export interface RunR1Options {
  /** Base model folder (HF layout + base-model.json); default the shipped one. */
  baseModel?: string;
  runDir: string;
  seed?: number;
  signal?: AbortSignal;
  log?: (message: string) => void;
  hooks?: TrainHooks;
  /** Replace stages (same input/output types). */
  stages?: Partial<R1Stages>;
  /** Replace the reasoning rewards of stages 2–4 (default: accuracy + format + language consistency). */
  reasoningRewards?: ReasoningRewardsFn;
  /**
   * What identifies `reasoningRewards` in the stage records (the config's `rewards` entries): stages 2–4 rerun when it
   * changes instead of being skipped as finished. Code that replaces the rewards without an id reruns nothing: use a
   * new run folder then.
   */
  rewardsId?: unknown;
}

/** What `runR1` returns. */
export interface R1Result extends RecipeResult {
  runDir: string;
  interrupted?: boolean;
  /** One entry per model: base, cold-start, reasoning-rl, rejection-sft, alignment-rl. */
  summary?: StageSummary[];
  /** Held-out accuracy of the trained-on reward models and of their judges. */
  rewardModels?: {
    helpfulnessHeldOutAccuracy: number;
    safetyHeldOutAccuracy: number;
    judgeHelpfulnessHeldOutAccuracy: number;
    judgeSafetyHeldOutAccuracy: number;
  };
  report?: string;
  seconds: number;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const fx = (x: number | null) => (x === null ? '—' : x.toFixed(3));

/** The default stage set (with progress hooks). */
export function defaultR1Stages(hooks: TrainHooks = {}, reasoning?: RunR1Options['reasoningRewards']): R1Stages {
  return {
    coldStart: coldStartStage(hooks),
    reasoningRl: reasoningRlStage(hooks, reasoning),
    rejectionSft: rejectionSftStage(hooks, reasoning),
    rewardModels: rewardModelsStage(hooks),
    alignmentRl: alignmentRlStage(hooks, reasoning),
    evaluate: evaluateStage,
  };
}

/**
 * The per-stage table (the base model first): reasoning accuracy, language consistency, length, and the RM scores of
 * general answers beside their held-out judges'. A stage is flagged when it lowered held-out reasoning accuracy
 * against the stage before it, or — for the stages trained on the RMs (`rmTrained`) — when the helpfulness RM's
 * score rose while its judge's fell (over-optimisation). Before the RMs are trained on, their scores of the general
 * answers move with whatever else the stage changed, so a disagreement there means nothing.
 */
export function stageTable(
  summary: readonly StageSummary[],
  rmTrained: readonly string[] = ['alignment-rl'],
): StageTable {
  const columns = [
    'held-out greedy accuracy',
    'language (greedy)',
    'language (sampled)',
    'mixed CoT share',
    'CoT length',
    'helpfulness RM / judge',
    'safety RM P(safe) / judge',
    'banned / hazard word rate',
    'answer length',
  ];
  const rows = summary.map((s, i) => {
    const prev = i > 0 ? summary[i - 1] : undefined;
    const flags: string[] = [];
    if (prev && s.accuracy < prev.accuracy)
      flags.push(`accuracy ${((s.accuracy - prev.accuracy) * 100).toFixed(1)} points vs ${prev.stage}`);
    if (
      prev &&
      rmTrained.includes(s.stage) &&
      s.helpfulness > prev.helpfulness &&
      s.judgeHelpfulness < prev.judgeHelpfulness
    )
      flags.push('helpfulness RM up while its judge went down');
    return {
      stage: s.stage,
      cells: [
        pct(s.accuracy),
        fx(s.languageGreedy),
        fx(s.languageSampled),
        pct(s.mixedShare),
        s.length.toFixed(1),
        `${s.helpfulness.toFixed(2)} / ${s.judgeHelpfulness.toFixed(2)}`,
        `${s.safety.toFixed(3)} / ${s.judgeSafety.toFixed(3)}`,
        `${pct(s.bannedRate)} / ${pct(s.hazardRate)}`,
        s.generalLength.toFixed(1),
      ],
      ...(flags.length ? { flag: flags.join('; ') } : {}),
    };
  });
  return {
    columns,
    rows,
    note:
      `Every model on the same held-out problems and general prompts, scored by the same reward models; lengths in ` +
      `tokens; "judge": a held-out RM never trained on. ${environmentLine()}.`,
  };
}

/** The machine facts a figure depends on: the thread count and SIMD level of the CPU kernels. */
export function environmentLine(): string {
  return `CPU kernels: ${getNumThreads()} threads, SIMD level ${simdLevel()}`;
}

/** A markdown table of the per-stage summary (also printed and written to summary.md), flags in the last column. */
export function summaryTable(summary: readonly StageSummary[]): string {
  const t = stageTable(summary);
  const head = `| stage | ${t.columns.join(' | ')} | flag |\n|${'---|'.repeat(t.columns.length + 2)}`;
  const rows = t.rows.map((r) => `| ${r.stage} | ${r.cells.join(' | ')} | ${r.flag ? `⚠ ${r.flag}` : ''} |`);
  return [head, ...rows].join('\n');
}

/** The risk-control counts of the stage outputs (`riskControl: { <data>: counts }`), as report rows. */
function riskControlRows(outputs: Record<string, object>): RiskControlRow[] {
  return Object.entries(outputs).flatMap(([stage, out]) =>
    Object.entries(
      (out as { riskControl?: Record<string, Omit<RiskControlRow, 'stage' | 'data'>> }).riskControl ?? {},
    ).map(([data, counts]) => ({ stage, data, ...counts })),
  );
}

/** Concatenates the stages' metrics into `<runDir>/metrics.jsonl` (steps numbered on, `stage` kept) and writes reports. */
async function writeReports(
  runDir: string,
  stages: readonly string[],
  title: string,
  extra: { riskControl?: RiskControlRow[]; stages?: StageTable } = {},
): Promise<string> {
  const lines: string[] = [];
  let offset = 0;
  for (const stage of stages) {
    let text: string;
    try {
      text = await readFile(join(runDir, stage, METRICS_FILE), 'utf8');
    } catch {
      continue;
    }
    let last = 0;
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      const record = JSON.parse(line) as { step: number };
      last = Math.max(last, record.step);
      lines.push(JSON.stringify({ ...record, step: offset + record.step, stage, stage_step: record.step }));
    }
    writeReport(join(runDir, stage), undefined, { title: `${title} — ${stage}` });
    offset += last;
  }
  writeFileSync(join(runDir, METRICS_FILE), lines.map((l) => `${l}\n`).join(''));
  return writeReport(runDir, join(runDir, REPORT_FILE), { title, ...extra }).file;
}

/** Longest completion of the recipe's task unless the config's `eval.maxNewTokens` says otherwise. */
const R1_MAX_NEW_TOKENS = 80;

/** Runs the four stages and the evaluation in `runDir`; `interrupted: true` when `signal` stopped a stage. */
export async function runR1(options: R1Options, run: RunR1Options): Promise<R1Result> {
  const t0 = performance.now();
  const o = parseTrainConfig(R1Schema, options, 'runR1');
  const log = run.log ?? (() => {});
  const signal = run.signal ?? new AbortController().signal;
  const baseDir = run.baseModel ?? SHIPPED_BASE_MODEL_DIR;
  const record = await readBaseModelRecord(baseDir);
  const task = taskWithOverrides({ ...record.task, maxNewTokens: R1_MAX_NEW_TOKENS }, o.task);
  const grpo = resolveR1Grpo(o, task);
  const seed = run.seed ?? 0;
  const s = { ...defaultR1Stages(run.hooks, run.reasoningRewards), ...run.stages };
  const common = { task, language: o.language, seed };
  const runOne = stageRunner(run.runDir, { signal, log });
  // Stages are replaceable (run.stages), so their config types are only known at run time.
  const stage = <I, Out>(st: { name: string }, input: I, config: unknown): Promise<Out> =>
    runOne(st as Stage<z.ZodType, I, Out>, input, config);
  type M = { modelDir: string; id: string };
  try {
    const base: M = { modelDir: baseDir, id: 'base' };
    const cold = await stage<{ modelDir: string }, M>(
      s.coldStart,
      { modelDir: baseDir },
      { coldStart: o.coldStart, ...common },
    );
    const withRewards = <T extends object>(input: T) =>
      run.rewardsId === undefined ? input : { ...input, rewards: run.rewardsId };
    const reasoning = await stage<M, M>(s.reasoningRl, withRewards(cold), {
      reasoning: { ...o.reasoning, grpo: grpo.reasoning },
      ...common,
    });
    const rejection = await stage<M & { baseDir: string }, M & { generalAnswerTokens?: number }>(
      s.rejectionSft,
      { modelDir: reasoning.modelDir, id: reasoning.id, baseDir },
      { rejection: o.rejection, ...common },
    );
    const rms = await stage<Record<string, never>, Awaited<ReturnType<R1Stages['rewardModels']['run']>>>(
      s.rewardModels,
      {},
      { rm: o.rewardModels, seed },
    );
    const aligned = await stage<M & { rms: typeof rms; generalAnswerTokens?: number }, M>(
      s.alignmentRl,
      withRewards({
        modelDir: rejection.modelDir,
        id: rejection.id,
        rms,
        generalAnswerTokens: rejection.generalAnswerTokens,
      }),
      { alignment: { ...o.alignment, grpo: grpo.alignment }, reasoningWeights: o.reasoning.weights, ...common },
    );
    const models = [
      { stage: 'base', ...base },
      { stage: 'cold-start', ...cold },
      { stage: 'reasoning-rl', ...reasoning },
      { stage: 'rejection-sft', ...rejection },
      { stage: 'alignment-rl', ...aligned },
    ].map((m) => ({ stage: m.stage, modelDir: m.modelDir, id: m.id }));
    const evaluation = await stage<unknown, { stages: StageSummary[] }>(
      s.evaluate,
      { models, rms },
      { eval: o.eval, ...common },
    );
    const summary = evaluation.stages;
    const table = summaryTable(summary);
    writeFileSync(join(run.runDir, 'summary.md'), `${table}\n`);
    writeFileSync(
      join(run.runDir, 'summary.json'),
      `${JSON.stringify({ stages: summary, rewardModels: rms, environment: { threads: getNumThreads(), simd: simdLevel() }, seconds: Math.round((performance.now() - t0) / 1000) }, null, 2)}\n`,
    );
    const first = summary[0];
    const last = summary[summary.length - 1];
    const report = await writeReports(
      run.runDir,
      [
        'cold-start',
        'reasoning-rl',
        'rejection-sft',
        'reward-models/helpfulness',
        'reward-models/safety',
        'reward-models/judge-helpfulness',
        'reward-models/judge-safety',
        'alignment-rl',
      ],
      `aha R1 in miniature: held-out accuracy ${pct(first.accuracy)} → ${pct(last.accuracy)}`,
      {
        riskControl: riskControlRows({ 'rejection-sft': rejection, 'alignment-rl': aligned }),
        stages: stageTable(summary),
      },
    );
    return {
      runDir: run.runDir,
      finalModel: aligned.modelDir,
      summary,
      rewardModels: {
        helpfulnessHeldOutAccuracy: rms.helpfulnessHeldOutAccuracy,
        judgeHelpfulnessHeldOutAccuracy: rms.judgeHelpfulnessHeldOutAccuracy,
        judgeSafetyHeldOutAccuracy: rms.judgeSafetyHeldOutAccuracy,
        safetyHeldOutAccuracy: rms.safetyHeldOutAccuracy,
      },
      report,
      seconds: Math.round((performance.now() - t0) / 1000),
    };
  } catch (err) {
    // Ctrl-C inside rejection sampling surfaces as the signal's abort error: the stage is unfinished all the same.
    if (err instanceof StageInterruptedError || signal.aborted) {
      log(err instanceof Error ? err.message : String(err));
      return { runDir: run.runDir, interrupted: true, seconds: Math.round((performance.now() - t0) / 1000) };
    }
    throw err;
  }
}

/**
 * The two GRPO stages' settings as the trainer gets them (each section with its stage's defaults; rewards and their
 * weights are the recipe's, so `rewardWeights` is not a key here).
 */
export function resolveR1Grpo(
  o: z.output<typeof R1Schema>,
  task: { maxNewTokens?: number },
): { reasoning: GrpoSection; alignment: GrpoSection } {
  for (const stage of ['reasoning', 'alignment'] as const) {
    if ('rewardWeights' in o[stage].grpo) {
      throw new ConfigError('r1', [
        `grpo.${stage}.rewardWeights: the r1 recipe weighs its rewards with r1.${stage}.weights`,
      ]);
    }
  }
  return {
    reasoning: resolveGrpoSection(ReasoningGrpoSchema, o.reasoning.grpo, task),
    alignment: resolveGrpoSection(AlignmentGrpoSchema, o.alignment.grpo, task),
  };
}

/** Maps the config file's sections onto the recipe's settings (see the file comment), each checked key by key. */
export function r1OptionsFromConfig(loaded: Pick<LoadedConfig, 'config' | 'source'>): R1Options {
  rejectUnusedSections(loaded, 'r1', ['eval', 'sft', 'grpo', 'rejection', 'rm', 'r1']);
  const evalSection = parseSection(
    loaded,
    'eval',
    R1TaskSchema.extend({
      language: R1Schema.shape.language.optional(),
      generalPerTopic: R1EvalSchema.shape.generalPerTopic.optional(),
    }),
  );
  const { language, generalPerTopic, ...task } = evalSection;
  const sft = parseSection(loaded, 'sft', z.strictObject({ coldStart: ColdStartSchema.optional() }));
  // Checked key by key here; the raw sections are kept so the task can fill what they leave unset.
  parseSection(
    loaded,
    'grpo',
    z.strictObject({ reasoning: ReasoningGrpoSchema.optional(), alignment: AlignmentGrpoSchema.optional() }),
  );
  const recipe = parseSection(
    loaded,
    'r1',
    z.strictObject({
      reasoning: ReasoningRlSchema.omit({ grpo: true }).optional(),
      alignment: AlignmentRlSchema.omit({ grpo: true }).optional(),
    }),
  );
  const raw = (loaded.config.grpo ?? {}) as Record<string, Record<string, unknown> | undefined>;
  return {
    task,
    language,
    eval: generalPerTopic === undefined ? undefined : { generalPerTopic },
    coldStart: sft.coldStart,
    reasoning: { ...recipe.reasoning, grpo: raw.reasoning ?? {} },
    rejection: parseSection(loaded, 'rejection', RejectionSftSchema.optional()),
    rewardModels: parseSection(loaded, 'rm', RewardModelsSchema.optional()),
    alignment: { ...recipe.alignment, grpo: raw.alignment ?? {} },
  };
}

/** The fully resolved settings a config file means for r1 (what `--print-config` shows). */
export async function resolveR1Config(loaded: Pick<LoadedConfig, 'config' | 'source'>) {
  const o = R1Schema.parse(r1OptionsFromConfig(loaded));
  const { config } = loaded;
  const record = await readBaseModelRecord(config.model === 'tiny' ? SHIPPED_BASE_MODEL_DIR : config.model);
  const task = taskWithOverrides({ ...record.task, maxNewTokens: 80 }, o.task);
  const grpo = resolveR1Grpo(o, task);
  return {
    ...o,
    task,
    reasoning: { ...o.reasoning, grpo: grpo.reasoning },
    alignment: { ...o.alignment, grpo: grpo.alignment },
  };
}

/**
 * The config's `rewards` as the recipe's reasoning rewards (stages 2–4; each null on general prompts, as the default
 * ones), or undefined when the config lists none. Their weights are the entries' own, so setting
 * `r1.reasoning.weights` as well is an error.
 */
async function r1ConfigRewards(input: LoadedConfig, options: R1Options): Promise<ReasoningRewardsFn | undefined> {
  const r1 = (input.config as { r1?: { reasoning?: { weights?: unknown } } }).r1;
  if (input.config.rewards.length > 0 && r1?.reasoning?.weights !== undefined)
    throw new ConfigError(input.source, [
      'r1.reasoning.weights: not used when `rewards` is set; give each reward its `weight` there instead',
    ]);
  const resolved = await configRewards(input, {
    task: 'addition',
    maxNewTokens: (options.task as { maxNewTokens?: number } | undefined)?.maxNewTokens ?? R1_MAX_NEW_TOKENS,
  });
  return resolved && (() => resolved.map((r) => ({ reward: reasoningOnly(r.reward), weight: r.weight })));
}

/** The CLI handler: `aha run r1`. Ctrl-C stops after the current step; running again resumes. */
export async function r1Recipe(input: LoadedConfig, ctx: RecipeContext): Promise<R1Result> {
  const { config } = input;
  const options = r1OptionsFromConfig(input);
  const reasoningRewards = await r1ConfigRewards(input, options);
  return withCtrlC(ctx, async (signal) => {
    const result = await runR1(options, {
      reasoningRewards,
      rewardsId: config.rewards.length > 0 ? config.rewards : undefined,
      baseModel: config.model === 'tiny' ? undefined : config.model,
      runDir: config.outputDir,
      seed: config.seed,
      signal,
      log: ctx.log,
      hooks: {
        onStart: (stage, total, first) => {
          ctx.progress.start(total, stage);
          if (first > 0) ctx.progress.update(first);
        },
        onStep: (_stage, step, record) => ctx.progress.update(step, record),
      },
    });
    ctx.progress.stop();
    if (result.interrupted) ctx.log(`stopped; run the same command again to resume from ${config.outputDir}`);
    else if (result.summary) {
      if (!ctx.json) ctx.log(`\n${summaryTable(result.summary)}\n${environmentLine()}; ${result.seconds} s\n`);
      ctx.log(`report: ${result.report}`);
    }
    // The printed result stays short: the sample texts are in summary.json and the reports.
    return { ...result, summary: result.summary?.map(({ samples: _samples, ...s }) => ({ ...s, samples: [] })) };
  });
}
