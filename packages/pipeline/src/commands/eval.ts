/**
 * `aha eval`: generate from a model on a dataset (a JSONL file of `{ prompt, solution }` rows) or a built-in task's
 * held-out problems (`--task addition`: the set the r1-zero recipe measures), score the completions with rewards
 * (`--reward accuracy,format`, else the config's `rewards`, else accuracy + format) and report per reward the mean
 * over the samples it applies to, the accuracy (mean of the `accuracy` reward) and, with `-n` > 1, pass@n. Greedy by
 * default (temperature 0, deterministic); `-n` > 1 samples at temperature 1 unless told otherwise.
 * Leaves out: per-sample output files and LLM judges (use @aha/safety for those).
 */
import { resolve } from 'node:path';
import type { ChatMessage } from '@aha/core';
import { type Sample, scoreRewards } from '@aha/rewards';
import { z } from 'zod';
import { type CommandContext, type CommandInput, type CommandResult, HUMAN_TEXT } from '../cli/registry.js';
import { ConfigError } from '../config/errors.js';
import { additionTaskOf, loadModelAndTokenizer, readRows, resolveModelDir, TASKS, taskHeldOutRows } from './common.js';
import { settingsFrom } from './generate.js';
import { DEFAULT_REWARDS, resolveRewards, rewardSpecsOf } from './rewards.js';

/** Evaluation settings (the `eval` section; flags of the same name override it). */
export const EvalSettingsSchema = z
  .strictObject({
    dataset: z.string().min(1).optional().describe('JSONL file of { prompt, solution } rows.'),
    task: z.enum(TASKS).optional().describe("A built-in task's held-out problems instead of a dataset: addition."),
    n: z.number().int().positive().default(1).describe('Completions per prompt (pass@n when > 1).'),
    temperature: z
      .number()
      .nonnegative()
      .optional()
      .describe('Sampling temperature; default 0 (greedy) with n = 1, else 1.'),
    topP: z.number().gt(0).max(1).default(1).describe('Nucleus sampling p (1 = off).'),
    maxNewTokens: z
      .number()
      .int()
      .positive()
      .optional()
      .describe("Longest completion in tokens; default the task's setting, else 256."),
    limit: z.number().int().positive().optional().describe('Evaluate only the first N prompts.'),
    batchSize: z.number().int().positive().default(64).describe('Prompts per generate call (memory only).'),
    // The r1-zero recipe's task overrides live in the same section.
    minDigits: z.number().int().min(1).optional().describe('addition: fewest digits per operand.'),
    maxDigits: z.number().int().min(1).optional().describe('addition: most digits per operand.'),
    pad: z.boolean().optional().describe('addition: zero-pad operands to maxDigits.'),
    evalSeed: z.number().int().optional().describe('addition: seed of the held-out problems.'),
    evalProblems: z.number().int().positive().optional().describe('addition: number of held-out problems.'),
  })
  .describe('`aha eval` settings.');

/** One reward's numbers over the evaluation. */
export interface RewardSummary {
  /** Mean over the samples the reward applied to (null values left out). */
  mean: number | null;
  /** Samples it applied to. */
  count: number;
  /** Weight in the total reward. */
  weight: number;
}

