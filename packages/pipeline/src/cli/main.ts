/**
 * The `aha` command line (commander): `run`, `train grpo|sft|rm|pretrain`, `generate`, `eval`, `report`, `init`. It parses
 * flags, loads and checks configs, sets up progress and prints results; the work is done by `writeReport`,
 * `initProject` and the handlers in the registry (trainers register themselves). Exit codes: 0 ok, 1 the command
 * failed while running, 2 usage or config error. `--json` prints one JSON object on stdout, for scripts.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AhaError } from '@aha/core';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import { addDataCommands } from '../commands/data-clean.js';
import { ConfigError } from '../config/errors.js';
import { formatPath, formatZodIssues } from '../config/format-issues.js';
import { fullConfigSchema, RECIPE_CONFIG_RESOLVERS } from '../config/full-schema.js';
import { type LoadedConfig, loadConfig, parseConfig } from '../config/load.js';
import { configJsonSchema } from '../config/schema.js';
import { createProgressReporter } from '../progress/reporter.js';
import { METRICS_FILE, writeReport } from '../report/write.js';
import { registerBuiltins } from './builtins.js';
import { ahaCheckout, initProject, SWITCH_TO_NPM } from './init.js';
import {
  type CommandContext,
  type CommandName,
  type CommandResult,
  getCommand,
  getRecipe,
  HUMAN_TEXT,
  listRecipes,
} from './registry.js';

/** Where the CLI reads and writes; the process by default, buffers in tests. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  cwd: string;
  env: Record<string, string | undefined>;
  /** The config file of the command, once known: named in messages about its keys. */
  configSource?: string;
}

/**
 * Exit codes of the `aha` command, the same for every command (docs/cli.md "Exit codes"; `aha --help`). A first
 * Ctrl-C stops a training run after its step with a checkpoint and exits 0 (`interrupted: true`).
 */
export const EXIT = {
  ok: 0,
  /** The command failed while running (a failing reward stopped the run, a missing file, a crash). */
  failure: 1,
  /** Usage or config error: a bad flag, an unknown or misspelt key, a bad value, an unknown reward; nothing ran. */
  usage: 2,
  /** A second Ctrl-C: exited at once without the checkpoint of the step in progress. */
  interrupted: 130,
  /** A run that did not answer Ctrl-C (its event loop blocked) was killed by the CLI's supervisor. */
  killed: 137,
} as const;

/** The exit-code table as printed by `aha --help` and written in docs/cli.md. */
export const EXIT_CODES_HELP = `Exit codes (every command):
  0    ok (also a run stopped by one Ctrl-C after its step, with a checkpoint: rerun to resume)
  1    the command failed while running (e.g. a reward kept failing, a file is missing)
  2    usage or config error: bad flag, unknown/misspelt key, bad value, unknown reward or module; nothing ran
  130  a second Ctrl-C: exited without the checkpoint of the step in progress
  137  the run did not answer Ctrl-C (blocked) and was killed`;

/** A command that exists but has no handler registered in this build. */
class NotAvailableError extends AhaError {
  constructor(what: string) {
    super('state', `${what} is not available: no handler is registered for it in this build of @aha/pipeline`);
  }
}

function packageVersion(): string {
  // Walk up from this file: the same code runs from src/cli/ and from dist/ (where chunks may sit elsewhere).
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@aha/pipeline') return pkg.version ?? '0.0.0';
    }
    dir = dirname(dir);
  }
  return '0.0.0';
}

