/**
 * Loading a run config: read the file, parse JSON with a line/column on syntax errors, validate with the config
 * schema (stage sections included where registered), and make paths absolute against the config file's folder, the
 * way tsconfig does, so a run behaves the same from any working directory. Every problem becomes a `ConfigError`
 * line naming the key. Leaves out: JSON5/YAML, environment variable interpolation.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import { ConfigError } from './errors.js';
import { formatZodIssues } from './format-issues.js';
import { type AhaConfig, createConfigSchema } from './schema.js';

/** A validated config and where it came from. */
export interface LoadedConfig {
  config: AhaConfig;
  /** The file as the user named it, or a description such as `recipe r1-zero`. */
  source: string;
  /** Folder that relative paths were resolved against. */
  baseDir: string;
}

/** `Unexpected token } in JSON at position 42` → `line 3, column 5: Unexpected token }`. */
function jsonSyntaxProblem(text: string, err: Error): string {
  const message = err.message.replace(/^JSON\.parse: /, '');
  const at = /at position (\d+)/.exec(message);
  if (!at) return `invalid JSON: ${message}`;
  const pos = Number(at[1]);
  const before = text.slice(0, pos).split('\n');
  const line = before.length;
  const column = before[before.length - 1].length + 1;
  const what = message.replace(/\s*in JSON at position \d+.*$/, '').replace(/\s*\(line \d+ column \d+\)$/, '');
  return `invalid JSON at line ${line}, column ${column}: ${what}`;
}

const looksLikePath = (value: string) => value.startsWith('.') || value.includes('/') || value.includes('\\');

/**
 * Validates a config value (already parsed JSON, or defaults plus command-line values).
 * @param value the raw config object
 * @param source name used in messages
 * @param baseDir folder for relative paths
 * @param schema the config schema (default: with every registered stage schema)
 */
export function parseConfig(
  value: unknown,
  source: string,
  baseDir: string,
  schema: z.ZodType = createConfigSchema(),
): LoadedConfig {
  const parsed = schema.safeParse(value, { reportInput: true });
  if (!parsed.success) throw new ConfigError(source, formatZodIssues(parsed.error.issues, schema));
  const config = parsed.data as AhaConfig;
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  config.outputDir = abs(config.outputDir);
  // A bare name is a preset ("tiny"); anything path-like, or a folder that exists, is a model directory.
  if (looksLikePath(config.model) || existsSync(resolve(baseDir, config.model))) config.model = abs(config.model);
  config.rewards = config.rewards.map((r) => (r.module ? { ...r, module: abs(r.module) } : r));
  return { config, source, baseDir };
}

/**
 * Reads and validates a config file.
 * @param file path to a JSON config (relative to `cwd`)
 * @param options.overrides top-level keys that replace the file's (from command-line flags)
 * @throws ConfigError naming the file, the key and the problem
 */
export function loadConfig(
  file: string,
  options: { cwd?: string; overrides?: Record<string, unknown>; schema?: z.ZodType } = {},
): LoadedConfig {
  const path = resolve(options.cwd ?? process.cwd(), file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(file, [code === 'ENOENT' ? 'file not found' : `cannot read: ${(err as Error).message}`]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(file, [jsonSyntaxProblem(text, err as Error)]);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(file, ['(root): expected a JSON object']);
  }
  const merged = { ...(value as Record<string, unknown>), ...stripUndefined(options.overrides ?? {}) };
  return parseConfig(merged, file, dirname(path), options.schema);
}

function stripUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
}
