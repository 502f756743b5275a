/** @aha/distill — Distillation: rejection sampling, the SFT and pretraining trainers, logit distillation (forward/reverse KL, JSD). */

// Data: JSONL, SFT rows → tokens + labels → batches.
export { readJsonl, writeJsonl } from './data/jsonl.js';
export {
  collate,
  type LmBatch,
  packExamples,
  type SftRow,
  SftRowSchema,
  type TokenizedExample,
  type TokenizeOptions,
  tokenizeSftDataset,
  tokenizeSftRow,
} from './data/sft-data.js';
// Logit distillation.
export {
  type DistillLossOptions,
  type Divergence,
  DivergenceSchema,
  distillLoss,
  forwardKl,
  generalizedJsd,
  type JsdOptions,
  reverseKl,
  tokenDivergence,
} from './kd/losses.js';
export { type KdConfig, KdConfigSchema, KdTrainer, type KdTrainerOptions } from './kd/trainer.js';
// Pretraining: packed text, next-token + MTP loss, aux-loss-free routing bias.
export {
  collateSequences,
  type PackedCorpus,
  type PretrainBatch,
  packDocuments,
  packDocumentsAsync,
  unpackSequences,
} from './pretrain/packing.js';
export {
  mtpDepth,
  type ParsedPretrainConfig,
  type PretrainConfig,
  PretrainConfigSchema,
  PretrainTrainer,
  type PretrainTrainerOptions,
  pretrainLoss,
} from './pretrain/trainer.js';
// Rejection sampling.
export {
  dedupeKey,
  type ReadabilityOptions,
  ReadabilityOptionsSchema,
  type RejectReason,
  readabilityReject,
} from './rejection/filters.js';
export {
  type FilterSample,
  type FilterStats,
  type GenerateFn,
  type KeepOptions,
  KeepOptionsSchema,
  type KeptSample,
  modelGenerate,
  type PromptRow,
  RejectionConfigSchema,
  type RejectionSampleOptions,
  type RejectionStats,
  rejectionSample,
  type SampleFilter,
} from './rejection/sample.js';
// SFT.
export { lmLoss, type SftConfig, SftConfigSchema, SftTrainer, type SftTrainerOptions } from './sft/trainer.js';
export { type TrainConfig, TrainConfigSchema } from './train-config.js';
