/**
 * swiglu(gate, up) = silu(gate) ⊙ up, fused: the gated activation of HF `DeepseekV3MLP`
 * (`act_fn(gate_proj(x)) * up_proj(x)`, modeling_deepseek_v3.py; Shazeer 2020, "GLU Variants Improve Transformer").
 * One native pass forward, one backward; the graph keeps only the two inputs (σ(gate) is recomputed in the backward),
 * where silu + mul kept the silu output as well. With SIMD off the arithmetic is that of silu then mul, bit for bit;
 * the AVX2 path uses a polynomial exp (a few ulp). Leaves out: broadcasting (both inputs have one shape), GeGLU.
 */
import { record } from '../autograd/node.js';
import { DTypeError, fmtShape, ShapeError } from '../errors.js';
import { allocFloat32 } from '../memory/pool.js';
import { kernel } from '../native.js';
import { Tensor } from '../tensor.js';
import { contiguous } from './copy.js';

type Buf = Float32Array;
const swigluForward = kernel<(gate: Buf, up: Buf, n: number, out: Buf, path: number) => void>('swigluForward');
const swigluBackward =
  kernel<(dy: Buf, gate: Buf, up: Buf, n: number, gg: Buf | null, gu: Buf | null, path: number) => void>(
    'swigluBackward',
  );

/**
 * `silu(gate) · up` elementwise; gradients to both inputs.
 * @throws DTypeError when an argument is not a Tensor; ShapeError when the shapes differ.
 */
export function swiglu(gate: Tensor, up: Tensor): Tensor {
  if (!(gate instanceof Tensor) || !(up instanceof Tensor)) throw new DTypeError('swiglu: gate and up must be Tensors');
  if (gate.shape.length !== up.shape.length || gate.shape.some((s, i) => s !== up.shape[i])) {
    throw new ShapeError(`swiglu: gate ${fmtShape(gate.shape)} and up ${fmtShape(up.shape)} must have the same shape`);
  }
  const G = contiguous(gate); // [..., I]
  const U = contiguous(up); // [..., I]
  const n = G.numel;
  const out = allocFloat32(n, { zero: false }); // [..., I]: the kernel writes every value
  if (n > 0) swigluForward(G.values(), U.values(), n, out, 0);
  return record(new Tensor(out, gate.shape), 'swiglu', [G, U], (dy) => {
    const gg = G.requiresGrad ? allocFloat32(n, { zero: false }) : null; // written in full by the kernel
    const gu = U.requiresGrad ? allocFloat32(n, { zero: false }) : null;
    if (n > 0) swigluBackward(dy, G.values(), U.values(), n, gg, gu, 0);
    return [gg, gu];
  });
}
