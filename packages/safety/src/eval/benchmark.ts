/**
 * The safety benchmark runner: questions × (bare + jailbreak templates) → responses from a model (or any generate
 * function) → a Judge labels each dialogue safe / unsafe / refusal → counts and rates per category, per template
 * and overall (DeepSeek-R1's safety evaluation: an LLM judge with those three labels, jailbreak templates combined
 * with unsafe questions). Rates are over the items the judge labelled; judge failures are counted as `error` and
 * left out of the denominators, so a flaky judge shows up instead of skewing the rates.
 *
 * The judge sees the original question as the user turn by default (`judgeSees: 'question'`), not the templated
 * prompt, so a template's wording cannot talk the judge into a label; `'prompt'` shows the real dialogue instead.
 *
 * Leaves out: multiple samples per prompt (pass@k-style unsafe rates), per-item retries of the model, confidence
 * intervals (counts are reported so they can be computed).
 */
import type { ChatMessage, GenerateOptions, Tokenizer } from '@aha/core';
import { z } from 'zod';
import { SafetyError } from '../errors.js';
import { JUDGE_LABELS, type Judge, type JudgeLabel } from '../risk/judge.js';
import type { GenerativeModel } from '../risk/model-judge.js';
import { applyTemplate, type JailbreakTemplate, parseTemplate } from './templates.js';

/** One benchmark question. */
export const SafetyQuestionSchema = z.object({
  id: z.string().min(1).describe('Question id (unique).'),
  question: z.string().min(1).describe('The question asked (placeholder text in aha’s own fixtures).'),
  category: z.string().min(1).default('uncategorized').describe('Harm category, for the per-category table.'),
});
export type SafetyQuestion = z.input<typeof SafetyQuestionSchema>;

/** Produces one response per prompt (a model, a remote server, a stand-in). */
export type Responder = (prompts: readonly string[], options: { signal?: AbortSignal }) => Promise<string[]>;

/** Options of {@link runSafetyBenchmark}. */
export interface SafetyBenchmarkOptions {
  questions: readonly SafetyQuestion[];
  /** Jailbreak templates to cross with every question (default: none). */
  templates?: readonly JailbreakTemplate[];
  /** Also ask every question bare, as template id 'bare' (default true). */
  includeBare?: boolean;
  respond: Responder;
  judge: Judge;
  /** Prompts per `respond` call (default 8). */
  batchSize?: number;
  /** Judgements in flight at once (default 4). */
  judgeConcurrency?: number;
  /** What the judge sees as the user turn: the original question (default) or the templated prompt. */
  judgeSees?: 'question' | 'prompt';
  signal?: AbortSignal;
  /** Called after each judged item. */
  onProgress?: (done: number, total: number) => void;
}

/** One question × template. */
export interface SafetyItem {
  questionId: string;
  category: string;
  /** 'bare' for the question on its own. */
  templateId: string;
  prompt: string;
  response: string;
  /** The judge's label, or 'error' when the judge failed. */
  label: JudgeLabel | 'error';
  /** The judge's reason, or its error message. */
  reason: string;
}

/** Label counts of a group and the rates over the labelled items. */
export interface LabelCounts {
  /** Items in the group. */
  total: number;
  /** Items the judge labelled (total − error). */
  judged: number;
  safe: number;
  unsafe: number;
  refusal: number;
  error: number;
  /** count / judged per label; null when nothing was labelled. `rates.unsafe` is the attack success rate. */
  rates: Record<JudgeLabel, number | null>;
}

/** What a benchmark run returns (and `writeSafetyReport` writes). */
export interface SafetyReport {
  judge: string;
  createdAt: string;
  overall: LabelCounts;
  byCategory: Record<string, LabelCounts>;
  byTemplate: Record<string, LabelCounts>;
  items: SafetyItem[];
}

export const BARE_TEMPLATE_ID = 'bare';

/** Count labels and compute the rates. */
export function countLabels(items: readonly Pick<SafetyItem, 'label'>[]): LabelCounts {
  const c = { safe: 0, unsafe: 0, refusal: 0, error: 0 };
  for (const it of items) c[it.label]++;
  const judged = items.length - c.error;
  const rate = (n: number) => (judged > 0 ? n / judged : null);
  return {
    total: items.length,
    judged,
    ...c,
    rates: { safe: rate(c.safe), unsafe: rate(c.unsafe), refusal: rate(c.refusal) },
  };
}

function groupBy(items: readonly SafetyItem[], key: (i: SafetyItem) => string): Record<string, LabelCounts> {
  const groups = new Map<string, SafetyItem[]>();
  for (const it of items) {
    const k = key(it);
    groups.set(k, [...(groups.get(k) ?? []), it]);
  }
  return Object.fromEntries([...groups].map(([k, v]) => [k, countLabels(v)]));
}

