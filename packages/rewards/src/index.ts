/** @aha/rewards — The reward contract (defineReward), combinators and rule rewards: accuracy (math, code), format, language consistency, and the usual extras. */

// The reward contract, the runner and combinators.
export { combineOutcomes, combineRewards, type WeightedReward } from './combine.js';
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
export { type DetailedReward, type RewardResult, runReward, type ScoreOptions, scoreRewards } from './runner.js';
export { answerPart, type CodeBlock, codeBlocks, thinkPart } from './text.js';
export { checkValue, runWorkerOutcomes } from './worker.js';
