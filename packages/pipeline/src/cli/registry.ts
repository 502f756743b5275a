/**
 * The registry behind the `aha` commands that run training: recipes (`aha run <recipe>`) and the single-stage
 * commands (`aha train grpo|sft|rm`, `aha generate`, `aha eval`). The CLI parses arguments, loads and validates the
 * config, sets up progress and output; a handler does the work. Packages that own a trainer register it here, so
 * the CLI never imports a trainer directly and a command without a handler says so instead of failing obscurely.
 */
import type { LoadedConfig } from '../config/load.js';
import type { ProgressReporter } from '../progress/reporter.js';

/** What every handler gets besides its input. */
export interface CommandContext {
  /** True under `--json`: write nothing to stdout yourself; return what to print. */
  json: boolean;
  /** Live progress (stderr; silent under `--json`). */
  progress: ProgressReporter;
  /** A message for the user (stderr, through the progress display). */
  log(message: string): void;
  /** The working directory the command was run from. */
  cwd: string;
}

/**
 * Key of the text a command prints instead of its `key: value` lines (a table, the completions). A symbol, so
 * `--json` output (JSON.stringify) leaves it out.
 */
export const HUMAN_TEXT: unique symbol = Symbol.for('aha.humanText');

/** What a recipe or command returns; printed as JSON under `--json`. */
export interface CommandResult {
  /** What to print without `--json`, instead of the `key: value` lines. */
  [HUMAN_TEXT]?: string;
  /** The run folder written (checkpoints, `metrics.jsonl`); the CLI then writes `report.html` there. */
  runDir?: string;
  /** Anything else worth printing (final accuracy, paths, counts). */
  [key: string]: unknown;
}

/** Runs a whole recipe (R1-Zero, R1, distillation) from a validated config. */
export type RecipeHandler = (input: LoadedConfig, context: CommandContext) => Promise<CommandResult | undefined>;

/** The single-stage commands whose handlers are registered by the packages that implement them. */
export const COMMANDS = ['train grpo', 'train sft', 'train rm', 'train pretrain', 'generate', 'eval'] as const;
export type CommandName = (typeof COMMANDS)[number];

/** Input of a single-stage command: the validated config (defaults + file + flags) and the raw flags. */
export interface CommandInput {
  config: LoadedConfig;
  /** The command's own flags as parsed (e.g. `prompt`, `maxNewTokens` for generate). */
  options: Record<string, unknown>;
}
export type CommandHandler = (input: CommandInput, context: CommandContext) => Promise<CommandResult | undefined>;

interface Registered<H> {
  handler: H;
  description: string;
}

const recipes = new Map<string, Registered<RecipeHandler>>();
const commands = new Map<CommandName, Registered<CommandHandler>>();

/**
 * Makes `aha run <name>` (and `"recipe": "<name>"` in a config) run `handler`. Registering a name again replaces it.
 * @param name recipe name, lowercase words joined by `-` (e.g. `r1-zero`)
 */
export function registerRecipe(name: string, handler: RecipeHandler, options: { description?: string } = {}): void {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(name)) {
    throw new TypeError(`registerRecipe: name "${name}" must be lowercase words joined by "-" (e.g. "r1-zero")`);
  }
  recipes.set(name, { handler, description: options.description ?? '' });
}

/** The handler registered for a recipe, if any. */
export function getRecipe(name: string): RecipeHandler | undefined {
  return recipes.get(name)?.handler;
}

/** Registered recipes with their descriptions, sorted by name. */
export function listRecipes(): { name: string; description: string }[] {
  return [...recipes.entries()]
    .map(([name, r]) => ({ name, description: r.description }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Makes a single-stage command (`train grpo`, `generate`, ...) run `handler`. */
export function registerCommand(
  name: CommandName,
  handler: CommandHandler,
  options: { description?: string } = {},
): void {
  if (!COMMANDS.includes(name))
    throw new TypeError(`registerCommand: unknown command "${name}" (one of ${COMMANDS.join(', ')})`);
  commands.set(name, { handler, description: options.description ?? '' });
}

/** The handler registered for a command, if any. */
export function getCommand(name: CommandName): CommandHandler | undefined {
  return commands.get(name)?.handler;
}

/** Removes every registration (tests). */
export function clearRegistry(): void {
  recipes.clear();
  commands.clear();
}
