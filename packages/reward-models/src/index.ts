/** @aha/reward-models — Neural reward models on the core model: pairwise (Bradley-Terry) helpfulness and point-wise safety, exposed as rewards. */
export {
  type EncodeOptions,
  encodeSample,
  type LabeledSample,
  LabeledSampleSchema,
  labelValue,
  type PreferencePair,
  PreferencePairSchema,
  padBatch,
  padIdOf,
  readJsonl,
} from './data.js';
export {
  type BradleyTerryOptions,
  binaryCrossEntropyLoss,
  bradleyTerryLoss,
  logSigmoid,
  type PairwiseLossOutput,
  type PointwiseLossOutput,
} from './losses.js';
export {
  createRewardModel,
  loadRewardModel,
  REWARD_MODEL_ARCHITECTURE,
  RewardModel,
  type RewardModelOptions,
} from './model.js';
export {
  helpfulnessReward,
  isReasoningSample,
  type RewardModelReward,
  type RewardModelRewardOptions,
  RewardModelRewardOptionsSchema,
  RunningStats,
  safetyReward,
  scoreCompletions,
} from './rewards.js';
export { bannedWordPairs, hazardWordSamples } from './synthetic.js';
export { tinyRewardModelConfig } from './tiny-config.js';
export {
  evaluateRewardModel,
  type RewardEvaluation,
  RewardModelTrainer,
  type RewardModelTrainerOptions,
  type RewardTrainerConfig,
  RewardTrainerConfigSchema,
} from './trainer.js';
