/**
 * The `from-scratch` recipe: the whole road from raw text to an R1-Zero model, in miniature. Stages (stages.ts, so
 * a rerun skips finished ones and resumes the interrupted one):
 *  1. `corpus`: a synthetic raw corpus made here: pages of addition examples with column traces in the shipped base
 *     model's format (`12+34=<think>2+4=6 1+3=4</think><answer>46</answer>`), plus planted problems — e-mail
 *     addresses and phone numbers (PII), exact copies, near copies (a page plus one line), junk pages, and harmful
 *     pages (a keyword list written beside the corpus).
 *  2. `clean`: @aha/data's `cleanDataset` (pii → content → quality → exact-dedup → near-dedup) with @aha/safety's
 *     keyword filter as the content classifier, as `aha data clean` does.
 *  3. `pretrain`: @aha/distill's PretrainTrainer on the cleaned text (one document per line): a fresh tiny
 *     DeepSeek-V3 (MLA + MoE + MTP), the byte-level tokenizer with <think>/<answer>; the model is saved with a
 *     base-model.json (task + held-out greedy accuracy), the record `runR1Zero` reads.
 *  4. `r1-zero`: `runR1Zero` from that model (its own stages in `<runDir>/r1-zero`).
 *  5. `report`: report.html: the pretraining curves (the report writer), the cleaning counts per step as a table, and
 *     held-out accuracy before and after GRPO (the GRPO curves are in r1-zero/report.html).
 * Full-size defaults (FromScratchSchema): 300 pages × 8 examples, a 4-layer model (hidden 96, 8 experts, 1 MTP
 * module), 400 pretraining steps of 8 × 128 tokens, then the r1-zero defaults. Leaves out: a real web corpus, a
 * tokenizer trained on the corpus, and early stopping of pretraining in an accuracy band (makeBaseModel does that).
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createByteLevelTokenizer, createModel, type DeepseekV3ConfigInput, deepseekV3ParamCount } from '@aha/core';
import { cleanDataset, listInputFiles, readRecords } from '@aha/data';
import { PretrainConfigSchema, PretrainTrainer } from '@aha/distill';
import { additionCompletion, additionProblems, createRng } from '@aha/grpo';
import { z } from 'zod';
import { safetyKeywordClassifier } from '../../commands/data-clean.js';
import { ConfigError } from '../../config/errors.js';
import type { LoadedConfig } from '../../config/load.js';
import { parseSection, rejectUnusedSections } from '../../config/section.js';
import { escapeHtml } from '../../report/escape.js';
import { METRICS_FILE, REPORT_FILE, writeReport } from '../../report/write.js';
import { evaluateGreedy } from '../base-model/evaluate.js';
import { BASE_MODEL_CONFIG, heldOutProblems, TaskOptionsSchema } from '../base-model/pretrain.js';
import { pct, type RecipeContext, type RecipeResult, withCtrlC } from '../context.js';
import { R1ZeroGrpoSchema, R1ZeroSettingsSchema, R1ZeroTaskSchema, runR1Zero } from '../r1-zero.js';
import { defineStage, StageInterruptedError, stageRunner } from '../stages.js';

/** How many of each planted problem the corpus holds. */
const PlantSchema = z.number().int().min(1);

/** The synthetic raw corpus. */
export const CorpusSchema = z
  .strictObject({
    pages: z.number().int().min(1).default(300).describe('Clean pages of addition examples.'),
    examplesPerPage: z.number().int().min(2).default(8).describe('Addition examples per page, one per line.'),
    pii: PlantSchema.default(20).describe('Pages with an e-mail address and a phone number added.'),
    exactDuplicates: PlantSchema.default(20).describe('Exact copies of pages.'),
    nearDuplicates: PlantSchema.default(20).describe('Copies of pages with one line added.'),
    junk: PlantSchema.default(20).describe('Junk pages (symbol runs, repeated spam).'),
    harmful: PlantSchema.default(10).describe('Pages with a line the keyword list blocks.'),
  })
  .describe('The synthetic raw corpus the recipe cleans and pretrains on.');

