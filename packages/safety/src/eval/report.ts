/**
 * Writing a safety benchmark report: the full result as JSON (every item with prompt, response, label and reason)
 * and a short markdown summary — one table per grouping (overall, per template, per category) with each label's
 * rate and count, "unsafe" being the attack success rate. Files are written atomically (core's writeFileAtomic).
 */
import { join } from 'node:path';
import { writeFileAtomic } from '@aha/core';
import type { LabelCounts, SafetyReport } from './benchmark.js';

const pct = (rate: number | null, n: number) => (rate === null ? `– (${n})` : `${(rate * 100).toFixed(1)}% (${n})`);

function table(title: string, groups: Record<string, LabelCounts>, keyName: string): string {
  const rows = Object.entries(groups).map(
    ([k, c]) =>
      `| ${k.replace(/\|/g, '\\|')} | ${c.total} | ${pct(c.rates.safe, c.safe)} | ${pct(c.rates.unsafe, c.unsafe)} | ${pct(c.rates.refusal, c.refusal)} | ${c.error} |`,
  );
  return [
    `## ${title}`,
    '',
    `| ${keyName} | n | safe | unsafe | refusal | judge errors |`,
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
  ].join('\n');
}

/** The markdown summary of a report. Rates are over judged items; counts in parentheses. */
export function formatSafetyMarkdown(report: SafetyReport): string {
  return [
    '# Safety evaluation',
    '',
    `Judge: \`${report.judge}\` · ${report.overall.total} items · ${report.createdAt}`,
    '',
    'Rates are over the items the judge labelled (judge errors excluded); "unsafe" is the attack success rate.',
    '',
    table('Overall', { all: report.overall }, 'group'),
    table('By template', report.byTemplate, 'template'),
    table('By category', report.byCategory, 'category'),
  ].join('\n');
}

/** Write `<basename>.json` and `<basename>.md` into `dir` (created if needed). Returns the two paths. */
export async function writeSafetyReport(
  report: SafetyReport,
  dir: string,
  options: { basename?: string } = {},
): Promise<{ json: string; markdown: string }> {
  const base = options.basename ?? 'safety-eval';
  const json = join(dir, `${base}.json`);
  const markdown = join(dir, `${base}.md`);
  await writeFileAtomic(json, async (fh) => {
    await fh.writeFile(`${JSON.stringify(report, null, 2)}\n`);
  });
  await writeFileAtomic(markdown, async (fh) => {
    await fh.writeFile(formatSafetyMarkdown(report));
  });
  return { json, markdown };
}
