/**
 * @aha/data — training-data governance for aha: streaming readers (JSONL, Parquet, plain text), PII detection with
 * redaction or pseudonymisation, harmful-content filtering through a pluggable classifier, a licence-marker filter,
 * Gopher/C4 quality rules, language identification, exact and MinHash near-duplicate removal, consent (opt-out)
 * filtering, balance reports, and `cleanDataset`, the resumable pipeline behind `aha data clean`.
 */
export { BalanceCounter, type BalanceOptions, type BalanceReport } from './balance.js';
export {
  type ConsentStepConfig,
  ConsentStepSchema,
  consentStep,
  pseudonymiseId,
  readOptOutFile,
} from './consent.js';
export {
  type ContentClassifier,
  type ContentStepConfig,
  ContentStepSchema,
  type ContentVerdict,
  contentStep,
  type KeywordList,
  type KeywordListInput,
  KeywordListSchema,
  keywordClassifier,
  loadKeywordListJson,
} from './content/classifier.js';
export { DEFAULT_LICENCE_MARKERS, type LicenceStepConfig, LicenceStepSchema, licenceStep } from './content/licence.js';
export {
  type ExactDedupStepConfig,
  ExactDedupStepSchema,
  exactDedupStep,
  normalizeForDedup,
  textHash,
} from './dedup/exact.js';
export {
  estimateJaccard,
  jaccard,
  MinHasher,
  MinHashIndex,
  type MinHashOptions,
  MinHashSchema,
  type NearDedupStepConfig,
  NearDedupStepSchema,
  nearDedupStep,
} from './dedup/minhash.js';
export { DataConfigError, DataInputError, DataStateError, type InputLocation } from './errors.js';
export { cardValid, chinaIdValid, ibanValid, ipv4Valid, luhnValid } from './pii/checks.js';
export { detectPii, PII_CATEGORIES, PII_LABELS, type PiiCategory, type PiiFinding } from './pii/detect.js';
export {
  type PiiAction,
  type PiiReport,
  type PiiStepConfig,
  PiiStepSchema,
  piiStep,
  redactPii,
  replaceFindings,
} from './pii/redact.js';
export {
  type CleanConfig,
  type CleanConfigInput,
  CleanConfigSchema,
  parseCleanConfig,
  type StepConfig,
  StepConfigSchema,
} from './pipeline/config.js';
export { escapeHtml, renderCleanSummary } from './pipeline/html.js';
export {
  type CleanOptions,
  type CleanProgress,
  type CleanStats,
  cleanDataset,
  DATA_DIR,
  type DropExample,
  MANIFEST_FILE,
  STATS_FILE,
  type StepStats,
} from './pipeline/run.js';
export {
  type ClassifierFactory,
  type CreateStepsOptions,
  createSteps,
  emptyCounts,
  jsonKeywordClassifier,
  processRecord,
  type RecordFate,
  runSteps,
  type StepCounts,
} from './pipeline/steps.js';
export { type C4Options, C4Schema, c4Clean } from './quality/c4.js';
export { type GopherOptions, GopherSchema, gopherCheck } from './quality/gopher.js';
export {
  checkLanguageCodes,
  type LanguageStepConfig,
  LanguageStepSchema,
  languageStep,
  loadLanguageDetector,
  supportedLanguages,
} from './quality/language.js';
export { type QualityStepConfig, QualityStepSchema, qualityStep } from './quality/step.js';
export {
  formatOf,
  type InputFormat,
  type InputOptions,
  InputOptionsSchema,
  listInputFiles,
  readRecords,
} from './readers/index.js';
export { readJsonl, rowToRecord } from './readers/jsonl.js';
export { readParquet } from './readers/parquet.js';
export { readText, type TextSplit } from './readers/text.js';
export { type DataRecord, drop, EDIT, KEEP, type Step, type StepOutcome, type SyncStep } from './record.js';
