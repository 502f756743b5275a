/**
 * Rewards by name for the commands: the built-in rule rewards of @aha/rewards (DeepSeek-R1 §2.2.2 accuracy and
 * format, plus the usual extras) and plugins — a module exporting a reward made with `defineReward`, as `aha init`
 * scaffolds (`{ "module": "./rewards/concise.ts" }` in a config's `rewards`). On the built-in addition task,
 * `accuracy` checks the integer sum with the task's own rule (@aha/grpo `verifyAddition`), as the r1-zero recipe
 * does; elsewhere it is `verifyMath` on the `solution` column. Leaves out: reward options in the config (a plugin can set any).
 */
import { pathToFileURL } from 'node:url';
import { verifyAddition } from '@aha/grpo';
import {
  accuracyReward,
  formatReward,
  languageConsistencyReward,
  lengthReward,
  overlongReward,
  type Reward,
  repetitionPenaltyReward,
  tagCountReward,
} from '@aha/rewards';
import { ConfigError } from '../config/errors.js';
import type { RewardSpec } from '../config/schema.js';

/** What a built-in reward may depend on. */
export interface RewardSetting {
  /** The built-in task the data comes from, if any (changes what `accuracy` checks). */
  task?: string;
  /** Longest completion in tokens (the `overlong` reward's L_max). */
  maxNewTokens: number;
}

/** Built-in rewards by name. */
export const BUILTIN_REWARDS: Record<string, (setting: RewardSetting) => Reward> = {
  accuracy: (s) =>
    s.task === 'addition' ? accuracyReward({ verify: verifyAddition, answerOnly: false }) : accuracyReward(),
  format: () => formatReward(),
  language: () => languageConsistencyReward({ language: 'en', name: 'language' }),
  tag_count: () => tagCountReward(),
  length: () => lengthReward(),
  repetition: () => repetitionPenaltyReward({ name: 'repetition' }),
  overlong: (s) =>
    overlongReward({ maxLength: s.maxNewTokens, cacheLength: Math.max(1, Math.floor(s.maxNewTokens / 4)) }),
};

/** A resolved reward term: the reward and its weight wᵢ in r = Σ wᵢ·rᵢ. */
export interface ResolvedReward {
  reward: Reward;
  weight: number;
}

const isReward = (value: unknown): value is Reward =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Reward).name === 'string' &&
  typeof (value as Reward).score === 'function';

/**
 * Resolves reward specs (a config's `rewards`, or names from `--reward`) to rewards.
 * @param key the config key of the list, for messages (`rewards`, `--reward`)
 * @throws ConfigError naming the entry: unknown name, module that does not load or exports no reward, duplicate name
 */
export async function resolveRewards(
  specs: readonly RewardSpec[],
  setting: RewardSetting,
  source: string,
  key = 'rewards',
): Promise<ResolvedReward[]> {
  const problems: string[] = [];
  const out: ResolvedReward[] = [];
  for (const [i, spec] of specs.entries()) {
    const at = `${key}[${i}]`;
    if (spec.name !== undefined) {
      const make = BUILTIN_REWARDS[spec.name];
      if (!make) {
        problems.push(
          `${at}.name: unknown reward "${spec.name}" (built-in: ${Object.keys(BUILTIN_REWARDS).join(', ')})`,
        );
        continue;
      }
      out.push({ reward: make(setting), weight: spec.weight });
    } else if (spec.module !== undefined) {
      let mod: Record<string, unknown>;
      try {
        mod = (await import(pathToFileURL(spec.module).href)) as Record<string, unknown>;
      } catch (err) {
        problems.push(`${at}.module: cannot load ${spec.module}: ${(err as Error).message.split('\n')[0]}`);
        continue;
      }
      const value = mod[spec.export];
      if (!isReward(value)) {
        problems.push(
          `${at}.export: ${spec.module} has no export "${spec.export}" that is a reward (defineReward({ name, score }))`,
        );
        continue;
      }
      out.push({ reward: value, weight: spec.weight });
    }
  }
  const seen = new Set<string>();
  for (const { reward } of out) {
    if (seen.has(reward.name)) problems.push(`${key}: two rewards are named "${reward.name}"; names must be unique`);
    seen.add(reward.name);
  }
  if (problems.length) throw new ConfigError(source, problems);
  return out;
}

/** The R1-Zero default when a config lists no rewards: accuracy + format, equal weights. */
export const DEFAULT_REWARDS: RewardSpec[] = [
  { name: 'accuracy', export: 'default', weight: 1 },
  { name: 'format', export: 'default', weight: 1 },
];

/** `--reward accuracy,format` → specs. */
export function rewardSpecsOf(list: string): RewardSpec[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((name) => ({ name, export: 'default', weight: 1 }));
}