/** Run the benchmark. Throws when `respond` fails (no partial report); judge failures become 'error' items. */
export async function runSafetyBenchmark(options: SafetyBenchmarkOptions): Promise<SafetyReport> {
  const { respond, judge, signal } = options;
  const questions = options.questions.map((q, i) => {
    const r = SafetyQuestionSchema.safeParse(q);
    if (!r.success) {
      throw new SafetyError(
        'invalid',
        `runSafetyBenchmark: questions[${i}]: ${r.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`,
      );
    }
    return r.data;
  });
  if (questions.length === 0) throw new SafetyError('invalid', 'runSafetyBenchmark: no questions');
  const dupQ = questions.find((q, i) => questions.findIndex((p) => p.id === q.id) !== i);
  if (dupQ) throw new SafetyError('invalid', `runSafetyBenchmark: question id '${dupQ.id}' appears twice`);
  const templates = (options.templates ?? []).map(parseTemplate);
  const ids = [...((options.includeBare ?? true) ? [BARE_TEMPLATE_ID] : []), ...templates.map((t) => t.id)];
  const dupT = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dupT) throw new SafetyError('invalid', `runSafetyBenchmark: template id '${dupT}' appears twice (or is 'bare')`);
  if (ids.length === 0)
    throw new SafetyError('invalid', 'runSafetyBenchmark: includeBare is false and no templates given');
  const batchSize = positiveInt('batchSize', options.batchSize ?? 8);
  const concurrency = positiveInt('judgeConcurrency', options.judgeConcurrency ?? 4);
  if (typeof respond !== 'function') throw new SafetyError('invalid', 'runSafetyBenchmark: respond must be a function');

  // question-major order: all templates of question 1, then question 2, …
  const cases = questions.flatMap((q) => [
    ...((options.includeBare ?? true) ? [{ q, templateId: BARE_TEMPLATE_ID, prompt: q.question }] : []),
    ...templates.map((t) => ({ q, templateId: t.id, prompt: applyTemplate(t, q.question) })),
  ]);

  const responses: string[] = [];
  for (let i = 0; i < cases.length; i += batchSize) {
    if (signal?.aborted) throw new SafetyError('aborted', 'runSafetyBenchmark: aborted', {}, { cause: signal.reason });
    const prompts = cases.slice(i, i + batchSize).map((c) => c.prompt);
    const out = await respond(prompts, { signal });
    if (!Array.isArray(out) || out.length !== prompts.length || out.some((r) => typeof r !== 'string')) {
      throw new SafetyError(
        'malformed',
        `runSafetyBenchmark: respond returned ${Array.isArray(out) ? `${out.length} items` : typeof out} for ${prompts.length} prompts (want one string each)`,
      );
    }
    responses.push(...out);
  }

  const items: SafetyItem[] = new Array(cases.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < cases.length) {
      const k = next++;
      const c = cases[k];
      const dialogue: ChatMessage[] = [
        { role: 'user', content: options.judgeSees === 'prompt' ? c.prompt : c.q.question },
        { role: 'assistant', content: responses[k] },
      ];
      let label: SafetyItem['label'];
      let reason: string;
      try {
        const v = await judge.judge(dialogue, { signal });
        if (!JUDGE_LABELS.includes(v?.label))
          throw new SafetyError(
            'malformed',
            `${judge.name}: label ${JSON.stringify(v?.label)} is not one of ${JUDGE_LABELS.join('/')}`,
          );
        label = v.label;
        reason = v.reason;
      } catch (err) {
        if (signal?.aborted || SafetyError.isSafetyError(err, 'aborted')) throw err;
        label = 'error';
        reason = (err as Error).message;
      }
      items[k] = {
        questionId: c.q.id,
        category: c.q.category,
        templateId: c.templateId,
        prompt: c.prompt,
        response: responses[k],
        label,
        reason,
      };
      options.onProgress?.(++done, cases.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, cases.length) }, worker));

  return {
    judge: judge.name,
    createdAt: new Date().toISOString(),
    overall: countLabels(items),
    byCategory: groupBy(items, (i) => i.category),
    byTemplate: groupBy(items, (i) => i.templateId),
    items,
  };
}

/** Options of {@link modelResponder}. */
export interface ModelResponderOptions {
  model: GenerativeModel;
  tokenizer: Pick<Tokenizer, 'encodeChat' | 'decode'>;
  /** A system message before each question. */
  systemPrompt?: string;
  /** Passed to `model.generate` (default: greedy, 128 new tokens). */
  generate?: Omit<GenerateOptions, 'numReturnSequences' | 'tokenizer'>;
}

/** A {@link Responder} that asks a local model through its chat template. */
export function modelResponder(options: ModelResponderOptions): Responder {
  const { model, tokenizer } = options;
  const gen: GenerateOptions = { temperature: 0, maxNewTokens: 128, ...options.generate, numReturnSequences: 1 };
  return async (prompts) => {
    const ids = prompts.map((p) =>
      tokenizer.encodeChat(
        [
          ...(options.systemPrompt ? [{ role: 'system', content: options.systemPrompt }] : []),
          { role: 'user', content: p },
        ],
        { addGenerationPrompt: true },
      ),
    );
    const out = await model.generate(ids, gen);
    return out.map((g) => g.text ?? tokenizer.decode(g.tokens, { skipSpecialTokens: true }));
  };
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1)
    throw new SafetyError('invalid', `runSafetyBenchmark: ${name} must be an integer >= 1, got ${v}`);
  return v;
}
