/**
 * Test helper (not exported from the package): runs a function on inputs of doubling size, 16 kB up to 1 MB, and
 * fails as soon as the total time passes a generous budget, so an implementation that is quadratic fails within
 * seconds instead of hanging the suite (the quadratic keyword filter took 72 s for 100 kB of digits), while a linear
 * one stays far below the budget even on a loaded machine. Not a timing test of the linear code: the budget is about
 * ten times what it needs.
 */
import { performance } from 'node:perf_hooks';

/** Calls `run(make(n))` for n = 16 kB … 1 MB (UTF-16 units); returns the last result, throws past `budgetMs`. */
export function withinLinearBudget<T>(make: (units: number) => string, run: (text: string) => T, budgetMs: number): T {
  let spent = 0;
  let result: T | undefined;
  for (let units = 16 * 1024; units <= 1024 * 1024; units *= 2) {
    const text = make(units);
    const t0 = performance.now();
    result = run(text);
    spent += performance.now() - t0;
    if (spent > budgetMs)
      throw new Error(`${units} units: ${Math.round(spent)} ms spent in total, over the ${budgetMs} ms budget`);
  }
  return result as T;
}
