/**
 * @aha/core — tensors and autograd on native kernels, and (as they land) the DeepSeek-V3 model, checkpoints,
 * tokenizers, generation, optimizers and the training loop. Explicit named exports only.
 */
import './autograd/engine.js';

export { backward } from './autograd/engine.js';
export { type GradNode, isGradEnabled, noGrad, setGradEnabled } from './autograd/node.js';
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
export { deepseekV3HfParams, deepseekV3ParamCount, type HfInit, type HfParam } from './models/deepseek-v3/hf-names.js';
export {
  ropeInvFreq,
  ropeTables,
  softmaxScale,
  yarnCorrectionRange,
  yarnGetMscale,
} from './models/deepseek-v3/rope.js';
export { getNumThreads, setNumThreads, simdLevel } from './native.js';
export { add, div, mul, sub } from './ops/binary.js';
export { contiguous } from './ops/copy.js';
export { expand, narrow, permute, reshape, slice, squeeze, transpose, unsqueeze } from './ops/view.js';
export { full, ones, scalar, Tensor, tensor, zeros } from './tensor.js';
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