/** The recipe's own settings (config section `fromScratch`). */
export const FromScratchSettingsSchema = z
  .strictObject({
    corpus: CorpusSchema.prefault({}),
    modelConfig: z
      .record(z.string(), z.unknown())
      .default({ num_hidden_layers: 4, num_nextn_predict_layers: 1, max_position_embeddings: 160 })
      .describe("Overrides of the shipped base model's architecture (config.json keys) for the fresh model."),
    trainProblems: R1ZeroSettingsSchema.shape.trainProblems,
    evalEvery: R1ZeroSettingsSchema.shape.evalEvery,
  })
  .describe('from-scratch recipe settings that are not trainer settings: the corpus and the model.');

/** The full-size pretraining defaults (keys of the `pretrain` section: PretrainConfig). */
export const FROM_SCRATCH_PRETRAIN_DEFAULTS = {
  seqLength: 128,
  batchSize: 8,
  maxSteps: 400,
  learningRate: 3e-3,
  warmupSteps: 20,
  checkpointEvery: 50,
};

/** The recipe's settings in code. */
export const FromScratchSchema = z.strictObject({
  ...FromScratchSettingsSchema.shape,
  task: R1ZeroTaskSchema.default({}),
  pretrain: z.record(z.string(), z.unknown()).default({}).describe('PretrainConfig keys over the recipe defaults.'),
  grpo: z.record(z.string(), z.unknown()).default({}).describe('GRPO settings as written (r1-zero defaults).'),
});
export type FromScratchOptions = z.input<typeof FromScratchSchema>;

/** The keyword list the content step uses (one blocked category). */
const RISK_LIST = { version: 1, categories: [{ id: 'weapons', action: 'block', terms: ['bomb', 'nerve agent'] }] };

/** The cleaning config: every planted problem has a step that finds it. */
export const FROM_SCRATCH_CLEAN_CONFIG = {
  steps: [
    { type: 'pii' },
    { type: 'content', lists: ['risk.json'] },
    {
      type: 'quality',
      // Addition pages are not English prose: keep only the rules that junk fails (symbols, repeated n-grams).
      c4: false,
      gopher: { minWords: 5, minMeanWordLength: 0, maxMeanWordLength: 1000, minAlphaWords: 0, minStopWords: 0 },
    },
    { type: 'exact-dedup' },
    // Word 3-gram shingles: a page plus one added line stays above 0.7 Jaccard; distinct pages share almost none.
    { type: 'near-dedup', shingleSize: 3, threshold: 0.7 },
  ],
  output: { shardRecords: 1000 },
};

const corpusStage = defineStage({
  name: 'corpus',
  description: 'The synthetic raw corpus with planted PII, duplicates, junk and harmful pages.',
  config: z.object({ corpus: CorpusSchema, task: TaskOptionsSchema, seed: z.number().int() }),
  async run(_input: Record<string, never>, { corpus: c, task, seed }, ctx) {
    // Pages of their own for the PII and harmful plants: copies of clean pages would be near duplicates too.
    const total = c.pages + c.pii + c.harmful;
    const problems = additionProblems({
      count: total * c.examplesPerPage,
      seed,
      split: 'train',
      minDigits: task.minDigits,
      maxDigits: task.maxDigits,
      pad: task.pad,
    });
    const all = Array.from({ length: total }, (_, i) =>
      problems
        .slice(i * c.examplesPerPage, (i + 1) * c.examplesPerPage)
        .map((p) => p.prompt + additionCompletion(p))
        .join('\n'),
    );
    const pages = all.slice(0, c.pages);
    const spare = all.slice(c.pages);
    const rng = createRng(seed + 7);
    const docs = [...pages];
    for (let i = 0; i < c.pii; i++) {
      const phone = `+1 415 555 01${String(i % 100).padStart(2, '0')}`;
      docs.push(`${spare[i]}\nQuestions: write to student${i}@example.org or call ${phone}.`);
    }
    for (let i = 0; i < c.exactDuplicates; i++) docs.push(pages[i % pages.length]);
    for (let i = 0; i < c.nearDuplicates; i++)
      docs.push(`${pages[(i * 7 + 3) % pages.length]}\nMore practice tomorrow.`);
    for (let i = 0; i < c.junk; i++) {
      docs.push(i % 2 ? `### ### ### ### $$$ ### ${i} ### ### ###` : `buy now buy now buy now buy now buy now ${i}`);
    }
    for (let i = 0; i < c.harmful; i++) docs.push(`${spare[c.pii + i]}\nHow to build a bomb at home, step ${i}.`);
    // A fixed shuffle, so planted pages are spread through the shards like real ones.
    for (let i = docs.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [docs[i], docs[j]] = [docs[j], docs[i]];
    }
    const raw = join(ctx.workDir, 'raw');
    await mkdir(raw, { recursive: true });
    await writeFile(join(raw, 'corpus.jsonl'), `${docs.map((text) => JSON.stringify({ text })).join('\n')}\n`);
    await writeFile(join(ctx.workDir, 'risk.json'), JSON.stringify(RISK_LIST));
    return { dir: ctx.workDir, raw, documents: docs.length };
  },
});

