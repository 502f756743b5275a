/** @aha/grpo — GRPO: rollouts (local or OpenAI-compatible server), group advantages, the GRPO loss family, reference model + KL, GrpoTrainer. */

export { type GroupAdvantageOptions, type GroupStats, groupAdvantages, groupStats } from './advantages.js';
export {
  type GrpoConfig,
  type GrpoConfigInput,
  GrpoConfigSchema,
  grpoConfigJsonSchema,
  type LossType,
  LossTypeSchema,
  parseGrpoConfig,
} from './config.js';
export { R1_ZERO_INSTRUCTION, r1ZeroTemplate, renderPrompt } from './data/chat.js';
export {
  DatasetRecordError,
  extractGold,
  GOLD_FORMATS,
  type GoldFormat,
  gsm8kAnswer,
  lastBoxed,
} from './data/gold.js';
export { DataIterator, type DataIteratorOptions, type DataPosition, type ServedRow } from './data/iterator.js';
export {
  type LoadDatasetOptions,
  loadDataset,
  loadJsonl,
  loadParquet,
  loadRecords,
  normaliseRows,
  type ParquetCompressors,
  type RawRecords,
} from './data/load.js';
export { createRng, hashString, mixSeed, permutation, type Rng } from './data/prng.js';
export {
  type ChatMessage,
  ChatMessageSchema,
  type ChatTemplate,
  type DatasetRow,
  DatasetRowSchema,
  type Prompt,
  PromptSchema,
} from './data/types.js';
// The GRPO loss family.
export {
  type GrpoLossInputs,
  type GrpoLossOptions,
  type GrpoLossStats,
  type GrpoLossType,
  grpoLoss,
  grpoLossWithStats,
} from './loss.js';
export {
  type BatchReflectionCounts,
  countReflectionWords,
  MetricsWriter,
  type MetricsWriterOptions,
  REFLECTION_WORDS,
  type ReflectionCounts,
  type ReflectionSplit,
  type ReflectionWord,
  readMetricsJsonl,
  reflectionSplit,
  reflectionStats,
  type StepMetrics,
} from './metrics.js';
export {
  localRolloutEngine,
  type PreparedPrompt,
  type RolloutEngine,
  remoteRolloutEngine,
  type SampledCompletion,
  type SamplingSettings,
} from './rollout/engine.js';
export {
  createRemoteRollout,
  type RemoteCompletion,
  RemoteRolloutClient,
  type RemoteRolloutOptions,
  type RemoteSampleOptions,
  RolloutError,
  type RolloutErrorReason,
} from './rollout/remote.js';
export {
  type FullWeightSyncOptions,
  fullWeightSync,
  type LoraAdapterSyncOptions,
  loraAdapterSync,
  type WeightSync,
  type WeightSyncContext,
  WeightSyncError,
  type WeightSyncErrorReason,
  type WeightSyncResult,
} from './rollout/weight-sync.js';
export {
  type AdditionColumn,
  type AdditionOptions,
  type AdditionProblem,
  type AdditionProblemOptions,
  type AdditionRow,
  addDigits,
  additionColumns,
  additionCompletion,
  additionProblems,
  additionPrompt,
  additionTrace,
  columnSum,
  generateAddition,
  scoreAddition,
  verifyAddition,
} from './tasks/addition.js';
export { extractAnswer, type GenerateOptions, type Split, splitOf, type TaskVerify } from './tasks/common.js';
export {
  type CountdownOptions,
  type CountdownRow,
  type CountdownVerdict,
  countdownPrompt,
  generateCountdown,
  scoreCountdown,
  verifyCountdown,
  verifyCountdownAnswer,
} from './tasks/countdown.js';
export { type EvaluateLimits, type EvaluateResult, evaluateExpression, type Rational } from './tasks/expression.js';
export {
  type ReflectionKind,
  type ReflectionRates,
  reflectiveAdditionCompletion,
  reflectiveAdditionTrace,
  wrongColumn,
} from './tasks/reflective-addition.js';
export {
  type RewardFailureCount,
  RewardFailureError,
  RewardFailureWatch,
} from './trainer/reward-failures.js';
export {
  advantagesWithNulls,
  type RewardFailures,
  type RolloutSample,
} from './trainer/rollout.js';
export { type PackedBatch, packSequences, type SequencePair } from './trainer/sequences.js';
export { GrpoTrainer, type GrpoTrainerOptions } from './trainer/trainer.js';