const int = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be an integer, got "${value}"`);
  return n;
};
const float = (name: string) => (value: string) => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new InvalidArgumentError(`${name} must be a number, got "${value}"`);
  return n;
};
const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Flags shared by every command that runs a model: they override the config file's top-level keys. */
function runFlags(cmd: Command): Command {
  return cmd
    .option('-m, --model <dirOrPreset>', 'model directory (Hugging Face layout) or preset name')
    .option('-o, --output <dir>', 'run folder for checkpoints, metrics.jsonl and report.html')
    .option('--seed <n>', 'random seed', int('--seed'));
}

/** Defaults + config file (when given) + flags, validated; relative paths against the file's folder or the cwd. */
function configFrom(
  file: string | undefined,
  flags: Record<string, unknown>,
  io: CliIo,
  recipe?: string,
  options: { outputIsRunDir?: boolean } = {},
): LoadedConfig {
  const outputDir = options.outputIsRunDir === false ? undefined : flags.output;
  const overrides = { recipe, model: flags.model, outputDir, seed: flags.seed };
  if (file) {
    io.configSource = resolve(io.cwd, file);
    return loadConfig(file, { cwd: io.cwd, overrides });
  }
  const value = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return parseConfig(value, recipe ? `recipe ${recipe}` : 'command line', io.cwd);
}

/** The config file of a stage command: `--config <file>` or the positional argument (not both). */
function configFileOf(positional: string | undefined, flags: Record<string, unknown>): string | undefined {
  const flag = flags.config as string | undefined;
  if (flag && positional && flag !== positional) {
    throw new ConfigError('command line', [`--config ${flag} and ${positional}: give the config file once`]);
  }
  return flag ?? positional;
}

/** `aha run x`: a config file when it names a .json or an existing file; otherwise a recipe name. */
const isConfigPath = (arg: string, cwd: string) => {
  if (arg.endsWith('.json')) return true;
  try {
    return statSync(resolve(cwd, arg)).isFile();
  } catch {
    return false;
  }
};

/** `aha run --help`: the config keys with their `.describe()` texts and defaults, and the registered recipes. */
function configHelp(): string {
  // With the registered stage schemas, so the help says which sections are checked key by key.
  const schema = configJsonSchema(fullConfigSchema()) as {
    properties: Record<string, { description?: string; default?: unknown }>;
  };
  const rows = Object.entries(schema.properties)
    .filter(([key]) => key !== '$schema')
    .map(([key, p]) => {
      const def = p.default === undefined ? '' : ` (default: ${JSON.stringify(p.default)})`;
      return `  ${key.padEnd(10)} ${p.description ?? ''}${def}`;
    });
  const recipes = listRecipes();
  const list = recipes.length
    ? recipes.map((r) => `  ${r.name.padEnd(10)} ${r.description}`).join('\n')
    : '  (none registered in this build)';
  return `\nConfig file keys (JSON Schema: @aha/pipeline/schema/aha-config.schema.json):\n${rows.join('\n')}\n\nRecipes:\n${list}\n`;
}

/** Builds the program; one per invocation so state never leaks between runs (tests call this many times). */
function buildProgram(io: CliIo, done: (result: CommandResult & { command: string }) => void): Command {
  const program = new Command('aha');
  const context = (cmd: Command): CommandContext => {
    const json = Boolean(cmd.optsWithGlobals().json);
    const progress = createProgressReporter({ stream: io.stderr, env: io.env, mode: json ? 'silent' : 'auto' });
    return {
      json,
      progress,
      cwd: io.cwd,
      log: (message) => (json ? undefined : progress.log(message)),
    };
  };

  program
    .description('aha: the DeepSeek-R1 recipe in TypeScript — train, generate, evaluate and report.')
    .version(packageVersion(), '-v, --version')
    .option('--json', 'print one JSON object on stdout (for scripts); progress is not shown')
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .addHelpText(
      'after',
      `
