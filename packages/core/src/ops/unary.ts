/**
 * Elementwise unary ops: neg, exp, log, sqrt, rsqrt, tanh, relu, sigmoid, silu, abs, square, pow, clamp — one native
 * kernel pair with an opcode (`native/src/ops/unary.cc`), reading strided views directly (no copy of a transpose).
 * Gradients (g = incoming gradient): −g; g·eˣ; g/x; g/(2√x); −g/(2x^{3/2}); g(1−tanh²x); g·[x>0]; g·σ(1−σ);
 * g·σ(1+x(1−σ)); g·sign(x) (0 at 0); 2gx; g·p·x^{p−1}; g·[min ≤ x ≤ max].
 * The backward recomputes f'(x) from x, so no output is saved. Leaves out: in-place variants.
 */
import { record } from '../autograd/node.js';
import { ValueError } from '../errors.js';
import { allocFloat32 } from '../memory/pool.js';
import { kernel } from '../native.js';
import { Tensor } from '../tensor.js';
import { assertFinite, assertTensor } from './validate.js';

type Buf = Float32Array;
const unaryForward =
  kernel<(op: number, shape: number[], x: Buf, xS: number[], xO: number, p0: number, p1: number, out: Buf) => void>(
    'unaryForward',
  );
const unaryBackward =
  kernel<
    (op: number, shape: number[], x: Buf, xS: number[], xO: number, p0: number, p1: number, g: Buf, gx: Buf) => void
  >('unaryBackward');

// Opcodes: the order of `UnaryOp` in unary.cc.
const OPS = {
  neg: 0,
  exp: 1,
  log: 2,
  sqrt: 3,
  rsqrt: 4,
  tanh: 5,
  relu: 6,
  sigmoid: 7,
  silu: 8,
  abs: 9,
  square: 10,
  pow: 11,
  clamp: 12,
} as const;
type UnaryName = keyof typeof OPS;

function unary(name: UnaryName, x: Tensor, p0 = 0, p1 = 0): Tensor {
  assertTensor(name, 'x', x);
  const op = OPS[name];
  const out = allocFloat32(x.numel, { zero: false }); // every value written
  if (out.length > 0) unaryForward(op, x.shape, x.storage, x.strides, x.offset, p0, p1, out);
  return record(new Tensor(out, x.shape), name, [x], (g) => {
    const gx = allocFloat32(x.numel, { zero: false });
    if (g.length > 0) unaryBackward(op, x.shape, x.storage, x.strides, x.offset, p0, p1, g, gx);
    return [gx];
  });
}

/** −x. */
export const neg = (x: Tensor): Tensor => unary('neg', x);
/** eˣ. */
export const exp = (x: Tensor): Tensor => unary('exp', x);
/** Natural log (NaN below 0, −∞ at 0). */
export const log = (x: Tensor): Tensor => unary('log', x);
/** √x. */
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
/** 1/√x. */
export const rsqrt = (x: Tensor): Tensor => unary('rsqrt', x);
/** tanh x. */
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
/** max(x, 0); the gradient at 0 is 0 (PyTorch's convention). */
export const relu = (x: Tensor): Tensor => unary('relu', x);
/** σ(x) = 1 / (1 + e⁻ˣ). */
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
/** x·σ(x) (SiLU / swish, the activation of SwiGLU). */
export const silu = (x: Tensor): Tensor => unary('silu', x);
/** |x|; the gradient at 0 is 0. */
export const abs = (x: Tensor): Tensor => unary('abs', x);
/** x². */
export const square = (x: Tensor): Tensor => unary('square', x);

/**
 * x^exponent elementwise.
 * @throws ValueError when exponent is not a finite number.
 */
export function pow(x: Tensor, exponent: number): Tensor {
  assertFinite('pow', 'exponent', exponent);
  return unary('pow', x, exponent);
}

/**
 * Clips x to [min, max] (either bound may be omitted); the gradient is zero where a value was clipped. When
 * min > max every value becomes max, as in torch.clamp.
 * @throws ValueError when both bounds are missing or a bound is not finite.
 */
export function clamp(x: Tensor, min?: number, max?: number): Tensor {
  if (min === undefined && max === undefined) throw new ValueError('clamp: at least one of min and max is needed');
  if (min !== undefined) assertFinite('clamp', 'min', min);
  if (max !== undefined) assertFinite('clamp', 'max', max);
  return unary('clamp', x, min ?? Number.NEGATIVE_INFINITY, max ?? Number.POSITIVE_INFINITY);
}
