/**
 * moeExperts: the routed experts of DeepSeekMoE (DeepSeek-V3 paper §2.1.2; HF `DeepseekV3MoE.moe`,
 * modeling_deepseek_v3.py) as one fused op:
 *   y[n] = Σ_k gateWeights[n, k] · down_e(silu(gate_e(x[n])) ⊙ up_e(x[n])),  e = expertIds[n, k]
 * with the expert weights in the HF layout (`experts.{e}.gate_proj.weight` [I, D], `up_proj` [I, D], `down_proj`
 * [D, I]). Native side (native/src/ops/moe_experts.cc): counting sort of the routed rows by expert, a grouped GEMM over
 * experts × row tiles, fused SwiGLU, down projection and a weighted un-permute with one writer per token. The graph
 * keeps the gate/up pre-activations (2·N·K·I floats) and recomputes the rest in the backward.
 * Gradients flow to x, gateWeights and every expert weight; an expert that received no token gets no gradient (null),
 * exactly as when it is skipped in a per-expert loop, so optimizers treat it the same way.
 * Leaves out: expert parallelism, capacity limits / token dropping, biases (DeepSeek-V3 has none).
 */
import { isGradEnabled, record } from '../autograd/node.js';
import { DTypeError, fmtShape, IndexError, ShapeError, ValueError } from '../errors.js';
import { allocFloat32 } from '../memory/pool.js';
import { kernel } from '../native.js';
import { Tensor } from '../tensor.js';
import { contiguous } from './copy.js';

type Bufs = (Float32Array | null)[];
// Argument lists as documented above each export in moe_experts.cc (the trailing number is the path: 0 = auto).
const moeExpertsForward = kernel<(...args: unknown[]) => void>('moeExpertsForward');
const moeExpertsBackward = kernel<(...args: unknown[]) => void>('moeExpertsBackward');

/** The per-expert SwiGLU weights, HF layout, one tensor per expert in each list. */
export interface MoeExpertWeights {
  /** `experts.{e}.gate_proj.weight`, each [I, D]. */
  gate: readonly Tensor[];
  /** `experts.{e}.up_proj.weight`, each [I, D]. */
  up: readonly Tensor[];
  /** `experts.{e}.down_proj.weight`, each [D, I]. */
  down: readonly Tensor[];
}

/**
 * Routed-expert compute: `x [N, D]`, `expertIds` (Int32Array, [N, K] row-major), `gateWeights [N, K]` and E experts'
 * weights → `[N, D]`. Gradients to x, gateWeights and the expert weights (null for experts that got no token).
 * @throws DTypeError when an argument has the wrong type; ShapeError when x is not 2-d, gateWeights is not [N, K],
 * expertIds does not hold N·K ids or an expert weight has the wrong shape; ValueError when the three weight lists are
 * empty or differ in length; IndexError when an expert id is outside [0, E).
 */