${EXIT_CODES_HELP}
Examples:
  aha init my-r1 && cd my-r1 && npm install
  aha run aha.config.json
  aha run r1-zero --model tiny --output runs/zero
  aha report runs/zero`,
    );

  runFlags(
    program
      .command('run')
      .description('run a recipe (r1-zero, r1, distill, ...) from its name or a config file')
      .argument('<recipe|config.json>', 'a registered recipe name, or a JSON config file')
      .option('--no-report', 'do not write report.html into the run folder at the end')
      .option('--print-config', 'print the fully resolved config (every default filled in) as JSON and exit')
      .addHelpText('after', () => configHelp()),
  ).action(async (target: string, flags: Record<string, unknown>, cmd: Command) => {
    const loaded = isConfigPath(target, io.cwd)
      ? configFrom(target, flags, io)
      : configFrom(undefined, flags, io, target);
    const handler = getRecipe(loaded.config.recipe);
    if (!handler) {
      const known = listRecipes().map((r) => r.name);
      throw new ConfigError(loaded.source, [
        `recipe: unknown recipe "${loaded.config.recipe}" (${known.length ? `registered: ${known.join(', ')}` : 'no recipe is registered in this build'})`,
      ]);
    }
    if (flags.printConfig) {
      // The top-level keys as loaded (paths absolute), then the recipe's sections as its trainers will get them.
      const resolver = RECIPE_CONFIG_RESOLVERS[loaded.config.recipe];
      const {
        grpo: _g,
        sft: _s,
        rm: _r,
        rejection: _j,
        distill: _d,
        pretrain: _p,
        eval: _e,
        r1Zero: _z,
        r1: _1,
        ...top
      } = loaded.config;
      const resolved = { ...top, ...((resolver ? await resolver(loaded) : loaded.config) as object) };
      done({ command: 'run', config: resolved, [HUMAN_TEXT]: `${JSON.stringify(resolved, null, 2)}\n` });
      return;
    }
    const ctx = context(cmd);
    let result: CommandResult | undefined;
    try {
      result = await handler(loaded, ctx);
    } catch (err) {
      ctx.progress.stop();
      // A run that dies at step 900 of 1000 is still worth seeing: report what it logged, then fail.
      const metrics = join(loaded.config.outputDir, METRICS_FILE);
      if (flags.report !== false && existsSync(metrics)) {
        try {
          io.stderr.write(`partial report written: ${writeReport(metrics).file}\n`);
        } catch {}
      }
      throw err;
    }
    ctx.progress.stop();
    const runDir = resolve(io.cwd, result?.runDir ?? loaded.config.outputDir);
    const out: CommandResult & { command: string } = {
      command: 'run',
      recipe: loaded.config.recipe,
      ...result,
      runDir,
    };
    if (flags.report !== false && existsSync(join(runDir, METRICS_FILE))) out.report = writeReport(runDir).file;
    done(out);
  });

  const train = program.command('train').description('run one training stage: grpo, sft, rm or pretrain');
  const stage = (name: 'grpo' | 'sft' | 'rm' | 'pretrain', description: string, example: string) =>
    runFlags(
      train
        .command(name)
        .description(description)
        .argument('[config.json]', 'JSON config file (same as --config)')
        .option('-c, --config <file>', 'JSON config file: model, outputDir, seed, rewards and its section')
        .addHelpText('after', example),
    ).action(async (file: string | undefined, flags: Record<string, unknown>, cmd: Command) =>
      done(await runCommand(`train ${name}`, configFrom(configFileOf(file, flags), flags, io), flags, context(cmd))),
    );
  // Bring-your-own-model flags of grpo / sft: they override the section's dataset, lora and merge keys.
  const byomFlags = (cmd: Command) =>
    cmd
      .option('-d, --dataset <file>', 'JSONL or Parquet dataset (overrides the section\'s "dataset")')
      .option('--lora <spec>', 'train LoRA adapters, e.g. r=16,alpha=32,targets=q_proj,v_proj (saved to adapter/)')
      .option('--merge', 'with --lora: also save the merged model (Hugging Face checkpoint) to final/');
  byomFlags(
    stage(
      'grpo',
      'GRPO reinforcement learning (R1-Zero / R1 reasoning RL) with rule rewards',
      `
