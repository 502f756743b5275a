/**
 * The LM head fused with its loss (native `linear_cross_entropy.cc`): the logits `hidden · weightᵀ` are produced and
 * consumed one vocabulary chunk at a time, so training never holds a [tokens × vocab] logits, softmax or logits
 * gradient — only O(tokens × chunk) scratch and one log-sum-exp per token. The same scheme as Liger-Kernel's
 * `FusedLinearCrossEntropy` and Apple's "Cut Your Losses in Large-Vocabulary Language Models" (Wijmans et al. 2024),
 * with the backward recomputing each chunk's logits instead of storing them.
 * - linearCrossEntropy: crossEntropy(linear(hidden, weight) / T, targets) with ignore_index and reduction
 *   'mean' | 'sum' | 'none'; the SFT / pretraining / MTP loss.
 * - linearLogProbs: log p(target) per token under softmax(linear(hidden, weight) / T), differentiable, and
 *   optionally the entropy per token (no gradient, a metric): GRPO's policy / old / reference log-probs.
 * Leaves out: an LM-head bias (DeepSeek-V3's lm_head has none), label smoothing, z-loss, soft targets (knowledge
 * distillation needs whole distributions: use linear + the KD losses).
 */
import { z } from 'zod';
import { isGradEnabled, record } from '../autograd/node.js';
import { DTypeError, fmtShape, IndexError, ShapeError, ValueError } from '../errors.js';
import { allocFloat32, releaseFloat32 } from '../memory/pool.js';
import { kernel } from '../native.js';
import { numelOf, Tensor } from '../tensor.js';
import { contiguous } from './copy.js';
import { flattenTargets } from './cross-entropy.js';

type Buf = Float32Array;
// (hidden, N, D, weight, V, invT, targets, chunk, lse, targetZ, entropy | null, lastLogits | null)
const linearCeForward =
  kernel<
    (
      h: Buf,
      n: number,
      d: number,
      w: Buf,
      v: number,
      invT: number,
      t: Int32Array,
      chunk: number,
      lse: Buf,
      tz: Buf,
      entropy: Buf | null,
      lastLogits: Buf | null,
    ) => void
  >('linearCeForward');
// (hidden, N, D, weight, V, invT, targets, chunk, lse, scale, dHidden | null, dWeight | null, lastLogits | null)
const linearCeBackward =
  kernel<
    (
      h: Buf,
      n: number,
      d: number,
      w: Buf,
      v: number,
      invT: number,
      t: Int32Array,
      chunk: number,
      lse: Buf,
      scale: Buf,
      gh: Buf | null,
      gw: Buf | null,
      lastLogits: Buf | null,
    ) => void
  >('linearCeBackward');

const temperature = z
  .number()
  .positive()
  .finite()
  .default(1)
  .describe('Temperature T: logits are divided by T before the softmax (GRPO: the rollout sampling temperature).');
const chunkSize = z
  .number()
  .int()
  .positive()
  .optional()
  .describe('Vocabulary columns per chunk; default: sized so one chunk of logits takes at most 8 MiB (at least 256).');

const linearCrossEntropyOptions = z.object({
  ignoreIndex: z
    .number()
    .int()
    .default(-100)
    .describe('Target value whose tokens are left out of the loss and of the mean (PyTorch ignore_index).'),
  reduction: z
    .enum(['mean', 'sum', 'none'])
    .default('mean')
    .describe("'mean' over non-ignored tokens (0 when all are ignored), 'sum', or 'none': per token, 0 where ignored."),
  temperature,
  chunkSize,
});
const linearLogProbsOptions = z.object({
  temperature,
  withEntropy: z.boolean().default(false).describe('Also return the entropy (nats) of each token distribution.'),
  chunkSize,
});
export type LinearCrossEntropyOptions = z.input<typeof linearCrossEntropyOptions>;
export type LinearLogProbsOptions = z.input<typeof linearLogProbsOptions>;

/** What `linearLogProbs` returns. */
export interface LinearLogProbs {
  /** log p(target) per token, the hidden states' leading shape (e.g. [B, T]); differentiable. */
  logprobs: Tensor;
  /** Entropy (nats) of each token's distribution, same shape, no gradient; null unless `withEntropy`. */
  entropy: Tensor | null;
}

function parse<S extends z.ZodType>(op: string, schema: S, opts: unknown): z.output<S> {
  const r = schema.safeParse(opts ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new ValueError(`${op}: option ${issue.path.join('.')}: ${issue.message}`);
  }
  return r.data;
}

