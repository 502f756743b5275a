/**
 * nn/functional: the ops the nn layers and the DeepSeek-V3 model call, gathered in one module (like
 * `torch.nn.functional`) so model files import one place. Every op is the native op of `docs/internals/ops.md`;
 * this file only re-exports them.
 */
export { add, div, mul, sub } from '../ops/binary.js';
export { cat, split } from '../ops/cat.js';
export { contiguous } from '../ops/copy.js';
export { crossEntropy } from '../ops/cross-entropy.js';
export { embedding } from '../ops/embedding.js';
export { gather } from '../ops/gather.js';
export { indexSelect } from '../ops/index-select.js';
export { linear } from '../ops/linear.js';
export { matmul } from '../ops/matmul.js';
export { mean, sum } from '../ops/reduce.js';
export { rmsNorm } from '../ops/rms-norm.js';
export { rope } from '../ops/rope.js';
export { scatterAdd } from '../ops/scatter-add.js';
export { softmax } from '../ops/softmax.js';
export { exp, sigmoid, silu, square } from '../ops/unary.js';
export { expand, narrow, permute, reshape, slice, squeeze, transpose, unsqueeze } from '../ops/view.js';
