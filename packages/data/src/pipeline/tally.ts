/**
 * Per-key counts a step reports (categories hit, languages detected), kept the way `cleanDataset` commits and resumes
 * steps: `checkpoint` hands over the counts added since the last shard commit, `absorb` adds a worker's delta, and
 * `restore` rebuilds the totals from the committed deltas of a resumed run.
 */
export interface Tally {
  add(key: string, n?: number): void;
  /** The totals so far (a fresh object after `restore`: read it when reporting, do not keep it). */
  totals(): Record<string, number>;
  checkpoint(): Record<string, number>;
  absorb(delta: unknown): void;
  restore(deltas: unknown): void;
}

export function createTally(): Tally {
  let totals: Record<string, number> = {};
  let delta: Record<string, number> = {};
  const add = (key: string, n = 1) => {
    totals[key] = (totals[key] ?? 0) + n;
    delta[key] = (delta[key] ?? 0) + n;
  };
  return {
    add,
    totals: () => totals,
    checkpoint() {
      const d = delta;
      delta = {};
      return d;
    },
    absorb(d) {
      for (const [k, n] of Object.entries(d as Record<string, number>)) add(k, n);
    },
    restore(deltas) {
      totals = {};
      for (const d of deltas as Record<string, number>[])
        for (const [k, n] of Object.entries(d)) totals[k] = (totals[k] ?? 0) + n;
    },
  };
}