interface Prepared {
  H: Tensor; // [N, D] contiguous
  W: Tensor; // [V, D] contiguous
  N: number;
  D: number;
  V: number;
  lead: number[]; // hidden's leading shape (N = its product)
}

function prepare(op: string, hidden: Tensor, weight: Tensor): Prepared {
  if (!(hidden instanceof Tensor) || !(weight instanceof Tensor)) {
    throw new DTypeError(`${op}: hidden and weight must be Tensors`);
  }
  if (weight.ndim !== 2) throw new ShapeError(`${op}: weight must be [V, D], got ${fmtShape(weight.shape)}`);
  const [V, D] = weight.shape;
  if (V === 0) throw new ShapeError(`${op}: weight ${fmtShape(weight.shape)} has an empty vocabulary dim`);
  if (hidden.ndim < 1 || hidden.shape[hidden.ndim - 1] !== D) {
    throw new ShapeError(
      `${op}: hidden ${fmtShape(hidden.shape)} does not end in the weight's hidden size ${D} (weight ${fmtShape(weight.shape)})`,
    );
  }
  const lead = hidden.shape.slice(0, -1);
  return { H: contiguous(hidden), W: contiguous(weight), N: numelOf(lead), D, V, lead };
}

// The kernel's targets: ids in [0, V), −1 for an ignored row. Throws IndexError for anything else.
function kernelTargets(op: string, t: Int32Array, V: number, ignore: number | null): Int32Array {
  const out = new Int32Array(t.length);
  for (let i = 0; i < t.length; i++) {
    if (t[i] === ignore) {
      out[i] = -1;
      continue;
    }
    if (t[i] < 0 || t[i] >= V) {
      throw new IndexError(`${op}: target ${t[i]} at row ${i} is outside the vocabulary [0, ${V})`);
    }
    out[i] = t[i];
  }
  return out;
}

// Floats of logits one chunk may hold by default (8 MiB). Wide chunks keep the sgemm at speed, and a vocabulary that
// fits one chunk is never recomputed (the forward's logits are handed to the backward); past that, peak scratch is
// two chunks (the kept last one + the one being recomputed): at most 16 MiB whatever V is, for N ≤ 8192 tokens
// (beyond that the 256-column floor makes it N · 512 floats, still independent of V).
const CHUNK_BUDGET = 2 ** 21;

interface Run {
  invT: number;
  targets: Int32Array; // kernel targets, −1 = ignored
  chunk: number;
  lse: Float32Array; // [N]
  tz: Float32Array; // [N] z[target]
  entropy: Float32Array | null; // [N]
  kept: Float32Array | null; // [N, last chunk width]: the forward's last chunk of logits, for the backward
}

// The forward pass. When a graph will be recorded, the last chunk's logits are kept for the backward (it then
// recomputes one chunk fewer; none when the vocabulary fits one chunk).
function forward(
  p: Prepared,
  targets: Int32Array,
  temperature: number,
  chunkSize: number | undefined,
  withEntropy: boolean,
): Run {
  const chunk = Math.min(p.V, chunkSize ?? Math.max(256, Math.floor(CHUNK_BUDGET / Math.max(p.N, 1) / 16) * 16));
  const last = p.V - Math.floor((p.V - 1) / chunk) * chunk;
  const grad = isGradEnabled() && (p.H.requiresGrad || p.W.requiresGrad) && p.N > 0;
  const run: Run = {
    invT: 1 / temperature,
    targets,
    chunk,
    lse: new Float32Array(p.N),
    tz: new Float32Array(p.N),
    entropy: withEntropy ? new Float32Array(p.N) : null,
    kept: grad ? allocFloat32(p.N * last, { zero: false }) : null, // written by the forward's sgemm
  };
  if (p.N > 0) {
    const { H, W, N, D, V } = p;
    linearCeForward(H.values(), N, D, W.values(), V, run.invT, targets, chunk, run.lse, run.tz, run.entropy, run.kept);
  }
  return run;
}

