/**
 * @aha/safety — risk control (keyword filter → model review → block / review / allow), the safety benchmark
 * (questions × jailbreak templates, judged safe / unsafe / refusal), reflection-word ("aha moment") analysis, and
 * AI-generated-content labelling. Explicit named exports only.
 */

export {
  type AhaMoment,
  analyzeReflection,
  countReflectionWords,
  type Growth,
  REFLECTION_WORDS,
  type ReflectionAnalysis,
  type ReflectionAnalysisOptions,
  ReflectionAnalysisOptionsSchema,
  type ReflectionChart,
  type ReflectionWord,
  readReflectionMetrics,
  reflectionByStep,
  reflectionChartSeries,
  reflectionFromMetrics,
  type StepCompletions,
  type StepReflection,
  type WordCounts,
} from './aha/reflection.js';
export { SafetyError, type SafetyErrorReason } from './errors.js';
export {
  BARE_TEMPLATE_ID,
  countLabels,
  type LabelCounts,
  type ModelResponderOptions,
  modelResponder,
  type Responder,
  runSafetyBenchmark,
  type SafetyBenchmarkOptions,
  type SafetyItem,
  type SafetyQuestion,
  SafetyQuestionSchema,
  type SafetyReport,
} from './eval/benchmark.js';
export { formatSafetyMarkdown, writeSafetyReport } from './eval/report.js';
export {
  applyTemplate,
  DEFAULT_JAILBREAK_TEMPLATES,
  type JailbreakTemplate,
  JailbreakTemplateSchema,
  parseTemplate,
  QUESTION_PLACEHOLDER,
} from './eval/templates.js';
export {
  AI_LABEL_TEXT,
  addExplicitLabel,
  type ExplicitLabelOptions,
  explicitLabelPositions,
  type FoundLabel,
  findExplicitLabels,
  isLabelled,
  renderExplicitLabel,
} from './labelling/explicit.js';
export {
  AHA_PRODUCER,
  type GeneratedLabelOptions,
  labelGenerated,
  readLabelSidecar,
  SIDECAR_SUFFIX,
  sidecarPath,
  writeLabelSidecar,
  writeLabelSidecarSync,
} from './labelling/files.js';
export {
  type AigcMetadata,
  AigcMetadataSchema,
  contentIdFor,
  createImplicitLabel,
  embedHtmlMeta,
  type ImplicitLabel,
  type ImplicitLabelOptions,
  readHtmlMeta,
  readSafetensorsMetadata,
  readSidecarJson,
  toHtmlMeta,
  toSafetensorsMetadata,
  toSidecarJson,
} from './labelling/implicit.js';
export { createHeuristicJudge, DEFAULT_REFUSAL_PATTERNS, type HeuristicJudgeOptions } from './risk/heuristic-judge.js';
export { createHttpJudge, type HttpJudgeOptions, HttpJudgeOptionsSchema } from './risk/http-judge.js';
export {
  formatDialogue,
  JUDGE_LABELS,
  type Judge,
  type JudgeLabel,
  type JudgeOptions,
  parseJudgeReply,
  parseJudgeReplyOrThrow,
  REVIEW_SYSTEM_PROMPT,
  reviewMessages,
  type Verdict,
} from './risk/judge.js';
export {
  type KeywordAction,
  type KeywordCategory,
  KeywordCategorySchema,
  KeywordFilter,
  type KeywordFilterOptions,
  KeywordFilterOptionsSchema,
  type KeywordHit,
  type KeywordListInput,
  KeywordListSchema,
  type KeywordResult,
  loadKeywordList,
  parseKeywordList,
} from './risk/keywords.js';
export { createModelJudge, type GenerativeModel, type ModelJudgeOptions } from './risk/model-judge.js';
export {
  RiskControl,
  type RiskControlOptions,
  RiskControlOptionsSchema,
  type RiskDecision,
  type RiskResult,
} from './risk/pipeline.js';
export {
  type NormalizedText,
  type NormalizeOptions,
  NormalizeOptionsSchema,
  normalizeForMatching,
} from './text/normalize.js';
