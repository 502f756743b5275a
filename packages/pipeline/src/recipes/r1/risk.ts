/**
 * Risk control as a data filter of the r1 recipe: @aha/safety's `RiskControl` (keyword filter → model review)
 * decides on each sample, and a sample it blocks is dropped or flagged (kept, with its reason) — in rejection
 * sampling (stage 3, through @aha/distill's generic `filter` hook) and in the alignment stage's prompt set (stage 4).
 * The counts go into the stage outputs and the report. The keyword list is the operator's (`keywords`: a JSON/YAML
 * list file); without one the recipe's own synthetic hazard words (data.ts) are blocked, so the default run shows
 * the filter working on the data it knows. Only `block` decisions count: `review` means "a person should look",
 * which a batch job cannot do, so it passes and is counted apart.
 * Leaves out: a model judge in the recipe (a `RiskControl` with one can be passed in by a caller).
 */
import type { FilterStats, SampleFilter } from '@aha/distill';
import { KeywordFilter, loadKeywordList, RiskControl } from '@aha/safety';
import { z } from 'zod';
import { HAZARD_WORDS } from './data.js';

/** The `risk` setting of the rejection and alignment stages. */
export const RiskFilterSchema = z
  .strictObject({
    mode: z
      .enum(['drop', 'flag', 'off'])
      .default('flag')
      .describe("What a sample risk control blocks becomes: 'drop' (left out), 'flag' (kept, counted), 'off'."),
    keywords: z
      .string()
      .min(1)
      .optional()
      .describe("A keyword list file (JSON or YAML, @aha/safety's format); default: the recipe's hazard words."),
  })
  .describe('Risk control (keyword filter → model review) as a data filter.');
export type RiskFilterSettings = z.output<typeof RiskFilterSchema>;

/** What the filter did in a stage (the report's "Risk control" table). */
export type RiskFilterCounts = FilterStats & { reviewed: number };

/** The recipe's default keyword list: its synthetic hazard words, blocked. */
export const DEFAULT_RISK_KEYWORDS = {
  categories: [{ id: 'hazard', action: 'block' as const, terms: [...HAZARD_WORDS], description: 'r1 hazard words' }],
};

/** The risk control of the settings (null when the mode is 'off'). */
export async function riskControlOf(settings: RiskFilterSettings): Promise<RiskControl | null> {
  if (settings.mode === 'off') return null;
  const list = settings.keywords ? await loadKeywordList(settings.keywords) : DEFAULT_RISK_KEYWORDS;
  return new RiskControl({ filter: new KeywordFilter(list) });
}

/** A row as a dialogue for review: the prompt's turns, then the completion as the turn being decided on. */
const asDialogue = (prompt: unknown, completion?: string) => {
  const turns =
    typeof prompt === 'string'
      ? [{ role: 'user', content: prompt }]
      : (prompt as { role: string; content: string }[]).map((m) => ({ role: m.role, content: m.content }));
  return completion === undefined ? turns : [...turns, { role: 'assistant', content: completion }];
};

/**
 * A `SampleFilter` for rejection sampling backed by `risk`: reviews each dialogue (the prompt, then the completion
 * as the turn being decided on); a `block` is the reason. `counts.reviewed` counts `review` decisions (passed).
 */
export function riskSampleFilter(risk: RiskControl, counts: { reviewed: number } = { reviewed: 0 }): SampleFilter {
  return async (samples, { signal }) => {
    const out: (string | null)[] = [];
    for (const s of samples) {
      const r = await risk.review(asDialogue(s.prompt, s.completion), { signal });
      if (r.decision === 'review') counts.reviewed++;
      out.push(r.decision === 'block' ? `risk control: ${r.why}` : null);
    }
    return out;
  };
}

/**
 * Filters data rows with `risk`: the prompt (and the completion, when the row has one: SFT data) is reviewed, and a
 * blocked row is dropped ('drop') or kept and counted ('flag'; the row is unchanged, so rewards and SFT see the same
 * columns). Used on the alignment stage's prompts and on the general SFT answers of stage 3.
 */
export async function filterRows<R extends { prompt: unknown; completion?: unknown }>(
  rows: readonly R[],
  risk: RiskControl | null,
  mode: RiskFilterSettings['mode'],
  signal?: AbortSignal,
): Promise<{ rows: R[]; counts: RiskFilterCounts }> {
  const on = risk !== null && mode !== 'off';
  const counts: RiskFilterCounts = {
    mode: on ? mode : 'off',
    checked: 0,
    blocked: 0,
    dropped: 0,
    flagged: 0,
    reviewed: 0,
  };
  if (!on) return { rows: [...rows], counts };
  const out: R[] = [];
  for (const row of rows) {
    const completion = typeof row.completion === 'string' ? row.completion : undefined;
    const r = await risk.review(asDialogue(row.prompt, completion), { signal });
    counts.checked++;
    if (r.decision === 'review') counts.reviewed++;
    if (r.decision === 'block') {
      counts.blocked++;
      if (mode === 'drop') {
        counts.dropped++;
        continue;
      }
      counts.flagged++;
    }
    out.push(row);
  }
  return { rows: out, counts };
}
