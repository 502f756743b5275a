/**
 * Reward-model objectives. Pairwise: the Bradley-Terry loss −log σ(r_c − r_r − m) of InstructGPT (Ouyang et al. 2022,
 * eq. 1), with Llama 2's optional margin m (Touvron et al. 2023, §3.2.2) and TRL's reward-centering term
 * c · mean((r_c + r_r)²) (Eisenstein et al. 2023; TRL `center_rewards_coefficient`). Point-wise: binary cross-entropy
 * on a logit, for the safety RM (safe = 0 / unsafe = 1, or soft labels in [0, 1]).
 * Both are compositions of core ops: log σ(x) is the first column of log-softmax([x, 0]), which is stable for any x
 * and exact at x = 0 (the core op set has no softplus).
 * Letters: N pairs or samples.
 */
import {
  add,
  cat,
  logSoftmax,
  mean,
  mul,
  narrow,
  reshape,
  ShapeError,
  squeeze,
  sub,
  sum,
  type Tensor,
  tensor,
  unsqueeze,
  ValueError,
  zeros,
} from '@aha/core';

/** [..., 2]: log σ(x) in column 0 and log σ(−x) = log(1 − σ(x)) in column 1. */
function logSigmoidPair(x: Tensor): Tensor {
  const z = unsqueeze(x, -1); // [..., 1]
  return logSoftmax(cat([z, zeros(z.shape)], -1), -1); // [..., 2]
}

/** log σ(x) elementwise, numerically stable. */
export function logSigmoid(x: Tensor): Tensor {
  return squeeze(narrow(logSigmoidPair(x), -1, 0, 1), -1);
}

/** Flattens [N] or [N, 1] rewards to [N]. */
function asVector(name: string, t: Tensor): Tensor {
  if (t.shape.length === 1) return t;
  if (t.shape.length === 2 && t.shape[1] === 1) return reshape(t, [t.shape[0]]);
  throw new ShapeError(`${name} must be [N] or [N, 1] rewards, got [${t.shape.join(', ')}]`);
}

/** Options of `bradleyTerryLoss`. */
export interface BradleyTerryOptions {
  /** Margin m: a number for every pair or one per pair (Llama 2's preference-strength margin). Default 0. */
  margin?: number | readonly number[];
  /** c of the centering term c · mean((r_c + r_r)²) that keeps rewards near zero mean (TRL). Default 0. */
  centerRewardsCoefficient?: number;
}

/** Loss and batch statistics of a pairwise step. */
export interface PairwiseLossOutput {
  /** Scalar: mean −log σ(r_c − r_r − m) (+ centering term). */
  loss: Tensor;
  /** Share of pairs with r_c > r_r. */
  accuracy: number;
  /** mean(r_c − r_r). */
  marginMean: number;
  chosenMean: number;
  rejectedMean: number;
}

/**
 * Bradley-Terry pairwise loss on the rewards of chosen and rejected completions ([N] or [N, 1] each):
 * mean_i −log σ(r_c,i − r_r,i − m_i) + c · mean_i (r_c,i + r_r,i)².
 */
export function bradleyTerryLoss(
  chosen: Tensor,
  rejected: Tensor,
  options: BradleyTerryOptions = {},
): PairwiseLossOutput {
  const rc = asVector('bradleyTerryLoss: chosen', chosen); // [N]
  const rr = asVector('bradleyTerryLoss: rejected', rejected); // [N]
  const N = rc.shape[0];
  if (rr.shape[0] !== N || N === 0)
    throw new ShapeError(`bradleyTerryLoss: chosen has ${N} rewards, rejected ${rr.shape[0]}; need the same N > 0`);
  const m = options.margin ?? 0;
  if (typeof m !== 'number' && m.length !== N)
    throw new ValueError(`bradleyTerryLoss: margin has ${m.length} entries for ${N} pairs`);
  const c = options.centerRewardsCoefficient ?? 0;
  if (!(Number.isFinite(c) && c >= 0))
    throw new ValueError(`bradleyTerryLoss: centerRewardsCoefficient must be ≥ 0, got ${c}`);
  let diff = sub(rc, rr); // [N]
  if (typeof m === 'number') {
    if (m !== 0) diff = sub(diff, m);
  } else diff = sub(diff, tensor(Float32Array.from(m), [N]));
  let loss = mul(mean(logSigmoid(diff)), -1);
  if (c > 0) {
    const s = add(rc, rr); // [N]
    loss = add(loss, mul(mean(mul(s, s)), c));
  }
  const cv = rc.toFloat32Array();
  const rv = rr.toFloat32Array();
  let correct = 0;
  let gap = 0;
  let cs = 0;
  let rs = 0;
  for (let i = 0; i < N; i++) {
    if (cv[i] > rv[i]) correct++;
    gap += cv[i] - rv[i];
    cs += cv[i];
    rs += rv[i];
  }
  return { loss, accuracy: correct / N, marginMean: gap / N, chosenMean: cs / N, rejectedMean: rs / N };
}

/** Loss and batch statistics of a point-wise step. */
export interface PointwiseLossOutput {
  /** Scalar: mean binary cross-entropy of σ(z) against the labels. */
  loss: Tensor;
  /** Share of samples with (σ(z) > 0.5) = (label > 0.5). */
  accuracy: number;
  /** mean σ(z). */
  probabilityMean: number;
}

/**
 * Binary cross-entropy with logits ([N] or [N, 1]) against labels in [0, 1] (1 = the positive class, e.g. unsafe):
 * mean_i −(y_i log σ(z_i) + (1 − y_i) log(1 − σ(z_i))).
 */
export function binaryCrossEntropyLoss(logits: Tensor, labels: readonly number[]): PointwiseLossOutput {
  const z = asVector('binaryCrossEntropyLoss: logits', logits); // [N]
  const N = z.shape[0];
  if (labels.length !== N || N === 0)
    throw new ShapeError(`binaryCrossEntropyLoss: ${N} logits but ${labels.length} labels; need the same N > 0`);
  const w = new Float32Array(2 * N);
  labels.forEach((y, i) => {
    if (!(y >= 0 && y <= 1)) throw new ValueError(`binaryCrossEntropyLoss: labels[${i}] must be in [0, 1], got ${y}`);
    w[2 * i] = y;
    w[2 * i + 1] = 1 - y;
  });
  const ls = logSigmoidPair(z); // [N, 2]
  const loss = mul(sum(mul(ls, tensor(w, [N, 2]))), -1 / N);
  const zv = z.toFloat32Array();
  let correct = 0;
  let p = 0;
  for (let i = 0; i < N; i++) {
    const prob = 1 / (1 + Math.exp(-zv[i]));
    if (prob > 0.5 === labels[i] > 0.5) correct++;
    p += prob;
  }
  return { loss, accuracy: correct / N, probabilityMean: p / N };
}
