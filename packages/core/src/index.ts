/**
 * @aha/core — tensors and autograd on native kernels, and (as they land) the DeepSeek-V3 model, checkpoints,
 * tokenizers, generation, optimizers and the training loop. Explicit named exports only.
 */
import './autograd/engine.js';

export { backward } from './autograd/engine.js';
export { type GradNode, isGradEnabled, noGrad, setGradEnabled } from './autograd/node.js';
export { DeviceError, type DeviceErrorReason, type DeviceKind, selectDevice } from './device/device.js';
export { AhaError, type AhaErrorCode, DTypeError, IndexError, ShapeError, ValueError } from './errors.js';
export { writeFileAtomic } from './io/atomic.js';
export {
  DEFAULT_MAX_SHARD_BYTES,
  type FloatDType,
  INDEX_FILE,
  MAX_HEADER_BYTES,
  parseSafetensorsHeader,
  readSafetensors,
  readSafetensorsIndex,
  SafetensorsCheckpoint,
  SafetensorsError,
  type SafetensorsErrorReason,
  SafetensorsFile,
  type SafetensorsHeader,
  SINGLE_FILE,
  type TensorInfo,
  type TensorToWrite,
  writeSafetensors,
  writeSafetensorsCheckpoint,
} from './io/safetensors.js';
export {
  allocFloat32,
  type BufferPoolStats,
  bufferPoolStats,
  clearBufferPool,
  releaseFloat32,
  resetBufferPoolStats,
  setBufferPoolOptions,
} from './memory/pool.js';
export {
  ConfigError,
  type DeepseekV3Config,
  type DeepseekV3ConfigInput,
  DeepseekV3ConfigSchema,
  DeepseekV3ConfigShape,
  deepseekV3ConfigToJson,
  isMoeLayer,
  parseDeepseekV3Config,
  qkHeadDim,
  readDeepseekV3Config,
  type YarnRopeScaling,
  YarnRopeScalingSchema,
} from './models/deepseek-v3/config.js';
export {
  type GenerateOptions,
  GenerateOptionsSchema,
  type Generation,
} from './models/deepseek-v3/generate.js';
export {
  deepseekV3HfParams,
  deepseekV3HfParamsOf,
  deepseekV3ParamCount,
  deepseekV3Size,
  type HfInit,
  type HfParam,
} from './models/deepseek-v3/hf-names.js';
export { LatentKvCache } from './models/deepseek-v3/kv-cache.js';
export {
  ARCHITECTURE_KEYS,
  checkCheckpointAgainstConfig,
  checkModelBudget,
  defaultMaxBytes,
} from './models/deepseek-v3/load-checks.js';
export type { AttentionImpl } from './models/deepseek-v3/mla.js';
export {
  DeepseekV3Model,
  type ForwardOptions,
  type LoadModelOptions,
  type LossOptions,
  type LossOutput,
} from './models/deepseek-v3/model.js';
export { selectExperts } from './models/deepseek-v3/moe.js';
export {
  ropeInvFreq,
  ropeTables,
  softmaxScale,
  yarnCorrectionRange,
  yarnGetMscale,
} from './models/deepseek-v3/rope.js';
export { TINY_CONFIG as tinyDeepseekV3Config } from './models/deepseek-v3/testing.js';
// Dense families (Llama, Qwen2, Qwen3) and the family dispatch of createModel / loadModel.
export {
  DENSE_ARCHITECTURE_KEYS,
  DENSE_FAMILIES,
  type DenseConfig,
  type DenseConfigInput,
  DenseConfigSchemas,
  type DenseFamily,
  type DenseRopeScaling,
  denseFamilyOf,
  type LlamaConfig,
  type LlamaConfigInput,
  parseDenseConfig,
  type Qwen2Config,
  type Qwen2ConfigInput,
  type Qwen3Config,
  type Qwen3ConfigInput,
  SUPPORTED_ARCHITECTURES,
} from './models/dense/config.js';
export { denseHfParamsOf, denseSize } from './models/dense/hf-names.js';
export { GqaKvCache } from './models/dense/kv-cache.js';
export { type DenseForwardOptions, type DenseLossOptions, DenseModel } from './models/dense/model.js';
export { denseInvFreq } from './models/dense/rope.js';
export {
  TINY_LLAMA_CONFIG as tinyLlamaConfig,
  TINY_QWEN2_CONFIG as tinyQwen2Config,
  TINY_QWEN3_CONFIG as tinyQwen3Config,
} from './models/dense/testing.js';
export { createModel, loadModel, type Model, type ModelConfig, modelFamilyOf } from './models/index.js';
export {
  ADAPTER_CONFIG,
  ADAPTER_WEIGHTS,
  loadLoraAdapter,
  PEFT_PREFIX,
  readLoraAdapterConfig,
  saveLoraAdapter,
} from './models/lora/peft.js';
export { getNumThreads, type SimdLevel, setNumThreads, simdLevel, simdLevels } from './native.js';
export {
  applyLora,
  LoraAdapter,
  type LoraOptions,
  type LoraState,
  loraAdaptersOf,
  loraStateOf,
  mergeLora,
  trainableParameters,
} from './nn/lora.js';
// nn layers and the DeepSeek-V3 model
export { Embedding, InitRng, Linear, type LinearAdapter, Module, ModuleList, RMSNorm } from './nn/module.js';
// Op set, first half (elementwise, selection, reductions, softmax, cat/split) and optimizers.
export { type AttentionOptions, scaledDotProductAttention } from './ops/attention.js';
export { add, div, maximum, minimum, mul, sub } from './ops/binary.js';
export { cat, split } from './ops/cat.js';
export { contiguous } from './ops/copy.js';
// Linear algebra, indexing, normalisation, rotary embedding and fused losses (the model's hot paths).
export {
  type CrossEntropyOptions,
  crossEntropy,
  type TemperatureOptions,
  tokenEntropy,
  tokenLogprobs,
} from './ops/cross-entropy.js';
export { embedding } from './ops/embedding.js';
export { gather } from './ops/gather.js';
export { indexSelect } from './ops/index-select.js';
export { linear } from './ops/linear.js';
export { type Bf16Weight, linearBf16, toBf16Weight } from './ops/linear-bf16.js';
export {
  type LinearCrossEntropyOptions,
  type LinearLogProbs,
  type LinearLogProbsOptions,
  linearCrossEntropy,
  linearLogProbs,
} from './ops/linear-cross-entropy.js';
export { matmul } from './ops/matmul.js';
export { type MoeExpertWeights, moeExperts } from './ops/moe-experts.js';
export { max, mean, sum } from './ops/reduce.js';
export { rmsNorm } from './ops/rms-norm.js';
export { type RopeLayout, rope } from './ops/rope.js';
export { scatterAdd } from './ops/scatter-add.js';
export { logSoftmax, softmax } from './ops/softmax.js';
export { swiglu } from './ops/swiglu.js';
export { topk } from './ops/topk.js';
export { abs, clamp, exp, log, neg, pow, relu, rsqrt, sigmoid, silu, sqrt, square, tanh } from './ops/unary.js';
export { expand, narrow, permute, reshape, slice, squeeze, transpose, unsqueeze } from './ops/view.js';
export { maskedFill, where } from './ops/where.js';
export { AdamW, type AdamWOptions, AdamWOptionsSchema } from './optim/adamw.js';
export { clipGradNorm } from './optim/clip.js';
export { type OptimizerConfig, optimizerFrom, scheduleFrom } from './optim/factory.js';
export type { Optimizer, OptimizerState, ZeroGradOptions } from './optim/optimizer.js';
export {
  constantLr,
  cosineWarmupDecay,
  type LrSchedule,
  LrScheduler,
  type LrSchedulerState,
  linearWarmupDecay,
  type ScheduleOptions,
  ScheduleOptionsSchema,
} from './optim/schedule.js';
export { SGD, type SGDOptions, SGDOptionsSchema } from './optim/sgd.js';
export { createRng, Mulberry32, mixSeed, mulberry32, permutation, type Rng } from './random.js';
export { full, ones, scalar, Tensor, tensor, zeros } from './tensor.js';
export {
  emptyReflectionCounts,
  matchReflectionWords,
  REFLECTION_WORDS,
  type ReflectionWord,
} from './text/reflection.js';
export {
  BYTE_LEVEL_ADDED_TOKENS,
  BYTE_LEVEL_CHAT_TEMPLATE,
  byteToUnicode,
  createByteLevelTokenizer,
} from './tokenizers/byte-level.js';
export {
  type ChatMessage,
  type ChatTemplateOptions,
  HfTokenizer,
  loadTokenizer,
  type Tokenizer,
} from './tokenizers/tokenizer.js';
export { SUPPORTED_TOKENIZER_MODELS, TokenizerFileError, validateTokenizerJson } from './tokenizers/validate.js';
// The one training loop and its checkpoints.
export {
  type CheckpointContents,
  checkpointDirName,
  type LoadedCheckpoint,
  latestCheckpoint,
  listCheckpoints,
  loadCheckpoint,
  pruneCheckpoints,
  removeStaleTemporaries,
  saveCheckpoint,
} from './train/checkpoint.js';
export {
  closestKey,
  editDistance,
  formatKeyPath,
  type LrScheduleName,
  LrScheduleSchema,
  parseTrainConfig,
  type TrainConfigBase,
  type TrainConfigBaseInput,
  TrainConfigBaseSchema,
  unknownKeyHint,
  withDefaults,
} from './train/config.js';
export { DataIterator, type DataIteratorOptions, type DataPosition, type ServedRow } from './train/data.js';
export {
  loopConfigOf,
  type MicroStepResult,
  type StepContext,
  type StepReport,
  type TrainEvent,
  TrainingDivergedError,
  type TrainLoopConfig,
  TrainLoopConfigSchema,
  type TrainLoopOptions,
  type TrainTask,
  trainLoop,
} from './train/loop.js';
export { appendMetrics, METRICS_FILE, type StepFacts, stepRecord, truncateMetrics } from './train/metrics.js';
export { abortableSleep, bodySnippet, parseRetryAfter } from './util/http.js';
