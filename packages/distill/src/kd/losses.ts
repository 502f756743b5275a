/**
 * Logit-distillation losses on [B, T, V] logits: forward KL(teacher‖student), reverse KL(student‖teacher) and the
 * generalized Jensen-Shannon divergence JSD(β) of GKD (Agarwal et al., "On-Policy Distillation of Language Models",
 * 2024; TRL's `GKDTrainer.generalized_jsd_loss`), each reduced to a mean over the masked-in tokens.
 * Composed from core ops (logSoftmax, exp, maximum, log, mul, sum), so autograd gives the gradients; both logits
 * tensors get gradients when they record them (a frozen teacher's logits do not).
 *
 * Conventions follow TRL: logits are divided by the temperature τ before the softmax and the result is *not* scaled
 * by τ² (Hinton et al. scale by τ² to keep gradient sizes comparable across τ; multiply the loss yourself if wanted).
 * JSD(β) = β·KL(p_T‖m) + (1−β)·KL(p_S‖m) with m = β·p_T + (1−β)·p_S; β = 0 is forward KL and β = 1 reverse KL
 * (TRL's special cases, the limits of its scaled family), β = 0.5 the symmetric JSD.
 * Letters: B batch, T positions, V vocabulary.
 * Leaves out: top-k / sparse teacher logits, vocabularies that differ between teacher and student.
 */
import {
  add,
  exp,
  log,
  logSoftmax,
  maximum,
  mul,
  ShapeError,
  sub,
  sum,
  type Tensor,
  tensor,
  ValueError,
} from '@aha/core';
import { z } from 'zod';

/** Which divergence a distillation loss uses. */
export const DivergenceSchema = z
  .enum(['forward_kl', 'reverse_kl', 'jsd'])
  .describe(
    'forward_kl: KL(teacher‖student), mode-covering (classic KD); reverse_kl: KL(student‖teacher), mode-seeking (MiniLLM); jsd: generalized JSD(β) of GKD.',
  );
export type Divergence = z.infer<typeof DivergenceSchema>;

/** Options of the distillation losses. */
export interface DistillLossOptions {
  /** [B, T] 1 = count this position, 0 = skip (prompt / padding). Default: every position. */
  mask?: number[][] | Tensor;
  /** τ: both logits are divided by it before the softmax (default 1). */
  temperature?: number;
}

/** Options of `generalizedJsd` / `distillLoss` with kind 'jsd'. */
export interface JsdOptions extends DistillLossOptions {
  /** β ∈ [0, 1], the teacher's share of the mixture m (default 0.5). */
  beta?: number;
}

function check(op: string, student: Tensor, teacher: Tensor, temperature: number | undefined): number {
  if (student.ndim !== 3)
    throw new ShapeError(`${op}: studentLogits must be [B, T, V], got [${student.shape.join(', ')}]`);
  if (student.shape.join() !== teacher.shape.join())
    throw new ShapeError(
      `${op}: studentLogits [${student.shape.join(', ')}] and teacherLogits [${teacher.shape.join(', ')}] differ`,
    );
  const tau = temperature ?? 1;
  if (!(tau > 0) || !Number.isFinite(tau)) throw new ValueError(`${op}: temperature must be > 0, got ${temperature}`);
  return tau;
}

/** The mask as a [B, T] tensor (all ones when not given), checked against the logits. */
function maskTensor(op: string, mask: number[][] | Tensor | undefined, B: number, T: number): Tensor {
  if (mask === undefined) return tensor(new Float32Array(B * T).fill(1), [B, T]);
  if (!Array.isArray(mask)) {
    if (mask.shape.join() !== [B, T].join())
      throw new ShapeError(`${op}: mask [${mask.shape.join(', ')}] does not match the logits' [${B}, ${T}]`);
    return mask;
  }
  if (mask.length !== B || mask.some((row) => row.length !== T))
    throw new ShapeError(
      `${op}: mask is ${mask.length} rows of [${mask.map((r) => r.length).join(', ')}], the logits need ${B} rows of ${T}`,
    );
  return tensor(Float32Array.from(mask.flat()), [B, T]);
}

const logProbs = (logits: Tensor, tau: number): Tensor => logSoftmax(tau === 1 ? logits : mul(logits, 1 / tau), -1); // [B, T, V]

