/**
 * The `aha-moment` recipe — R1-Zero's "aha moment" in miniature (DeepSeek-R1 §2.2.4): the r1-zero stages (evaluate
 * base → GRPO on accuracy + format → evaluate → report) from a base model that has seen reflection only rarely
 * (assets/aha-moment-base: three-digit addition, a few traces say "wait" and fix a column, see base.ts). The rewards
 * are the same rule rewards as r1-zero — nothing rewards reflection words or length — so whatever happens to
 * "wait" comes from the accuracy signal alone. On top of r1-zero's numbers it reports reflection words per
 * completion, completion length and the reflecting-vs-not accuracy at the start and end of GRPO (report/aha.ts),
 * and the report's aha panel.
 * Config file sections: `grpo` (GrpoConfig with the defaults below), `ahaMoment` (trainProblems, evalEvery), `eval`
 * (task overrides). Leaves out: a reference model (β = 0, as r1-zero).
 */
import { join } from 'node:path';
import type { z } from 'zod';
import type { LoadedConfig } from '../../config/load.js';
import { parseSection, rejectUnusedSections } from '../../config/section.js';
import { readMetricsFile } from '../../metrics/jsonl.js';
import { type AhaSummary, ahaSummary } from '../../report/aha.js';
import { METRICS_FILE } from '../../report/write.js';
import { AHA_MOMENT_BASE_MODEL_DIR, readBaseModelRecord, taskWithOverrides } from '../base-model/save.js';
import { pct, type RecipeContext, withCtrlC } from '../context.js';
import { type GrpoSection, type GrpoSectionInput, grpoSection, resolveGrpoSection } from '../grpo-section.js';
import {
  R1_ZERO_GRPO_DEFAULTS,
  type R1ZeroOptions,
  type R1ZeroResult,
  R1ZeroSchema,
  R1ZeroSettingsSchema,
  R1ZeroTaskSchema,
  type R1ZeroVariant,
  type RunR1ZeroOptions,
  r1ZeroCliRunOptions,
  runR1Zero,
} from '../r1-zero.js';

/**
 * The recipe's GRPO defaults: r1-zero's (lr 7e-4, G = 8, 32 prompts per step, on-policy, temperature 1, β = 0, accuracy
 * and format weighted 1 each) with room for the longer three-digit traces; see examples/aha-moment/README.md for the
 * runs behind them.
 */
export const AHA_MOMENT_GRPO_DEFAULTS = {
  ...R1_ZERO_GRPO_DEFAULTS,
  maxSteps: 300,
  checkpointEvery: 20,
  logSamples: 8,
} satisfies GrpoSectionInput;

/** The `grpo` section of an aha-moment config. */
export const AhaMomentGrpoSchema = grpoSection(AHA_MOMENT_GRPO_DEFAULTS);

/** The `ahaMoment` section: the recipe's own settings (the same keys as r1-zero's `r1Zero`). */
export const AhaMomentSettingsSchema = R1ZeroSettingsSchema.describe(
  'aha-moment recipe settings that are not GRPO settings.',
);

/** The aha-moment recipe as an r1-zero variant. */
export const AHA_MOMENT_VARIANT: R1ZeroVariant = {
  grpoSchema: AhaMomentGrpoSchema,
  baseModelDir: AHA_MOMENT_BASE_MODEL_DIR,
  title: (before, after) => `aha moment in miniature: held-out greedy accuracy ${before} → ${after}`,
};

/** What `runAhaMoment` returns: r1-zero's result plus the aha summary of the GRPO metrics. */
export interface AhaMomentResult extends R1ZeroResult {
  aha?: AhaSummary;
}

/** Runs the recipe in `run.runDir` (see the file comment); resumable like r1-zero. */
export async function runAhaMoment(options: R1ZeroOptions, run: RunR1ZeroOptions): Promise<AhaMomentResult> {
  const result = await runR1Zero(options, run, AHA_MOMENT_VARIANT);
  if (result.interrupted) return result;
  const { records } = readMetricsFile(join(run.runDir, 'grpo', METRICS_FILE));
  return { ...result, aha: ahaSummary(records) };
}

