/**
 * @aha/core — tensors and autograd on native kernels, and (as they land) the DeepSeek-V3 model, checkpoints,
 * tokenizers, generation, optimizers and the training loop. Explicit named exports only.
 */
import './autograd/engine.js';

export { backward } from './autograd/engine.js';
export { type GradNode, isGradEnabled, noGrad, setGradEnabled } from './autograd/node.js';
export { AhaError, type AhaErrorCode, DTypeError, IndexError, ShapeError, ValueError } from './errors.js';
export { getNumThreads, setNumThreads, simdLevel } from './native.js';
export { add, div, mul, sub } from './ops/binary.js';
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
export { matmul } from './ops/matmul.js';
export { rmsNorm } from './ops/rms-norm.js';
export { type RopeLayout, rope } from './ops/rope.js';
export { scatterAdd } from './ops/scatter-add.js';
export { topk } from './ops/topk.js';
export { expand, narrow, permute, reshape, slice, squeeze, transpose, unsqueeze } from './ops/view.js';
export { full, ones, scalar, Tensor, tensor, zeros } from './tensor.js';
