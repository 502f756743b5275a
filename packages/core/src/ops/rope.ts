/**
 * rope(x [B, H, T, D], cos, sin [B or 1, T, D/2], layout): rotary position embedding, every pair (a, b) of the last
 * dim rotated to (a·cos − b·sin, a·sin + b·cos) by its own angle.
 * - 'half': pairs (x[i], x[i + D/2]) — HF `rotate_half`: `x·cos + rotate_half(x)·sin` with cos/sin repeated twice.
 * - 'interleaved': pairs (x[2i], x[2i + 1]) — DeepSeek-V3 `inference/model.py` (`view_as_complex`). HF's
 *   `apply_rotary_pos_emb_interleave` rotates the same pairs but then writes them out de-interleaved ([evens, odds]);
 *   applied to both q and k that permutation leaves every q·k score unchanged, so this layout keeps pairs in place.
 * Gradient to x only (the inverse rotation); the tables are constants (YaRN scaling is computed by the model's rope
 * module that builds them). x is read through its strides, the output is contiguous.
 */
import { record } from '../autograd/node.js';
import { DTypeError, fmtShape, ShapeError, ValueError } from '../errors.js';
import { allocFloat32 } from '../memory/pool.js';
import { kernel } from '../native.js';
import { contiguousStrides, Tensor } from '../tensor.js';

type Buf = Float32Array;
const ropeApply =
  kernel<
    (
      x: Buf,
      shape: number[],
      strides: number[],
      offset: number,
      cos: Buf,
      sin: Buf,
      tableBatch: number,
      interleaved: number,
      sign: number,
      out: Buf,
    ) => void
  >('ropeApply');

/** Pair layout of the rotated dim (see the file comment). */
export type RopeLayout = 'interleaved' | 'half';

/**
 * Rotates x by the angles whose cos / sin are given per (batch, position, pair).
 * @throws ShapeError when x is not 4-d with an even last dim or the tables are not `[B or 1, T, D/2]`; ValueError for
 * an unknown layout.
 */
export function rope(x: Tensor, cos: Tensor, sin: Tensor, layout: RopeLayout): Tensor {
  if (!(x instanceof Tensor) || !(cos instanceof Tensor) || !(sin instanceof Tensor)) {
    throw new DTypeError('rope: x, cos and sin must be Tensors');
  }
  if (layout !== 'interleaved' && layout !== 'half') {
    throw new ValueError(`rope: layout must be 'interleaved' or 'half', got ${String(layout)}`);
  }
  if (x.ndim !== 4 || x.shape[3] % 2 !== 0) {
    throw new ShapeError(`rope: x must be [B, H, T, D] with an even D, got ${fmtShape(x.shape)}`);
  }
  const [B, , T, D] = x.shape;
  for (const [name, t] of [
    ['cos', cos],
    ['sin', sin],
  ] as const) {
    if (t.ndim !== 3 || (t.shape[0] !== 1 && t.shape[0] !== B) || t.shape[1] !== T || t.shape[2] !== D / 2) {
      throw new ShapeError(
        `rope: ${name} ${fmtShape(t.shape)} must be [${B} or 1, ${T}, ${D / 2}] for x ${fmtShape(x.shape)}`,
      );
    }
  }
  if (cos.shape[0] !== sin.shape[0]) {
    throw new ShapeError(`rope: cos ${fmtShape(cos.shape)} and sin ${fmtShape(sin.shape)} differ`);
  }
  const tb = cos.shape[0];
  const il = layout === 'interleaved' ? 1 : 0;
  const c = cos.values();
  const s = sin.values();
  const out = allocFloat32(x.numel, { zero: false }); // every pair is written
  if (out.length > 0) ropeApply(x.storage, x.shape, x.strides, x.offset, c, s, tb, il, 1, out);
  return record(new Tensor(out, x.shape), 'rope', [x], (g) => {
    const gx = allocFloat32(x.numel, { zero: false });
    if (g.length > 0) ropeApply(g, x.shape, contiguousStrides(x.shape), 0, c, s, tb, il, -1, gx);
    return [gx];
  });
}
