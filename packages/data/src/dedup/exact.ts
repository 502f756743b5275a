/**
 * Exact deduplication: a record whose normalised text (NFKC, lower case, whitespace collapsed, trimmed) hashes like
 * an earlier one is dropped. SHA-256 truncated to 128 bits keeps the seen set at ~100 bytes per distinct record; a
 * collision at that width is negligible at corpus scale. Reports the duplicate groups (first record's id, copies).
 * Leaves out: cross-run dedup against an existing corpus (feed its hashes through `restore`).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { type DataRecord, drop, KEEP, type StepOutcome, type SyncStep } from '../record.js';

/** The text normal form both dedup steps compare. */
export function normalizeForDedup(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** 128-bit hex hash of the normalised text. */
export function textHash(text: string): string {
  return createHash('sha256').update(normalizeForDedup(text)).digest('hex').slice(0, 32);
}

export const ExactDedupStepSchema = z
  .strictObject({
    type: z.literal('exact-dedup'),
    name: z.string().default('exact-dedup').describe('Step name in the stats.'),
    maxClustersReported: z.number().int().min(0).default(100).describe('Duplicate groups listed in the report.'),
  })
  .describe('Exact deduplication on a hash of the normalised text.');
export type ExactDedupStepConfig = z.input<typeof ExactDedupStepSchema>;

/** The exact-dedup step. */
export function exactDedupStep(config: Omit<ExactDedupStepConfig, 'type'> = {}): SyncStep {
  const c = ExactDedupStepSchema.parse({ ...config, type: 'exact-dedup' });
  const first = new Map<string, string>(); // hash → id of the first record
  const clusters = new Map<string, number>(); // first id → copies dropped
  let delta: [string, string][] = [];
  let dupDelta: [string, number][] = [];
  return {
    name: c.name,
    process(record: DataRecord): StepOutcome {
      const h = textHash(record.text);
      const firstId = first.get(h);
      if (firstId === undefined) {
        first.set(h, record.id);
        delta.push([h, record.id]);
        return KEEP;
      }
      clusters.set(firstId, (clusters.get(firstId) ?? 0) + 1);
      dupDelta.push([firstId, 1]);
      return drop('exact-duplicate');
    },
    report() {
      let duplicates = 0;
      for (const n of clusters.values()) duplicates += n;
      const groups = [...clusters.entries()]
        .slice(0, c.maxClustersReported)
        .map(([id, copies]) => ({ first: id, size: copies + 1 }));
      return { distinct: first.size, groups: clusters.size, duplicates, clusters: groups };
    },
    checkpoint() {
      const d = { seen: delta, dups: dupDelta };
      delta = [];
      dupDelta = [];
      return d;
    },
    restore(deltas) {
      for (const d of deltas as { seen: [string, string][]; dups: [string, number][] }[]) {
        for (const [h, id] of d.seen) first.set(h, id);
        for (const [id, n] of d.dups) clusters.set(id, (clusters.get(id) ?? 0) + n);
      }
    },
  };
}
