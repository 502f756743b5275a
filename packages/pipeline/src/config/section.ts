/**
 * Checking one section of a run config (`grpo`, `sft`, `r1Zero`, ...) against its schema, the same way for every
 * recipe and command: each problem is a `ConfigError` line naming the key inside the section, an unknown key names
 * the closest valid one (`grpo.maxStep: unknown key (did you mean "maxSteps"?)`), and keys that belong at the top
 * level of the file (`seed`, `outputDir`, `model`) are named as such. `rejectUnusedSections` makes a section the
 * chosen recipe does not read an error instead of a silent no-op. Leaves out: merging sections across files.
 */
import type { z } from 'zod';
import { ConfigError } from './errors.js';
import { formatZodIssues } from './format-issues.js';
import type { LoadedConfig } from './load.js';
import { SECTION_KEYS } from './schema.js';

/**
 * Validates one section of a config with `schema`; every problem becomes a line naming the key inside the section.
 * @param value the section (default: `loaded.config[key]`)
 */
export function parseSection<S extends z.ZodType>(
  loaded: Pick<LoadedConfig, 'config' | 'source'>,
  key: string,
  schema: S,
  topLevelKeys: readonly string[] = ['seed', 'outputDir', 'model'],
  value: unknown = (loaded.config as Record<string, unknown>)[key],
): z.output<S> {
  const raw = value ?? {};
  const problems: string[] = [];
  const isObject = typeof raw === 'object' && raw !== null && !Array.isArray(raw);
  if (isObject) {
    for (const k of topLevelKeys) {
      if (k in raw) problems.push(`${key}.${k}: set the top-level "${k}" instead`);
    }
  }
  const rest = isObject ? Object.fromEntries(Object.entries(raw).filter(([k]) => !topLevelKeys.includes(k))) : raw;
  const parsed = schema.safeParse(rest, { reportInput: true });
  if (!parsed.success) problems.push(...formatZodIssues(parsed.error.issues, schema, key.split('.')));
  if (problems.length) throw new ConfigError(loaded.source, problems);
  return (parsed as { data: z.output<S> }).data;
}

/**
 * Throws a `ConfigError` naming every non-empty section of the file that `recipe` does not read (an unused setting
 * is an error, not a no-op).
 */
export function rejectUnusedSections(
  loaded: Pick<LoadedConfig, 'config' | 'source'>,
  recipe: string,
  used: readonly string[],
): void {
  const config = loaded.config as Record<string, unknown>;
  // An empty section sets nothing (a scaffolded `"grpo": {}`), so only one with keys is an error.
  const isEmpty = (v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0;
  const unused = SECTION_KEYS.filter((k) => config[k] !== undefined && !isEmpty(config[k]) && !used.includes(k));
  if (unused.length) {
    throw new ConfigError(
      loaded.source,
      unused.map(
        (k) => `${k}: the ${recipe} recipe does not use this section (it reads: ${used.join(', ') || 'none'})`,
      ),
    );
  }
}