/** Counts of one cleaning step. */
export interface CleanCounts {
  step: string;
  seen: number;
  kept: number;
  edited: number;
  dropped: number;
  reasons: Record<string, number>;
}

const cleanStage = defineStage({
  name: 'clean',
  description: "@aha/data's cleanDataset with @aha/safety's keyword filter.",
  config: z.object({ clean: z.record(z.string(), z.unknown()) }),
  async run(input: { dir: string; raw: string }, { clean }, ctx) {
    const out = join(ctx.workDir, 'out');
    const stats = await cleanDataset(clean as never, {
      in: input.raw,
      out,
      baseDir: input.dir,
      classifier: safetyKeywordClassifier,
      signal: ctx.signal,
    });
    const steps: CleanCounts[] = stats.steps.map((s) => ({
      step: s.name,
      seen: s.seen,
      kept: s.kept,
      edited: s.edited,
      dropped: s.dropped,
      reasons: s.reasons,
    }));
    return { out, input: stats.input.records, output: stats.output.records, steps };
  },
});

const pretrainStage = defineStage({
  name: 'pretrain',
  description: 'PretrainTrainer on the cleaned text: a fresh MLA + MoE + MTP model, saved as a base model.',
  config: z.object({
    model: z.record(z.string(), z.unknown()),
    pretrain: z.record(z.string(), z.unknown()),
    task: TaskOptionsSchema,
    seed: z.number().int(),
  }),
  async run(input: { out: string }, { model: overrides, pretrain, task, seed }, ctx) {
    const texts: string[] = [];
    // Pages are the unit of cleaning (dedup compares pages); each line is a pretraining document, so every example
    // ends with EOS as in the shipped base model's text (otherwise the model runs on into the next example).
    for await (const r of readRecords(await listInputFiles(join(input.out, 'data')))) {
      for (const line of r.text.split('\n')) if (line.trim()) texts.push(line);
    }
    const config = { ...BASE_MODEL_CONFIG, ...overrides } as DeepseekV3ConfigInput;
    const model = createModel(config, { seed });
    const tokenizer = createByteLevelTokenizer();
    const trainer = new PretrainTrainer({
      model,
      tokenizer,
      texts,
      config: { ...pretrain, seed, outputDir: ctx.workDir },
    });
    let last: { step: number; loss: number } | undefined;
    for await (const report of trainer.train({ signal: ctx.signal, onEvent: (e) => ctx.log?.(e.message) })) {
      last = { step: report.step, loss: report.loss };
    }
    const modelDir = join(ctx.workDir, 'final');
    if (ctx.signal.aborted) return { modelDir, steps: last?.step ?? 0, documents: texts.length };
    const held = await evaluateGreedy(model, heldOutProblems(task), {
      maxNewTokens: task.maxNewTokens,
      keepSamples: 0,
    });
    await rm(modelDir, { recursive: true, force: true });
    await model.save(modelDir, { dtype: 'F32' });
    await tokenizer.save(modelDir);
    // The record runR1Zero reads: the task the corpus was made for and the model's measured held-out accuracy.
    const record = {
      format: 'aha-base-model-1',
      description: 'Pretrained from scratch on the cleaned synthetic corpus by the from-scratch recipe.',
      parameters: deepseekV3ParamCount(model.config),
      steps: last?.step ?? 0,
      task,
      heldOutAccuracy: held.accuracy,
      correct: held.correct,
      total: held.total,
    };
    await writeFile(join(modelDir, 'base-model.json'), `${JSON.stringify(record, null, 2)}\n`);
    return {
      modelDir,
      steps: last?.step ?? 0,
      loss: last?.loss,
      documents: texts.length,
      sequences: trainer.corpus?.sequences.length ?? 0,
      heldOutAccuracy: held.accuracy,
    };
  },
});

