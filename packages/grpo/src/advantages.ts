/**
 * Group-relative advantages — DeepSeek-R1 paper eq. 3 (GRPO, from DeepSeekMath §4.1.2):
 *   A_i = (r_i − mean(r_1..r_G)) / std(r_1..r_G)
 * computed over each consecutive group of G rewards (the G completions sampled for one prompt).
 *
 * Which std: the paper does not say. We default to the *sample* standard deviation (Bessel's correction, divide by
 * G − 1), because that is what TRL's GRPOTrainer computes (`torch.std`, unbiased by default) and most open
 * reproductions start from TRL, so advantages — and logged numbers — match theirs. `std: 'population'` (divide by
 * G) is there for comparison with implementations that use numpy's default. The ε in the denominator defaults to
 * 1e-4, as in TRL; it only matters for near-constant groups. A group whose rewards are all equal has zero
 * numerator, so every advantage in it is exactly 0 (no gradient), whatever ε is; `groupStats` counts such groups.
 *
 * `scale: 'none'` drops the division (Dr. GRPO, Liu et al. 2025 §3.1: dividing by std over-weights
 * too-easy/too-hard questions). Left out: batch-level std scaling and leave-one-out (RLOO) baselines.
 */
import { ValueError } from '@aha/core';

/** Options for {@link groupAdvantages}. */
export interface GroupAdvantageOptions {
  /** `'std'` (default): divide by the group std + ε (GRPO). `'none'`: mean-centre only (Dr. GRPO). */
  scale?: 'std' | 'none';
  /** Added to the std before dividing, so near-constant groups do not blow up. Default 1e-4 (TRL). */
  epsilon?: number;
  /** `'sample'` (default, divide by G − 1, as torch.std / TRL) or `'population'` (divide by G). */
  std?: 'sample' | 'population';
}

/** Per-group statistics of one rollout batch. */
export interface GroupStats {
  /** Number of groups (prompts). */
  groups: number;
  /** Mean reward of each group. */
  means: number[];
  /** Std of each group (the same kind `groupAdvantages` divides by). */
  stds: number[];
  /** Indices of groups whose rewards are all equal: they carry no learning signal (DAPO's dynamic sampling drops them). */
  zeroVarianceGroups: number[];
  /** zeroVarianceGroups.length / groups. */
  zeroVarianceShare: number;
}

function checkRewards(fn: string, rewards: readonly number[], groupSize: number): void {
  if (!Number.isInteger(groupSize) || groupSize < 1) {
    throw new ValueError(`${fn}: groupSize must be an integer >= 1, got ${groupSize}`);
  }
  if (rewards.length % groupSize !== 0) {
    throw new ValueError(
      `${fn}: rewards.length (${rewards.length}) is not a multiple of groupSize (${groupSize}); ` +
        'each prompt needs exactly groupSize rewards',
    );
  }
  for (let i = 0; i < rewards.length; i++) {
    if (!Number.isFinite(rewards[i])) {
      throw new ValueError(
        `${fn}: rewards[${i}] is ${rewards[i]} (group ${Math.floor(i / groupSize)}); rewards must be finite numbers`,
      );
    }
  }
}

function meanStd(rewards: readonly number[], start: number, n: number, kind: 'sample' | 'population') {
  let sum = 0;
  for (let j = 0; j < n; j++) sum += rewards[start + j];
  const mean = sum / n;
  let sq = 0;
  let allEqual = true;
  for (let j = 0; j < n; j++) {
    const d = rewards[start + j] - mean;
    sq += d * d;
    if (rewards[start + j] !== rewards[start]) allEqual = false;
  }
  const denom = kind === 'sample' ? n - 1 : n;
  // A group of one has no sample std; 0 makes its advantage 0, which is what a lone sample deserves.
  const std = denom > 0 ? Math.sqrt(sq / denom) : 0;
  return { mean, std, allEqual };
}

/**
 * Group-relative advantages for a flat list of rewards laid out group by group
 * (`[p0c0, p0c1, …, p0c(G−1), p1c0, …]`).
 *
 * @example groupAdvantages([1, 0, 0, 1], 2) // ≈ [0.7071, −0.7071, −0.7071, 0.7071]
 * @throws ValueError when groupSize < 1, rewards.length is not a multiple of groupSize, or a reward is not finite.
 */
export function groupAdvantages(
  rewards: readonly number[],
  groupSize: number,
  opts: GroupAdvantageOptions = {},
): number[] {
  const scale = opts.scale ?? 'std';
  const epsilon = opts.epsilon ?? 1e-4;
  const kind = opts.std ?? 'sample';
  if (scale !== 'std' && scale !== 'none') {
    throw new ValueError(`groupAdvantages: scale must be 'std' or 'none', got ${String(scale)}`);
  }
  if (!(epsilon >= 0) || !Number.isFinite(epsilon)) {
    throw new ValueError(`groupAdvantages: epsilon must be a finite number >= 0, got ${epsilon}`);
  }
  checkRewards('groupAdvantages', rewards, groupSize);
  const out = new Array<number>(rewards.length);
  for (let start = 0; start < rewards.length; start += groupSize) {
    const { mean, std, allEqual } = meanStd(rewards, start, groupSize, kind);
    for (let j = 0; j < groupSize; j++) {
      // Exactly 0 for constant groups, even with epsilon = 0 (avoids 0/0 = NaN).
      const centred = allEqual ? 0 : rewards[start + j] - mean;
      out[start + j] = scale === 'std' ? (allEqual ? 0 : centred / (std + epsilon)) : centred;
    }
  }
  return out;
}

/** Mean, std and zero-variance groups of a flat reward list (same layout and checks as {@link groupAdvantages}). */
export function groupStats(
  rewards: readonly number[],
  groupSize: number,
  opts: Pick<GroupAdvantageOptions, 'std'> = {},
): GroupStats {
  checkRewards('groupStats', rewards, groupSize);
  const kind = opts.std ?? 'sample';
  const means: number[] = [];
  const stds: number[] = [];
  const zeroVarianceGroups: number[] = [];
  for (let start = 0, g = 0; start < rewards.length; start += groupSize, g++) {
    const { mean, std, allEqual } = meanStd(rewards, start, groupSize, kind);
    means.push(mean);
    stds.push(std);
    if (allEqual) zeroVarianceGroups.push(g);
  }
  const groups = means.length;
  return {
    groups,
    means,
    stds,
    zeroVarianceGroups,
    zeroVarianceShare: groups ? zeroVarianceGroups.length / groups : 0,
  };
}
