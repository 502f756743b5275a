/**
 * Rewards by name for the commands and recipes: the built-in rule rewards of @aha/rewards (DeepSeek-R1 §2.2.2
 * accuracy and format, plus the usual extras) and plugins — a module whose export is a reward made with
 * `defineReward` (as `aha init` scaffolds: `{ "module": "./rewards/concise.ts" }`) or a factory `(options) => Reward`
 * called with the entry's `options` (as examples/reward-plugin exports). TypeScript modules load through tsx when the
 * process has no TypeScript loader (the built CLI). On the built-in addition task, `accuracy` checks the integer sum
 * with the task's own rule (@aha/grpo `verifyAddition`), as the r1-zero recipe does; elsewhere it is `verifyMath` on the
 * `solution` column. Every problem (unknown name, module that does not load, export that is not a reward or factory,
 * options a plain reward cannot take, a factory that throws) is a ConfigError at start, one line per entry.
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

/** Built-in rewards by name; `options` are the reward factory's own (e.g. `{ maxLength }` for `length`). */
export const BUILTIN_REWARDS: Record<string, (setting: RewardSetting, options?: Record<string, unknown>) => Reward> = {
  accuracy: (s, o = {}) =>
    s.task === 'addition' ? accuracyReward({ verify: verifyAddition, answerOnly: false, ...o }) : accuracyReward(o),
  format: (_s, o) => formatReward(o),
  language: (_s, o) => languageConsistencyReward({ language: 'en', name: 'language', ...o }),
  tag_count: (_s, o) => tagCountReward(o),
  length: (_s, o) => lengthReward(o),
  repetition: (_s, o) => repetitionPenaltyReward({ name: 'repetition', ...o }),
  overlong: (s, o) =>
    overlongReward({ maxLength: s.maxNewTokens, cacheLength: Math.max(1, Math.floor(s.maxNewTokens / 4)), ...o }),
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

const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0];

const TS_FILE = /\.[mc]?tsx?$/;

/**
 * Imports a plugin module. A TypeScript file imports as is when the process already has a loader for it (the
 * source CLI runs under tsx); otherwise (the built CLI under plain node) through tsx's `tsImport`.
 */
export async function importPluginModule(file: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(file).href;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (err) {
    if (!TS_FILE.test(file) || (err as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw err;
  }
  let tsImport: (specifier: string, parent: string) => Promise<unknown>;
  try {
    ({ tsImport } = (await import('tsx/esm/api')) as { tsImport: typeof tsImport });
  } catch {
    throw new Error(`${file} is TypeScript and tsx is not installed (npm install -D tsx), or build it to .js`);
  }
  return (await tsImport(url, import.meta.url)) as Record<string, unknown>;
}

/** The reward an entry's export gives: the value itself, or what a factory returns for `options`. */
async function rewardOf(value: unknown, spec: RewardSpec, at: string): Promise<Reward | string> {
  const what = `${spec.module} export "${spec.export}"`;
  if (isReward(value)) {
    if (spec.options !== undefined)
      return `${at}.options: ${what} is a reward, not a factory; it takes no options (export a function (options) => Reward to take them)`;
    return value;
  }
  if (typeof value !== 'function')
    return `${at}.export: ${spec.module} has no export "${spec.export}" that is a reward (defineReward({ name, score })) or a factory (options) => Reward${value === undefined ? '' : ` (it is ${typeof value})`}`;
  let made: unknown;
  try {
    made = await (value as (options?: Record<string, unknown>) => unknown)(spec.options ?? {});
  } catch (err) {
    return `${at}: the factory ${what}(${JSON.stringify(spec.options ?? {})}) threw: ${firstLine(err)}`;
  }
  if (!isReward(made)) return `${at}.export: the factory ${what} returned ${typeof made}, not a reward (defineReward)`;
  return made;
}

/**
 * Resolves reward specs (a config's `rewards`, or names from `--reward`) to rewards.
 * @param key the config key of the list, for messages (`rewards`, `--reward`)
 * @throws ConfigError naming the entry: unknown name, module that does not load, export that is neither a reward nor a
 * factory, options given to a plain reward, a factory that throws, duplicate names
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
    if (spec.name !== undefined && spec.module !== undefined) {
      problems.push(`${at}: give either "name" (built-in) or "module" (your own), not both`);
    } else if (spec.name !== undefined) {
      const make = BUILTIN_REWARDS[spec.name];
      if (!make) {
        problems.push(
          `${at}.name: unknown reward "${spec.name}" (built-in: ${Object.keys(BUILTIN_REWARDS).join(', ')})`,
        );
        continue;
      }
      try {
        out.push({ reward: make(setting, spec.options), weight: spec.weight });
      } catch (err) {
        problems.push(`${at}.options: ${spec.name}: ${firstLine(err)}`);
      }
    } else if (spec.module !== undefined) {
      let mod: Record<string, unknown>;
      try {
        mod = await importPluginModule(spec.module);
      } catch (err) {
        problems.push(`${at}.module: cannot load ${spec.module}: ${firstLine(err)}`);
        continue;
      }
      const reward = await rewardOf(mod[spec.export], spec, at);
      if (typeof reward === 'string') problems.push(reward);
      else out.push({ reward, weight: spec.weight });
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

/**
 * With a `rewards` list each entry carries its weight, so a `grpo.rewardWeights` beside it would be silently unused:
 * a config error.
 */
export function rejectSectionWeights(loaded: {
  config: { rewards: readonly RewardSpec[]; grpo?: unknown };
  source: string;
}): void {
  const grpo = loaded.config.grpo as { rewardWeights?: unknown } | undefined;
  if (loaded.config.rewards.length > 0 && grpo?.rewardWeights !== undefined)
    throw new ConfigError(loaded.source, [
      'grpo.rewardWeights: not used when `rewards` is set; give each entry of `rewards` its `weight` instead',
    ]);
}

/**
 * The config's rewards for a recipe: undefined when the config lists none (the recipe keeps its own), else resolved
 * (an unknown name or a missing module is a ConfigError before anything runs).
 */
export async function configRewards(
  loaded: { config: { rewards: readonly RewardSpec[]; grpo?: unknown }; source: string },
  setting: RewardSetting,
): Promise<ResolvedReward[] | undefined> {
  rejectSectionWeights(loaded);
  if (loaded.config.rewards.length === 0) return undefined;
  return resolveRewards(loaded.config.rewards, setting, loaded.source);
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
