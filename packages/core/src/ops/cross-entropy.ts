/**
 * Fused logits → loss ops (native `cross_entropy.cc`), the training hot paths:
 * - crossEntropy: mean over non-ignored tokens of −log softmax(logits)[target] (torch.nn.functional.cross_entropy
 *   with ignore_index, reduction 'mean'); SFT / pretraining / MTP loss.
 * - tokenLogprobs: log p(target) under softmax(logits / T) per token, differentiable ([B, T]); GRPO's policy and
 *   reference log-probs (TRL `selective_log_softmax`).
 * - tokenEntropy: entropy of softmax(logits / T) per token, no gradient (a metric).
 * None of them materialises log-softmax: the forward keeps one logsumexp per row and the backward recomputes
 * softmax − onehot from the logits in one pass. A batch with every target ignored gives loss 0 with zero gradient
 * (PyTorch gives NaN, which would poison a training step that happens to draw only padding).
 */
import { z } from 'zod';
import { record } from '../autograd/node.js';
import { DTypeError, fmtShape, IndexError, ShapeError, ValueError } from '../errors.js';
import { allocFloat32 } from '../memory/pool.js';
import { kernel } from '../native.js';
import { Tensor } from '../tensor.js';
import { contiguous } from './copy.js';

type Buf = Float32Array;
const logitsRowStats =
  kernel<(x: Buf, rows: number, V: number, invT: number, t: Int32Array, lse: Buf, tz: Buf) => void>('logitsRowStats');
const logitsRowGrad =
  kernel<(x: Buf, rows: number, V: number, invT: number, t: Int32Array, lse: Buf, scale: Buf, grad: Buf) => void>(
    'logitsRowGrad',
  );
const logitsRowEntropy =
  kernel<(x: Buf, rows: number, V: number, invT: number, t: null, out: Buf) => void>('logitsRowEntropy');

const crossEntropyOptions = z.object({
  ignoreIndex: z
    .number()
    .int()
    .default(-100)
    .describe('Target value whose tokens are left out of the loss and its mean (PyTorch ignore_index).'),
});
const temperatureOptions = z.object({
  temperature: z
    .number()
    .positive()
    .finite()
    .default(1)
    .describe('Sampling temperature T: logits are divided by T before the softmax (match the rollout sampler).'),
});
export type CrossEntropyOptions = z.input<typeof crossEntropyOptions>;
export type TemperatureOptions = z.input<typeof temperatureOptions>;

function parse<S extends z.ZodType>(op: string, schema: S, opts: unknown): z.output<S> {
  const r = schema.safeParse(opts ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new ValueError(`${op}: option ${issue.path.join('.')}: ${issue.message}`);
  }
  return r.data;
}

// Logits as contiguous rows [rows, V] over the last dim.
function asRows(op: string, logits: Tensor): { x: Tensor; rows: number; V: number } {
  if (!(logits instanceof Tensor)) throw new DTypeError(`${op}: logits must be a Tensor`);
  if (logits.ndim < 2) throw new ShapeError(`${op}: logits must be [..., V], got ${fmtShape(logits.shape)}`);
  const V = logits.shape[logits.ndim - 1];
  if (V === 0) throw new ShapeError(`${op}: logits ${fmtShape(logits.shape)} have an empty vocabulary dim`);
  const x = contiguous(logits);
  return { x, rows: x.numel / V, V };
}

/**
 * number[][] (one array per sequence) or Int32Array → Int32Array of one target per row of an input whose leading
 * dims are `lead` (`input` names it in errors: 'logits' [..., V] or 'hidden' [..., D]).
 */
export function flattenTargets(
  op: string,
  targets: number[][] | Int32Array,
  lead: number[],
  input: 'logits' | 'hidden' = 'logits',
): Int32Array {
  const rows = lead.reduce((a, b) => a * b, 1);
  if (targets instanceof Int32Array) {
    if (targets.length !== rows) {
      throw new ShapeError(`${op}: targets has ${targets.length} entries, ${input} ${fmtShape(lead)} need ${rows}`);
    }
    return targets;
  }
  if (!Array.isArray(targets)) throw new DTypeError(`${op}: targets must be number[][] or an Int32Array`);
  const out = new Int32Array(rows);
  const perSeq = lead.length >= 2 ? lead[lead.length - 1] : rows;
  const seqs = lead.length >= 2 ? rows / Math.max(perSeq, 1) : 1;
  if (targets.length !== seqs || targets.some((t) => !Array.isArray(t) || t.length !== perSeq)) {
    throw new ShapeError(
      `${op}: targets must be ${seqs} arrays of ${perSeq} ids for ${input} ${fmtShape([...lead, -1]).replace('-1', input === 'logits' ? 'V' : 'D')}`,
    );
  }
  let k = 0;
  for (let s = 0; s < seqs; s++) {
    for (const v of targets[s]) {
      if (!Number.isInteger(v)) throw new ValueError(`${op}: target ${v} at [${s}, ${k % perSeq}] is not an integer`);
      out[k++] = v;
    }
  }
  return out;
}