/** Σ_v exp(lp)·(lp − lq) = KL(p‖q) per position, from log-probabilities: [B, T, V] → [B, T]. */
function klFromLog(lp: Tensor, lq: Tensor): Tensor {
  return sum(mul(exp(lp), sub(lp, lq)), -1);
}

/**
 * log(β·exp(a) + (1−β)·exp(b)) elementwise, shifted by max(a, b) so one term is exp(0) = 1 and the log never sees 0.
 * The shift cancels exactly in value and in gradient, so taking the gradient through `maximum` is harmless.
 */
function logMix(a: Tensor, b: Tensor, beta: number): Tensor {
  const m = maximum(a, b); // [B, T, V]
  return add(m, log(add(mul(exp(sub(a, m)), beta), mul(exp(sub(b, m)), 1 - beta))));
}

/**
 * Per-position divergence [B, T] (no mask, no reduction), for metrics and custom reductions.
 * @throws ShapeError when the logits differ in shape or are not [B, T, V]; ValueError for τ ≤ 0 or β outside [0, 1].
 */
export function tokenDivergence(
  studentLogits: Tensor,
  teacherLogits: Tensor,
  kind: Divergence,
  options: { temperature?: number; beta?: number } = {},
): Tensor {
  const tau = check('tokenDivergence', studentLogits, teacherLogits, options.temperature);
  const ls = logProbs(studentLogits, tau);
  const lt = logProbs(teacherLogits, tau);
  if (kind === 'forward_kl') return klFromLog(lt, ls);
  if (kind === 'reverse_kl') return klFromLog(ls, lt);
  if (kind !== 'jsd') throw new ValueError(`tokenDivergence: kind must be forward_kl, reverse_kl or jsd, got ${kind}`);
  const beta = options.beta ?? 0.5;
  if (!(beta >= 0 && beta <= 1)) throw new ValueError(`generalizedJsd: beta must be in [0, 1], got ${options.beta}`);
  if (beta === 0) return klFromLog(lt, ls);
  if (beta === 1) return klFromLog(ls, lt);
  const lm = logMix(lt, ls, beta); // [B, T, V]
  return add(mul(klFromLog(lt, lm), beta), mul(klFromLog(ls, lm), 1 - beta));
}

/** Mean of a [B, T] per-position value over the masked-in positions (0 when none is). */
function maskedMean(op: string, perToken: Tensor, mask: number[][] | Tensor | undefined): Tensor {
  const [B, T] = perToken.shape;
  const m = maskTensor(op, mask, B, T);
  const count = m.toFloat32Array().reduce((s, v) => s + v, 0);
  return mul(sum(mul(perToken, m)), count > 0 ? 1 / count : 0);
}

/** Forward KL(p_teacher ‖ p_student), mean over masked-in tokens: the classic KD objective (mode-covering). */
export function forwardKl(studentLogits: Tensor, teacherLogits: Tensor, options: DistillLossOptions = {}): Tensor {
  const per = tokenDivergence(studentLogits, teacherLogits, 'forward_kl', options);
  return maskedMean('forwardKl', per, options.mask);
}

/** Reverse KL(p_student ‖ p_teacher), mean over masked-in tokens: mode-seeking (MiniLLM, GKD with β = 1). */
export function reverseKl(studentLogits: Tensor, teacherLogits: Tensor, options: DistillLossOptions = {}): Tensor {
  const per = tokenDivergence(studentLogits, teacherLogits, 'reverse_kl', options);
  return maskedMean('reverseKl', per, options.mask);
}

/** Generalized JSD(β) of GKD, mean over masked-in tokens (see the file comment for β's meaning). */
export function generalizedJsd(studentLogits: Tensor, teacherLogits: Tensor, options: JsdOptions = {}): Tensor {
  const per = tokenDivergence(studentLogits, teacherLogits, 'jsd', options);
  return maskedMean('generalizedJsd', per, options.mask);
}

/** The loss named by `kind` (what `KdTrainer` calls). */
export function distillLoss(
  studentLogits: Tensor,
  teacherLogits: Tensor,
  kind: Divergence,
  options: JsdOptions = {},
): Tensor {
  const per = tokenDivergence(studentLogits, teacherLogits, kind, options);
  return maskedMean('distillLoss', per, options.mask);
}
