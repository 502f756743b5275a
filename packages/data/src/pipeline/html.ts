/**
 * The HTML summary of a cleaning run: totals, a table of keep/edit/drop counts per step with the drop reasons, the
 * balance tables, and a few dropped examples per reason (their PII already masked by the runner). One static page,
 * no scripts; every value from the data is HTML-escaped.
 */
import type { CleanStats } from './run.js';

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const table = (head: string[], rows: (string | number)[][]) =>
  `<table><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(String(c))}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;

const counts = (title: string, c: Record<string, number>) => {
  const rows = Object.entries(c).sort((a, b) => b[1] - a[1]);
  return rows.length ? `<h3>${escapeHtml(title)}</h3>${table(['value', 'records'], rows)}` : '';
};

/** Renders `stats` as a standalone HTML page. */
export function renderCleanSummary(stats: CleanStats, title = 'aha data clean'): string {
  const steps = table(
    ['step', 'type', 'seen', 'kept', 'edited', 'dropped', 'drop reasons'],
    stats.steps.map((s) => [
      s.name,
      s.type,
      s.seen,
      s.kept,
      s.edited,
      s.dropped,
      Object.entries(s.reasons)
        .map(([r, n]) => `${r}: ${n}`)
        .join(', '),
    ]),
  );
  const examples = Object.entries(stats.examples)
    .flatMap(([step, byReason]) =>
      Object.entries(byReason).map(
        ([reason, list]) =>
          `<h3>${escapeHtml(step)} — ${escapeHtml(reason)}</h3>${list
            .map((e) => `<figure><figcaption>${escapeHtml(e.id)}</figcaption><pre>${escapeHtml(e.text)}</pre></figure>`)
            .join('')}`,
      ),
    )
    .join('');
  const b = stats.balance.output;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}pre{white-space:pre-wrap;background:#f6f6f6;padding:.5em}
figure{margin:.5em 0}figcaption{color:#555;font-size:12px}</style></head><body>
<h1>${escapeHtml(title)}${stats.dryRun ? ' (dry run: nothing written)' : ''}</h1>
<p>${escapeHtml(`${stats.input.records} records read from ${stats.input.files.length} files (${(stats.input.textBytes / 1e6).toFixed(2)} MB of text); ${stats.output.records} kept in ${stats.output.shards} shards; ${stats.seconds.toFixed(1)} s.`)}</p>
<h2>Steps</h2>${steps}
<h2>Balance of the kept records</h2>${counts('language', b.language)}${counts('source', b.source)}${Object.entries(
    b.columns,
  )
    .map(([col, c]) => counts(col, c))
    .join('')}
<h2>Balance of the input</h2>${counts('language (unknown: dropped before the language step)', stats.balance.input.language)}${counts('source', stats.balance.input.source)}
<h2>Dropped examples (PII masked)</h2>${examples || '<p>none</p>'}
</body></html>
`;
}