function checkTargets(op: string, t: Int32Array, V: number, ignore: number | null): void {
  for (let i = 0; i < t.length; i++) {
    if (t[i] === ignore) continue;
    if (t[i] < 0 || t[i] >= V) {
      throw new IndexError(`${op}: target ${t[i]} at row ${i} is outside the vocabulary [0, ${V})`);
    }
  }
}

/**
 * Mean cross-entropy of `logits` ([B, T, V] or [N, V]) against `targets` (B arrays of T ids, or an Int32Array of
 * B·T / N ids), leaving out targets equal to `ignoreIndex` (default −100). Returns a scalar.
 * @throws ShapeError when targets do not match the logits' leading dims; IndexError for a target outside [0, V).
 */
export function crossEntropy(logits: Tensor, targets: number[][] | Int32Array, opts?: CrossEntropyOptions): Tensor {
  const { ignoreIndex } = parse('crossEntropy', crossEntropyOptions, opts);
  const { x, rows, V } = asRows('crossEntropy', logits);
  const t = flattenTargets('crossEntropy', targets, logits.shape.slice(0, -1));
  checkTargets('crossEntropy', t, V, ignoreIndex);
  // The kernel marks ignored rows with a negative target.
  const kt = t.map((v) => (v === ignoreIndex ? -1 : v));
  const lse = new Float32Array(rows);
  const tz = new Float32Array(rows);
  if (rows > 0) logitsRowStats(x.values(), rows, V, 1, kt, lse, tz);
  let count = 0;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    if (kt[r] < 0) continue;
    count++;
    total += lse[r] - tz[r];
  }
  const out = new Tensor(Float32Array.of(count ? total / count : 0), []);
  return record(out, 'crossEntropy', [x], (g) => {
    const scale = new Float32Array(rows);
    if (count) for (let r = 0; r < rows; r++) scale[r] = kt[r] < 0 ? 0 : g[0] / count;
    const gx = allocFloat32(rows * V, { zero: false }); // every row written
    if (rows > 0) logitsRowGrad(x.values(), rows, V, 1, kt, lse, scale, gx);
    return [gx];
  });
}

/**
 * log p(target) under softmax(logits / T) for every token: logits `[..., V]` (usually [B, T, V]), targets an
 * Int32Array with one id per row; result has the logits' leading shape. Differentiable (the GRPO ratio needs it).
 * @throws ShapeError / IndexError for targets that do not fit; ValueError for a temperature that is not > 0.
 */
export function tokenLogprobs(logits: Tensor, targets: Int32Array, opts?: TemperatureOptions): Tensor {
  const { temperature } = parse('tokenLogprobs', temperatureOptions, opts);
  if (!(targets instanceof Int32Array)) throw new DTypeError('tokenLogprobs: targets must be an Int32Array');
  const { x, rows, V } = asRows('tokenLogprobs', logits);
  const t = flattenTargets('tokenLogprobs', targets, logits.shape.slice(0, -1));
  checkTargets('tokenLogprobs', t, V, null);
  const invT = 1 / temperature;
  const lse = new Float32Array(rows);
  const tz = new Float32Array(rows);
  if (rows > 0) logitsRowStats(x.values(), rows, V, invT, t, lse, tz);
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) out[r] = tz[r] - lse[r];
  return record(new Tensor(out, logits.shape.slice(0, -1)), 'tokenLogprobs', [x], (g) => {
    // d(z_t − lse)/dx = (onehot − p) / T, so scale = −g / T on (p − onehot).
    const scale = new Float32Array(rows);
    for (let r = 0; r < rows; r++) scale[r] = -g[r] * invT;
    const gx = allocFloat32(rows * V, { zero: false }); // every row written
    if (rows > 0) logitsRowGrad(x.values(), rows, V, invT, t, lse, scale, gx);
    return [gx];
  });
}

/**
 * Entropy (nats) of softmax(logits / T) for every row of `logits [..., V]`; no gradient.
 * @throws ValueError for a temperature that is not > 0.
 */
export function tokenEntropy(logits: Tensor, opts?: TemperatureOptions): Tensor {
  const { temperature } = parse('tokenEntropy', temperatureOptions, opts);
  const { x, rows, V } = asRows('tokenEntropy', logits);
  const out = new Float32Array(rows);
  if (rows > 0) logitsRowEntropy(x.values(), rows, V, 1 / temperature, null, out);
  return new Tensor(out, logits.shape.slice(0, -1));
}