const r1ZeroStage = (run: { log?: (m: string) => void }) =>
  defineStage({
    name: 'r1-zero',
    description: 'runR1Zero from the pretrained model.',
    config: z.object({
      r1Zero: z.record(z.string(), z.unknown()),
      seed: z.number().int(),
    }),
    async run(input: { modelDir: string }, { r1Zero, seed }, ctx) {
      const r = await runR1Zero(r1Zero, {
        baseModel: input.modelDir,
        runDir: ctx.workDir,
        seed,
        signal: ctx.signal,
        log: run.log,
      });
      return {
        runDir: ctx.workDir,
        finalModel: r.finalModel as string | undefined,
        grpoSteps: (r.grpoSteps as number | undefined) ?? 0,
        accuracyBefore: r.accuracyBefore,
        accuracyAfter: r.accuracyAfter,
        report: r.report,
      };
    },
  });

/** The cleaning counts as an HTML table. */
export function cleaningTable(steps: readonly CleanCounts[], input: number, output: number): string {
  const rows = steps
    .map(
      (s) =>
        `<tr><td>${escapeHtml(s.step)}</td><td>${s.seen}</td><td>${s.kept}</td><td>${s.edited}</td><td>${s.dropped}</td>` +
        `<td>${escapeHtml(
          Object.entries(s.reasons)
            .map(([r, n]) => `${r} ${n}`)
            .join(', '),
        )}</td></tr>`,
    )
    .join('\n');
  return (
    `<section id="cleaning"><h2>Data cleaning</h2><p>${input} raw documents → ${output} kept for pretraining.</p>\n` +
    '<table><thead><tr><th>step</th><th>seen</th><th>kept</th><th>edited</th><th>dropped</th><th>reasons</th></tr></thead>' +
    `<tbody>\n${rows}\n</tbody></table></section>`
  );
}

const reportStage = defineStage({
  name: 'report',
  description: 'report.html: pretraining curves, cleaning counts, accuracy before and after GRPO.',
  config: z.object({ title: z.string() }),
  async run(
    input: {
      clean: { input: number; output: number; steps: CleanCounts[] };
      grpo: { accuracyBefore?: number; accuracyAfter?: number; grpoSteps: number; report?: string };
    },
    { title },
    ctx,
  ) {
    const file = join(ctx.runDir, REPORT_FILE);
    const r = writeReport(join(ctx.runDir, 'pretrain', METRICS_FILE), file, { title });
    const html = await readFile(r.file, 'utf8');
    const g = input.grpo;
    const grpo =
      `<section id="grpo"><h2>R1-Zero GRPO from this model</h2><p>Held-out greedy accuracy ${pct(g.accuracyBefore ?? 0)} → ` +
      `${pct(g.accuracyAfter ?? 0)} after ${g.grpoSteps} GRPO steps; curves in <a href="r1-zero/report.html">` +
      'r1-zero/report.html</a>.</p></section>';
    const extra = `${cleaningTable(input.clean.steps, input.clean.input, input.clean.output)}\n${grpo}\n`;
    // The cleaning table sits above the training curves: what the model was trained on, then how training went.
    const at = html.indexOf('<h2');
    await writeFile(
      file,
      at >= 0 ? html.slice(0, at) + extra + html.slice(at) : html.replace('</body>', `${extra}</body>`),
    );
    return { file, steps: r.steps };
  },
});

/** What `runFromScratch` returns. */
export interface FromScratchResult extends RecipeResult {
  runDir: string;
  interrupted?: boolean;
  seconds: number;
}