/** The handler of `aha eval`. */
export async function evalCommand(input: CommandInput, ctx: CommandContext): Promise<CommandResult> {
  const { config: loaded, options } = input;
  const s = settingsFrom(input, 'eval', EvalSettingsSchema, [
    'dataset',
    'task',
    'n',
    'temperature',
    'maxNewTokens',
    'limit',
  ]) as z.output<typeof EvalSettingsSchema>;
  if (s.dataset !== undefined && s.task !== undefined)
    throw new ConfigError(loaded.source, ['eval: give either --dataset (a file) or --task (built-in), not both']);
  if (s.dataset === undefined && s.task === undefined)
    throw new ConfigError(loaded.source, ['eval: give --dataset <jsonl> or --task addition']);
  const modelDir = resolveModelDir(loaded.config.model, loaded.source, '--model');
  let rows: { prompt: string | ChatMessage[]; [column: string]: unknown }[];
  let maxNewTokens = s.maxNewTokens ?? 256;
  if (s.task !== undefined) {
    const task = await additionTaskOf(modelDir, {
      minDigits: s.minDigits,
      maxDigits: s.maxDigits,
      pad: s.pad,
      evalSeed: s.evalSeed,
      evalProblems: s.evalProblems,
      maxNewTokens: s.maxNewTokens,
    });
    maxNewTokens = task.maxNewTokens;
    rows = taskHeldOutRows(task).map((p) => ({ prompt: p.prompt, solution: p.solution }));
  } else {
    const file = resolve(ctx.cwd, s.dataset!);
    const RowSchema = z.looseObject({
      prompt: z.union([z.string(), z.array(z.object({ role: z.string(), content: z.string() })).min(1)]),
    });
    rows = await readRows(file, RowSchema, loaded.source, 'eval.dataset');
  }
  if (s.limit !== undefined) rows = rows.slice(0, s.limit);
  const specs = options.reward
    ? rewardSpecsOf(options.reward as string)
    : loaded.config.rewards.length
      ? loaded.config.rewards
      : DEFAULT_REWARDS;
  const rewards = await resolveRewards(
    specs,
    { task: s.task, maxNewTokens },
    options.reward ? 'command line' : loaded.source,
    options.reward ? '--reward' : 'rewards',
  );
  const temperature = s.temperature ?? (s.n > 1 ? 1 : 0);
  const { model, tokenizer } = await loadModelAndTokenizer(modelDir);
  ctx.log(`evaluating ${modelDir} on ${rows.length} prompts × ${s.n} (temperature ${temperature})`);
  ctx.progress.start(rows.length, 'eval');
  const samples: Sample[] = [];
  for (let i = 0; i < rows.length; i += s.batchSize) {
    const chunk = rows.slice(i, i + s.batchSize);
    const ids = chunk.map((r) =>
      typeof r.prompt === 'string'
        ? tokenizer.encode(r.prompt)
        : tokenizer.encodeChat(r.prompt, { addGenerationPrompt: true }),
    );
    const gens = await model.generate(ids, {
      maxNewTokens,
      temperature,
      topP: s.topP,
      numReturnSequences: s.n,
      seed: loaded.config.seed + i,
      tokenizer,
    });
    gens.forEach((g, j) => {
      const row = chunk[Math.floor(j / s.n)];
      const text = g.text ?? tokenizer.decode(g.tokens);
      samples.push({
        ...row,
        completion: typeof row.prompt === 'string' ? text : [{ role: 'assistant', content: text }],
        completionTokens: g.tokens.length,
      });
    });
    ctx.progress.update(Math.min(rows.length, i + chunk.length));
  }
  ctx.progress.stop();
  const results = await scoreRewards(
    rewards.map((r) => r.reward),
    samples,
  );
  const summary: Record<string, RewardSummary> = {};
  const total = new Array<number>(samples.length).fill(0);
  results.forEach((result, k) => {
    const values = result.values.filter((v): v is number => v !== null);
    summary[result.name] = {
      mean: values.length ? values.reduce((a, b) => a + b, 0) / values.length : null,
      count: values.length,
      weight: rewards[k].weight,
    };
    result.values.forEach((v, i) => {
      total[i] += (v ?? 0) * rewards[k].weight;
    });
  });
  const accuracyValues = results.find((r) => r.name === 'accuracy')?.values;
  let passAtN: number | undefined;
  if (accuracyValues && s.n > 1) {
    let solved = 0;
    for (let p = 0; p < rows.length; p++) {
      if (accuracyValues.slice(p * s.n, (p + 1) * s.n).some((v) => v === 1)) solved++;
    }
    passAtN = solved / rows.length;
  }
  const result: CommandResult = {
    model: modelDir,
    ...(s.task ? { task: s.task } : { dataset: resolve(ctx.cwd, s.dataset!) }),
    prompts: rows.length,
    n: s.n,
    temperature,
    maxNewTokens,
    accuracy: summary.accuracy?.mean ?? undefined,
    ...(passAtN === undefined ? {} : { [`pass@${s.n}`]: passAtN }),
    rewardMean: samples.length ? total.reduce((a, b) => a + b, 0) / samples.length : null,
    rewards: summary,
  };
  const lines = [`${rows.length} prompts × ${s.n} from ${modelDir} (temperature ${temperature})`];
  for (const [name, r] of Object.entries(summary)) {
    lines.push(`  ${name.padEnd(20)} mean ${r.mean === null ? 'n/a' : r.mean.toFixed(4)}  (${r.count} samples)`);
  }
  if (passAtN !== undefined) lines.push(`  ${`pass@${s.n}`.padEnd(20)} ${passAtN.toFixed(4)}`);
  // Say which accuracy this is: greedy (deterministic) or sampled, on which problems.
  if (result.accuracy !== undefined) {
    const decoding = temperature === 0 ? 'greedy' : `sampled at temperature ${temperature}`;
    const on = s.task ? `held-out ${s.task} problems` : 'the dataset';
    lines.push(`accuracy (${decoding}, ${on}): ${((result.accuracy as number) * 100).toFixed(1)}%`);
  }
  result[HUMAN_TEXT] = `${lines.join('\n')}\n`;
  return result;
}