The "grpo" section holds the data ("dataset": a JSONL/Parquet file with a prompt column, "columns" to rename
source columns, "goldFormat": raw|gsm8k|math for the solution; or "task": "addition"), "lora" and any
GrpoConfig field (groupSize, promptsPerStep, maxSteps, learningRate, beta, ...; defaults are the paper's, except
that with a task maxCompletionLength is the task's maxNewTokens; every key: docs/config.md). The
top-level "rewards" lists built-in rewards by name and your own modules. Re-running resumes from the newest
checkpoint in the output folder; Ctrl-C stops after the current step with a checkpoint.
Example config:
  { "model": "tiny", "outputDir": "runs/grpo", "rewards": [{ "name": "accuracy" }, { "name": "format" }],
    "grpo": { "task": "addition", "maxSteps": 50, "groupSize": 8, "promptsPerStep": 16, "beta": 0,
              "maxCompletionLength": 40, "learningRate": 0.0007, "checkpointEvery": 5 } }`,
    ),
  );
  byomFlags(
    stage(
      'sft',
      'supervised fine-tuning (cold start, rejection-sampled data, distillation students)',
      `
The "sft" section holds "dataset" (JSONL/Parquet of {prompt, completion}, {messages} or {prompt, chosen} rows;
"columns" renames source columns; "lora": {r, alpha, targets} trains adapters) and any SFT setting
(learningRate, lrSchedule, epochs, maxSteps, batchSize, maxLength, packing, completionOnlyLoss, ...).
Every key: docs/config.md.
Example config:
  { "model": "runs/base", "outputDir": "runs/sft", "sft": { "dataset": "data/sft.jsonl", "epochs": 2, "learningRate": 1e-4 } }`,
    ),
  );
  stage(
    'pretrain',
    'pretraining on raw text: next-token + multi-token-prediction loss, MoE routing-bias updates',
    `
The "pretrain" section holds "data" (a .txt/.md file, a JSONL/Parquet file with a "text" column, or a folder of
them, e.g. the output of aha data clean), optionally "modelConfig" (a fresh DeepSeek-V3 instead of "model") and
"tokenizer" ("byte-level" or a folder), and any pretraining setting (seqLength, batchSize, mtpWeight,
routingBiasGamma, balanceAlpha, learningRate, maxSteps, ...). Every key: docs/config.md.
Example config:
  { "outputDir": "runs/pretrain", "pretrain": { "data": "clean/", "seqLength": 128, "maxSteps": 200,
    "modelConfig": { "vocab_size": 263, "hidden_size": 64, "num_hidden_layers": 2, "num_nextn_predict_layers": 1 } } }`,
  );
  stage(
    'rm',
    'train a reward model (pairwise helpfulness or point-wise safety)',
    `
The "rm" section holds "dataset" (JSONL of {prompt, chosen, rejected} pairs or {prompt, response, label} rows;
the objective follows the first row unless "objective" is set) and any reward-model training setting.
Example config:
  { "model": "tiny", "outputDir": "runs/rm", "rm": { "dataset": "data/pairs.jsonl", "maxSteps": 100 } }`,
  );

  // generate and eval write no run folder: --output is their own output file.
  const modelFlags = (cmd: Command) =>
    cmd
      .option('-c, --config <file>', "JSON config file (model, seed, rewards and the command's section)")
      .option('-m, --model <dirOrPreset>', 'model directory (Hugging Face layout) or preset name (tiny)')
      .option('--seed <n>', 'random seed of the sampling', int('--seed'));
  modelFlags(
    program
      .command('generate')
      .description('sample completions from a model')
      .argument('[config.json]', 'JSON config file (its "generate" section; same as --config)')
      .option('-p, --prompt <text>', 'a prompt; repeat for several', collect)
      .option('-i, --input <jsonl>', 'JSONL file of prompts (a "prompt" column: text or chat messages)')
      .option('--max-new-tokens <n>', 'tokens to generate at most', int('--max-new-tokens'))
      .option('-t, --temperature <t>', 'sampling temperature, 0 = greedy', float('--temperature'))
      .option('--top-p <p>', 'nucleus sampling p (1 = off)', float('--top-p'))
      .option('--top-k <k>', 'top-k sampling (0 = off)', int('--top-k'))
      .option('-n, --n <n>', 'completions per prompt', int('--n'))
      .option('-o, --output <file>', 'write one JSONL row per completion here instead of printing')
      .option(
        '--no-label',
        'do not print the explicit "AI-generated" label line (on by default; the implicit label in --json/--output stays)',
      ),
  ).action(async (file: string | undefined, flags: Record<string, unknown>, cmd: Command) =>
    done(
      await runCommand(
        'generate',
        configFrom(configFileOf(file, flags), flags, io, undefined, { outputIsRunDir: false }),
        flags,
        context(cmd),
      ),
    ),
  );

  modelFlags(
    program
      .command('eval')
      .description('evaluate a model on a dataset or task: accuracy and mean reward per reward, pass@n')
      .argument('[config.json]', 'JSON config file (its "eval" section; same as --config)')
      .option('-d, --dataset <path>', 'JSONL dataset with prompt and solution columns')
      .option('--task <name>', "a built-in task's held-out problems instead of a dataset: addition")
      .option('-r, --reward <names>', "comma-separated built-in rewards (default: the config's, else accuracy,format)")
      .option('-n, --n <n>', 'completions per prompt (pass@n when > 1; sampled at temperature 1)', int('--n'))
      .option('--max-new-tokens <n>', 'tokens to generate at most', int('--max-new-tokens'))
      .option('-t, --temperature <t>', 'sampling temperature (default 0 = greedy with n = 1)', float('--temperature'))
      .option('--limit <n>', 'evaluate only the first n prompts', int('--limit')),
  ).action(async (file: string | undefined, flags: Record<string, unknown>, cmd: Command) =>
    done(
      await runCommand(
        'eval',
        configFrom(configFileOf(file, flags), flags, io, undefined, { outputIsRunDir: false }),
        flags,
        context(cmd),
      ),
    ),
  );

  addDataCommands(program, { context, done, env: io.env });

  program
    .command('report')
    .description('write the HTML training report of a run folder (or a metrics.jsonl file)')
    .argument('<runDir>', 'run folder containing metrics.jsonl, or the file itself')
    .addOption(new Option('-o, --out <file>', 'where to write (default: report.html beside metrics.jsonl)'))
    .option('--title <text>', 'page title')
    .action(async (runDir: string, flags: { out?: string; title?: string }) => {
      const result = writeReport(resolve(io.cwd, runDir), flags.out ? resolve(io.cwd, flags.out) : undefined, {
        title: flags.title,
      });
      done({ command: 'report', ...result });
    });

  program
    .command('init')
    .description('scaffold a project: package.json, aha.config.json, a custom reward, README')
    .argument('<dir>', 'folder to create (must be empty unless --force)')
    .option('--force', 'write into a non-empty folder')
    .option('--name <name>', 'package name (default: the folder name)')
    .option('--recipe <name>', 'recipe the config runs', 'r1-zero')
    .option('--no-link', 'depend on the published @aha packages instead of linking the aha checkout this CLI runs from')
    .action(async (dir: string, flags: { force?: boolean; name?: string; recipe: string; link: boolean }) => {
      const root = resolve(io.cwd, dir);
      const { link, ...rest } = flags;
      const checkout = link ? ahaCheckout() : undefined;
      const files = initProject(root, { ...rest, version: packageVersion(), checkout: checkout ?? null });
      done({ command: 'init', dir: root, files, linkedTo: checkout });
    });

  return program;
}

async function runCommand(
  name: CommandName,
  config: LoadedConfig,
  flags: Record<string, unknown>,
  ctx: CommandContext,
): Promise<CommandResult & { command: string }> {
  const handler = getCommand(name);
  if (!handler) throw new NotAvailableError(`aha ${name}`);
  try {
    return { command: name, ...(await handler({ config, options: flags }, ctx)) };
  } finally {
    ctx.progress.stop();
  }
}

function printHuman(result: CommandResult & { command: string }, io: CliIo): void {
  const { command, ...rest } = result;
  if (command === 'report') {
    io.stdout.write(`report written: ${rest.file} (${rest.steps} steps, ${(rest.charts as string[]).length} charts)\n`);
    if (rest.skipped) io.stderr.write(`warning: ${rest.skipped} unusable lines of ${rest.metricsFile} skipped\n`);
    return;
  }
  if (command === 'init') {
    io.stdout.write(`created ${rest.dir}:\n${(rest.files as string[]).map((f) => `  ${f}`).join('\n')}\n`);
    if (rest.linkedTo)
      io.stdout.write(
        `@aha/pipeline and @aha/rewards are linked to the checkout ${rest.linkedTo} (file: dependencies); once ` +
          `they are published, switch with: ${SWITCH_TO_NPM(packageVersion())}\n`,
      );
    io.stdout.write(`next: cd ${rest.dir} && npm install && npm run train\n`);
    return;
  }
  const text = result[HUMAN_TEXT];
  if (text !== undefined) {
    io.stdout.write(text);
    return;
  }
  for (const [key, value] of Object.entries(rest)) {
    if (value !== undefined) io.stdout.write(`${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}\n`);
  }
}

/**
 * Runs the `aha` command line.
 * @param argv arguments after the program name (`process.argv.slice(2)`)
 * @returns the exit code: 0 ok, 1 runtime failure, 2 usage or config error
 */
export async function runCli(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const full: CliIo = {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    cwd: io.cwd ?? process.cwd(),
    env: io.env ?? process.env,
  };
  registerBuiltins();
  const json = argv.includes('--json');
  let result: (CommandResult & { command: string }) | undefined;
  const program = buildProgram(full, (r) => {
    result = r;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    return reportError(err, full, json);
  }
  if (result) {
    if (json) full.stdout.write(`${JSON.stringify({ ok: true, ...result })}\n`);
    else printHuman(result, full);
  }
  return EXIT.ok;
}

/** Issue lines; an issue parsed without `reportInput` has no value to show, so its own message is used. */
const zodProblems = (issues: readonly z.core.$ZodIssue[]) =>
  issues.flatMap((issue) =>
    'input' in issue ? formatZodIssues([issue]) : [`${formatPath(issue.path)}: ${issue.message}`],
  );

const isZodError = (err: unknown): err is z.ZodError =>
  err instanceof z.ZodError ||
  (err instanceof Error && err.name === 'ZodError' && Array.isArray((err as z.ZodError).issues));

function reportError(err: unknown, io: CliIo, json: boolean): number {
  if (err instanceof CommanderError) {
    // Asked-for help and version are commander's way to stop after printing. Help shown because a subcommand is
    // missing (`aha train`) has code 'commander.help' and is a usage error.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') {
      return EXIT.ok;
    }
    if (json) writeJsonError(io, 'usage', err.message.replace(/^error: /, ''));
    return EXIT.usage;
  }
  // A schema checked later (a recipe's or trainer's own) still names the file and the key, never a raw zod dump.
  if (isZodError(err)) err = new ConfigError(io.configSource ?? 'config', zodProblems(err.issues));
  const code = err instanceof ConfigError || AhaError.is(err, 'config') ? EXIT.usage : EXIT.failure;
  const message = err instanceof Error ? err.message : String(err);
  if (json) {
    writeJsonError(
      io,
      AhaError.is(err) ? err.code : 'failure',
      message,
      err instanceof ConfigError ? err.problems.map((p) => `${err.source}: ${p}`) : undefined,
    );
  } else {
    io.stderr.write(`aha: ${code === EXIT.usage ? 'config error' : 'error'}:\n`);
    io.stderr.write(`${message.replace(/^/gm, '  ')}\n`);
    if (code === EXIT.failure && !AhaError.is(err) && err instanceof Error && err.stack) {
      io.stderr.write(`${err.stack.split('\n').slice(1, 6).join('\n')}\n`);
    }
  }
  return code;
}

function writeJsonError(io: CliIo, code: string, message: string, problems?: string[]): void {
  io.stdout.write(`${JSON.stringify({ ok: false, error: { code, message, ...(problems ? { problems } : {}) } })}\n`);
}

/** Entry point of the `aha` binary. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  return runCli(argv);
}