/** Runs the recipe's stages in order in `run.runDir` (see the file comment). */
export async function runFromScratch(
  options: FromScratchOptions,
  run: { runDir: string; seed?: number; signal?: AbortSignal; log?: (message: string) => void },
): Promise<FromScratchResult> {
  const t0 = performance.now();
  const o = FromScratchSchema.parse(options);
  const seed = run.seed ?? 0;
  const log = run.log ?? (() => {});
  const signal = run.signal ?? new AbortController().signal;
  const task = TaskOptionsSchema.parse(o.task);
  const pretrain = { ...FROM_SCRATCH_PRETRAIN_DEFAULTS, ...o.pretrain };
  // Checked here, before any stage runs, so a misspelt key fails fast.
  PretrainConfigSchema.strict().parse({ ...pretrain, seed });
  const stage = stageRunner(run.runDir, { signal, log });
  const seconds = () => Math.round((performance.now() - t0) / 1000);
  try {
    const corpus = await stage(corpusStage, {}, { corpus: o.corpus, task, seed });
    const clean = await stage(cleanStage, corpus, { clean: FROM_SCRATCH_CLEAN_CONFIG });
    log(`cleaning: ${clean.input} raw documents → ${clean.output} kept`);
    const pre = await stage(pretrainStage, { out: clean.out }, { model: o.modelConfig, pretrain, task, seed });
    log(`pretrained ${pre.steps} steps; held-out greedy accuracy ${pct(pre.heldOutAccuracy ?? 0)}`);
    const r1Zero = { task: o.task, grpo: o.grpo, trainProblems: o.trainProblems, evalEvery: o.evalEvery };
    const grpo = await stage(r1ZeroStage({ log }), { modelDir: pre.modelDir }, { r1Zero, seed });
    const report = await stage(
      reportStage,
      { clean, grpo },
      { title: `aha from scratch: clean → pretrain → R1-Zero (held-out ${pct(grpo.accuracyAfter ?? 0)})` },
    );
    return {
      runDir: run.runDir,
      cleaned: { input: clean.input, output: clean.output },
      pretrainSteps: pre.steps,
      pretrainLoss: pre.loss,
      grpoSteps: grpo.grpoSteps,
      accuracyBefore: grpo.accuracyBefore,
      accuracyAfter: grpo.accuracyAfter,
      finalModel: grpo.finalModel,
      report: report.file,
      seconds: seconds(),
    };
  } catch (err) {
    if (err instanceof StageInterruptedError) {
      log(err.message);
      return { runDir: run.runDir, interrupted: true, seconds: seconds() };
    }
    throw err;
  }
}

/** The recipe's options from a config file: `fromScratch`, `pretrain` (PretrainConfig keys), `grpo`, `eval`. */
export function fromScratchOptionsFromConfig(loaded: Pick<LoadedConfig, 'config' | 'source'>): FromScratchOptions {
  rejectUnusedSections(loaded, 'from-scratch', ['fromScratch', 'pretrain', 'grpo', 'eval']);
  // The recipe builds its model; a starting model named at the top level would be ignored.
  if (loaded.config.model !== 'tiny') {
    throw new ConfigError(loaded.source, [
      `model: the from-scratch recipe pretrains a fresh model (fromScratch.modelConfig), got "${loaded.config.model}"`,
    ]);
  }
  const config = loaded.config as Record<string, unknown>;
  parseSection(loaded, 'pretrain', PretrainConfigSchema.strict());
  parseSection(loaded, 'grpo', R1ZeroGrpoSchema);
  return {
    ...parseSection(loaded, 'fromScratch', FromScratchSettingsSchema),
    task: parseSection(loaded, 'eval', R1ZeroTaskSchema),
    pretrain: (config.pretrain ?? {}) as Record<string, unknown>,
    grpo: (config.grpo ?? {}) as Record<string, unknown>,
  };
}

/** The CLI handler: `aha run from-scratch`. Ctrl-C stops after the current step; a rerun resumes. */
export async function fromScratchRecipe(input: LoadedConfig, ctx: RecipeContext): Promise<FromScratchResult> {
  const options = fromScratchOptionsFromConfig(input);
  return withCtrlC(ctx, async (signal) => {
    const r = await runFromScratch(options, {
      runDir: input.config.outputDir,
      seed: input.config.seed,
      signal,
      log: ctx.log,
    });
    if (r.interrupted) ctx.log(`stopped; run the same command again to resume from ${input.config.outputDir}`);
    return r;
  });
}
