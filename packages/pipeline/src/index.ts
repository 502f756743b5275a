/** @aha/pipeline — Recipes (R1-Zero, R1 four stages, distillation) as composable stages, the aha CLI, configs, progress and the HTML report. */

export { runCliCaptured, textSink } from './cli/capture.js';
export { INIT_FILES, initProject } from './cli/init.js';
export { type CliIo, EXIT, main, runCli } from './cli/main.js';
export {
  COMMANDS,
  type CommandContext,
  type CommandHandler,
  type CommandInput,
  type CommandName,
  type CommandResult,
  clearRegistry,
  getCommand,
  getRecipe,
  HUMAN_TEXT,
  listRecipes,
  type RecipeHandler,
  registerCommand,
  registerRecipe,
} from './cli/registry.js';
export { BUILTIN_REWARDS, type ResolvedReward, type RewardSetting, resolveRewards } from './commands/rewards.js';
export { ConfigError } from './config/errors.js';
export { describeValue, formatPath, formatZodIssues } from './config/format-issues.js';
export {
  type ConfigReferenceTable,
  configReferenceTables,
  fullConfigSchema,
  RECIPE_CONFIG_RESOLVERS,
  sectionSchemas,
} from './config/full-schema.js';
export { type LoadedConfig, loadConfig, parseConfig } from './config/load.js';
export {
  AhaConfig,
  configJsonSchema,
  createConfigSchema,
  RewardSpec,
  registerStageSchema,
  STAGE_KEYS,
  type StageKey,
} from './config/schema.js';
export { CONFIG_SCHEMA_FILE, configSchemaText, writeConfigSchemaFile } from './config/schema-file.js';
export { parseSection, rejectUnusedSections } from './config/section.js';
export {
  createMetricsWriter,
  type MetricsLog,
  type MetricsWriter,
  parseMetricsJsonl,
  readMetricsFile,
  type SkippedLine,
} from './metrics/jsonl.js';
export { normalizeStepMetrics } from './metrics/normalize.js';
export {
  MeanStd,
  MetricsSample,
  REFLECTION_WORDS,
  type ReflectionWord,
  StepMetricsRecord,
} from './metrics/schema.js';
export {
  compact,
  createProgressReporter,
  formatDuration,
  isCi,
  type ProgressMode,
  type ProgressOptions,
  type ProgressReporter,
  resolveProgressMode,
} from './progress/reporter.js';
export {
  AHA_MOMENT_GRPO_DEFAULTS,
  AhaMomentGrpoSchema,
  type AhaMomentResult,
  AhaMomentSettingsSchema,
  runAhaMoment,
} from './recipes/aha-moment/recipe.js';
export {
  type DistillOptions,
  type DistillResult,
  DistillSchema,
  type RunDistillOptions,
  runDistill,
  studentConfig,
} from './recipes/distill/distill.js';
export { GrpoSectionSchema, grpoSection, resolveGrpoSection } from './recipes/grpo-section.js';
export {
  coldStartRows,
  generalRows,
  readableCompletion,
  readableTrace,
} from './recipes/r1/data.js';
export {
  defaultR1Stages,
  type R1Options,
  type R1Result,
  R1Schema,
  type R1Stages,
  type RunR1Options,
  r1OptionsFromConfig,
  r1Recipe,
  runR1,
  summaryTable,
} from './recipes/r1/recipe.js';
export {
  alignmentRewards,
  type ReasoningRewardsFn,
  reasoningOnly,
  reasoningRewards,
} from './recipes/r1/rewards.js';
export type { StageSummary } from './recipes/r1/stages.js';
export { type AhaSpan, type AhaSummary, ahaSpan, ahaSummary, reflectionPerCompletion } from './report/aha.js';
export { buildCharts, type ChartSeries, type ChartSpec, PALETTE, REQUIRED_CHART_IDS } from './report/charts.js';
export { escapeHtml, jsonForScript } from './report/escape.js';
export { type ReportOptions, renderReport } from './report/html.js';
export { METRICS_FILE, REPORT_FILE, type ReportResult, writeReport } from './report/write.js';
