/** @aha/rewards — The reward contract (defineReward), combinators and rule rewards: accuracy (math, code), format, language consistency, and the usual extras. */
// Math verification.

// The reward contract, the runner and combinators.
export { combineOutcomes, combineRewards, type WeightedReward } from './combine.js';
export {
  createMathVerifier,
  extractAnswer,
  extractGold,
  MathPoolError,
  type MathVerdict,
  type MathVerification,
  type MathVerifier,
  type MathVerifierOptions,
  mathVerifierOptionsSchema,
  type VerifyMathOptions,
  verifyMath,
  verifyMathOptionsSchema,
  verifyMathSync,
} from './math/index.js';
export {
  type ChatMessage,
  createRewardContext,
  defineReward,
  type Reward,
  type RewardContext,
  type RewardDefinition,
  type RewardLimits,
  type RewardLogger,
  type Sample,
  type SampleOutcome,
  type SampleStatus,
  silentLogger,
  textOf,
  validateColumns,
  type WorkerSpec,
} from './reward.js';
// Rule rewards.
export {
  type AccuracyOptions,
  accuracyReward,
  type MathVerdict as AccuracyVerdict,
  type MathVerifier as VerifyMathFn,
} from './rules/accuracy.js';
export { type CodeLanguage, type CodeOptions, codeReward, extractCode, runCodeTests } from './rules/code/code.js';
export { quickjs, runJavaScriptTests } from './rules/code/js-sandbox.js';
export {
  type PythonEnvironment,
  type PythonIsolation,
  pythonEnvironment,
  runPythonTests,
  SandboxUnavailableError,
} from './rules/code/python-sandbox.js';
export { type SandboxLimits, sameOutput, TestCase, type TestRun } from './rules/code/tests.js';
// Shaping extras.
export { type CosineOptions, cosineLengthReward, cosineScaled } from './rules/extras/cosine.js';
export { kimiLengthRewards, type LengthOptions, lengthReward } from './rules/extras/length.js';
export { type OverlongOptions, overlongReward, softOverlong } from './rules/extras/overlong.js';
export { countSteps, type ReasoningStepsOptions, reasoningStepsReward } from './rules/extras/reasoning-steps.js';
export { type RepetitionOptions, repetitionPenaltyReward, repetitionRate } from './rules/extras/repetition.js';
export { type TagCountOptions, tagCountReward } from './rules/extras/tag-count.js';
export { checkFormat, type FormatCheck, type FormatOptions, foldLookalikes, formatReward } from './rules/format.js';
export {
  LANGUAGE_SCRIPTS,
  type LanguageOptions,
  languageConsistencyReward,
  languageCounts,
  type Script,
  scriptOf,
  stripNonProse,
} from './rules/language.js';
export { type DetailedReward, type RewardResult, runReward, type ScoreOptions, scoreRewards } from './runner.js';
export { answerPart, type CodeBlock, codeBlocks, thinkPart } from './text.js';
export { checkValue, runWorkerOutcomes } from './worker.js';