// Records the fused node: `scaleOf(g)` maps the output gradient to the per-row factor of (softmax − onehot).
function recordFused(
  out: Tensor,
  name: string,
  p: Prepared,
  run: Run,
  scaleOf: (g: Float32Array) => Float32Array,
): Tensor {
  return record(out, name, [p.H, p.W], (g) => {
    const scale = scaleOf(g); // [N]
    // Both are overwritten by the kernel (dHidden zeroed there, in native code, then accumulated; dWeight by beta = 0).
    const gh = p.H.requiresGrad ? allocFloat32(p.N * p.D, { zero: false }) : null; // [N, D]
    const gw = p.W.requiresGrad ? allocFloat32(p.V * p.D, { zero: false }) : null; // [V, D]
    // The kernel overwrites the kept logits with the gradient: a second backward recomputes them.
    const kept = run.kept;
    run.kept = null;
    const { H, W, N, D, V } = p;
    linearCeBackward(H.values(), N, D, W.values(), V, run.invT, run.targets, run.chunk, run.lse, scale, gh, gw, kept);
    if (kept) releaseFloat32(kept); // consumed (now the logits' gradient); nothing else holds it
    return [gh, gw];
  });
}

/**
 * Cross-entropy of the LM head's logits without materialising them: equal to
 * `crossEntropy(linear(hidden, weight) / T, targets, { ignoreIndex })` for reduction 'mean' (the mean over
 * non-ignored tokens; 0 with zero gradient when every token is ignored). `hidden` is `[..., D]` (usually [B, T, D]),
 * `weight` the head in HF layout `[V, D]` (a tied embedding works the same), `targets` one id per token (B arrays of
 * T ids, or an Int32Array). Gradients flow to `hidden` and `weight`.
 * @throws ShapeError for shapes that do not fit; IndexError for a target outside [0, V) that is not `ignoreIndex`;
 * ValueError for bad options.
 */
export function linearCrossEntropy(
  hidden: Tensor,
  weight: Tensor,
  targets: number[][] | Int32Array,
  opts?: LinearCrossEntropyOptions,
): Tensor {
  const op = 'linearCrossEntropy';
  const o = parse(op, linearCrossEntropyOptions, opts);
  const p = prepare(op, hidden, weight);
  const t = kernelTargets(op, flattenTargets(op, targets, p.lead, 'hidden'), p.V, o.ignoreIndex);
  const run = forward(p, t, o.temperature, o.chunkSize, false);
  const { lse, tz } = run;
  let count = 0;
  let total = 0;
  const perToken = new Float32Array(p.N);
  for (let r = 0; r < p.N; r++) {
    if (t[r] < 0) continue;
    count++;
    perToken[r] = lse[r] - tz[r];
    total += perToken[r];
  }
  const invT = run.invT;
  if (o.reduction === 'none') {
    // d(lse − z_t)/dx = (p − onehot) / T per token.
    return recordFused(new Tensor(perToken, p.lead), op, p, run, (g) =>
      Float32Array.from(t, (v, r) => (v < 0 ? 0 : g[r] * invT)),
    );
  }
  const divisor = o.reduction === 'mean' ? count : 1;
  const out = new Tensor(Float32Array.of(count ? total / divisor : 0), []);
  return recordFused(out, op, p, run, (g) =>
    Float32Array.from(t, (v) => (v < 0 || !count ? 0 : (g[0] * invT) / divisor)),
  );
}

/**
 * log p(target) per token under softmax(linear(hidden, weight) / T) without materialising the logits: equal to
 * `tokenLogprobs(linear(hidden, weight), targets, { temperature })`, and with `withEntropy` also
 * `tokenEntropy(...)` from the same pass. `hidden` `[..., D]`, `weight` `[V, D]`, `targets` an Int32Array with one
 * id in [0, V) per token; results have hidden's leading shape.
 * @throws ShapeError / IndexError for targets or shapes that do not fit; ValueError for bad options.
 */
export function linearLogProbs(
  hidden: Tensor,
  weight: Tensor,
  targets: Int32Array,
  opts?: LinearLogProbsOptions,
): LinearLogProbs {
  const op = 'linearLogProbs';
  const o = parse(op, linearLogProbsOptions, opts);
  if (!(targets instanceof Int32Array)) throw new DTypeError(`${op}: targets must be an Int32Array`);
  const p = prepare(op, hidden, weight);
  const t = kernelTargets(op, flattenTargets(op, targets, p.lead, 'hidden'), p.V, null);
  const run = forward(p, t, o.temperature, o.chunkSize, o.withEntropy);
  const { lse, tz, entropy } = run;
  const lp = Float32Array.from(tz, (z, r) => z - lse[r]);
  const invT = run.invT;
  // d(z_t − lse)/dx = (onehot − p) / T, so the factor on (p − onehot) is −g / T.
  const logprobs = recordFused(new Tensor(lp, p.lead), op, p, run, (g) => Float32Array.from(g, (v) => -v * invT));
  return { logprobs, entropy: entropy ? new Tensor(entropy, p.lead) : null };
}