/** The recipe's options from a config file's `eval`, `grpo` and `ahaMoment` sections, each checked key by key. */
export function ahaMomentOptionsFromConfig(loaded: Pick<LoadedConfig, 'config' | 'source'>): R1ZeroOptions {
  rejectUnusedSections(loaded, 'aha-moment', ['grpo', 'ahaMoment', 'eval']);
  parseSection(loaded, 'grpo', AhaMomentGrpoSchema);
  return {
    task: parseSection(loaded, 'eval', R1ZeroTaskSchema),
    grpo: (loaded.config.grpo ?? {}) as Record<string, unknown>,
    ...parseSection(loaded, 'ahaMoment', AhaMomentSettingsSchema),
  };
}

/** The fully resolved settings a config file means for aha-moment (what `--print-config` shows). */
export async function resolveAhaMomentConfig(loaded: Pick<LoadedConfig, 'config' | 'source'>): Promise<{
  task: Record<string, unknown>;
  grpo: GrpoSection;
  ahaMoment: z.output<typeof AhaMomentSettingsSchema>;
}> {
  const o = R1ZeroSchema.parse(ahaMomentOptionsFromConfig(loaded));
  const { config } = loaded;
  const record = await readBaseModelRecord(config.model === 'tiny' ? AHA_MOMENT_BASE_MODEL_DIR : config.model);
  const task = taskWithOverrides(record.task, o.task);
  return {
    task,
    grpo: resolveGrpoSection(AhaMomentGrpoSchema, o.grpo, task),
    ahaMoment: { trainProblems: o.trainProblems, evalEvery: o.evalEvery },
  };
}

const fmt = (v: number | null | undefined, digits = 3) => (v == null ? '–' : v.toFixed(digits));

/** The CLI handler: `aha run aha-moment`. Ctrl-C stops after the current step; the same command resumes. */
export async function ahaMomentRecipe(input: LoadedConfig, ctx: RecipeContext): Promise<AhaMomentResult> {
  const { config } = input;
  const options = ahaMomentOptionsFromConfig(input);
  return withCtrlC(ctx, async (signal) => {
    const result = await runAhaMoment(options, r1ZeroCliRunOptions(input, ctx, signal));
    ctx.progress.stop();
    if (result.interrupted) {
      ctx.log(`stopped; run the same command again to resume from ${config.outputDir}`);
      return result;
    }
    if (result.accuracyBefore !== undefined && result.accuracyAfter !== undefined) {
      ctx.log(
        `held-out greedy accuracy: ${pct(result.accuracyBefore)} → ${pct(result.accuracyAfter)} ` +
          `(${result.grpoSteps} GRPO steps; ${Math.round(result.seconds)} s in this run)`,
      );
    }
    const a = result.aha;
    if (a) {
      ctx.log(
        `reflection words per completion (mean of ${a.window} steps): ${fmt(a.start.reflection)} → ` +
          `${fmt(a.end.reflection)} (${a.ratio === null ? '–' : `${a.ratio.toFixed(1)}×`}); completion length ` +
          `${fmt(a.start.completionLength, 1)} → ${fmt(a.end.completionLength, 1)} tokens; ` +
          (a.takeOffStep === null ? 'no take-off' : `take-off at step ${a.takeOffStep}`),
      );
      ctx.log(
        `accuracy of reflecting vs other completions over the run: ${fmt(a.all.reflectingAccuracy)} ` +
          `(${a.all.reflectingCount}) vs ${fmt(a.all.otherAccuracy)} (${a.all.otherCount})`,
      );
    }
    if (result.report) ctx.log(`report: ${result.report}`);
    return result;
  });
}