export function moeExperts(x: Tensor, expertIds: Int32Array, gateWeights: Tensor, experts: MoeExpertWeights): Tensor {
  if (!(x instanceof Tensor) || !(gateWeights instanceof Tensor)) {
    throw new DTypeError('moeExperts: x and gateWeights must be Tensors');
  }
  if (!(expertIds instanceof Int32Array)) throw new DTypeError('moeExperts: expertIds must be an Int32Array');
  if (x.ndim !== 2) throw new ShapeError(`moeExperts: x must be [N, D], got ${fmtShape(x.shape)}`);
  const [N, D] = x.shape;
  if (gateWeights.ndim !== 2 || gateWeights.shape[0] !== N) {
    throw new ShapeError(
      `moeExperts: gateWeights ${fmtShape(gateWeights.shape)} must be [N, K] with N = ${N} (x ${fmtShape(x.shape)})`,
    );
  }
  const K = gateWeights.shape[1];
  if (expertIds.length !== N * K) {
    throw new ShapeError(
      `moeExperts: expertIds has ${expertIds.length} ids, needs N·K = ${N * K} for gateWeights ${fmtShape(gateWeights.shape)}`,
    );
  }
  const { gate, up, down } = experts ?? ({} as MoeExpertWeights);
  if (!Array.isArray(gate) || !Array.isArray(up) || !Array.isArray(down)) {
    throw new DTypeError('moeExperts: experts must be { gate: Tensor[], up: Tensor[], down: Tensor[] }');
  }
  const E = gate.length;
  if (E === 0 || up.length !== E || down.length !== E) {
    throw new ValueError(
      `moeExperts: experts.gate, .up and .down must hold the same number (>= 1) of tensors, got ${gate.length}, ${up.length} and ${down.length}`,
    );
  }
  if (!(gate[0] instanceof Tensor) || gate[0].ndim !== 2) {
    throw new ShapeError(`moeExperts: experts.gate[0] must be a [I, D] Tensor`);
  }
  const I = gate[0].shape[0];
  const check = (list: readonly Tensor[], what: string, rows: number, cols: number) => {
    list.forEach((t, e) => {
      if (!(t instanceof Tensor)) throw new DTypeError(`moeExperts: experts.${what}[${e}] must be a Tensor`);
      if (t.ndim !== 2 || t.shape[0] !== rows || t.shape[1] !== cols) {
        throw new ShapeError(
          `moeExperts: experts.${what}[${e}] is ${fmtShape(t.shape)}, needs [${rows}, ${cols}] (D = ${D}, I = ${I})`,
        );
      }
    });
  };
  check(gate, 'gate', I, D);
  check(up, 'up', I, D);
  check(down, 'down', D, I);
  for (let s = 0; s < expertIds.length; s++) {
    const id = expertIds[s];
    if (id < 0 || id >= E) {
      throw new IndexError(`moeExperts: expertIds[${s}] = ${id} is outside [0, ${E}) (token ${Math.floor(s / K)})`);
    }
  }

  const X = contiguous(x); // [N, D]
  const W = contiguous(gateWeights); // [N, K]
  const Wg = gate.map(contiguous); // E × [I, D]
  const Wu = up.map(contiguous); // E × [I, D]
  const Wd = down.map(contiguous); // E × [D, I]
  const inputs = [X, W, ...Wg, ...Wu, ...Wd];
  const S = N * K;
  const y = allocFloat32(N * D, { zero: !(S > 0 && D > 0) }); // [N, D]: the kernel zeroes then sums every row
  const recording = isGradEnabled() && inputs.some((t) => t.requiresGrad);
  const hg = recording ? allocFloat32(S * I, { zero: false }) : null; // [S, I] gate pre-activations, permuted
  const hu = recording ? allocFloat32(S * I, { zero: false }) : null; // [S, I] up pre-activations, permuted
  const vals = (ts: Tensor[]) => ts.map((t) => t.values());
  if (S > 0 && D > 0) {
    moeExpertsForward(X.values(), expertIds, W.values(), N, K, D, I, E, vals(Wg), vals(Wu), vals(Wd), y, hg, hu, 0);
  }
  const ids = expertIds.slice(); // the caller may reuse its array before the backward runs
  return record(new Tensor(y, [N, D]), 'moeExperts', inputs, (dy) => {
    const used = new Uint8Array(E);
    for (let s = 0; s < S; s++) used[ids[s]] = 1;
    const gradList = (ts: Tensor[]): Bufs =>
      ts.map((t, e) => (t.requiresGrad && used[e] ? allocFloat32(t.numel, { zero: false }) : null)); // beta = 0 sgemm over rows > 0
    const gx = X.requiresGrad ? allocFloat32(N * D, { zero: !(S > 0 && D > 0) }) : null; // rows zeroed by the kernel
    const gw = W.requiresGrad ? new Float32Array(S) : null;
    const gGate = gradList(Wg);
    const gUp = gradList(Wu);
    const gDown = gradList(Wd);
    if (S > 0 && D > 0 && hg && hu) {
      moeExpertsBackward(
        dy,
        X.values(),
        ids,
        W.values(),
        N,
        K,
        D,
        I,
        E,
        vals(Wg),
        vals(Wu),
        vals(Wd),
        hg,
        hu,
        gx,
        gw,
        gGate,
        gUp,
        gDown,
        0,
      );
    }
    return [gx, gw, ...gGate, ...gUp, ...gDown];
  });
}
