/**
 * Access to the native addon. Kernels are looked up by name and typed next to the op that calls them, so adding an
 * op never edits a shared list; a missing kernel is a clear error (e.g. an addon built from older sources).
 */
import { createRequire } from 'node:module';

type NativeTable = {
  numThreads(): number;
  setNumThreads(n: number): void;
  simdLevel(): 'avx2+fma' | 'portable';
  readonly [kernel: string]: unknown;
};

const require = createRequire(import.meta.url);
let table: NativeTable | undefined;

/** The loaded addon (loaded on first use so importing @aha/core never fails before a kernel is needed). */
export function nativeTable(): NativeTable {
  table ??= require('@aha/native') as NativeTable;
  return table;
}

// biome-ignore lint/suspicious/noExplicitAny: kernel signatures are declared by each op file.
export function kernel<F extends (...args: any[]) => unknown>(name: string): F {
  let fn: F | undefined;
  return ((...args: unknown[]) => {
    if (!fn) {
      const found = nativeTable()[name];
      if (typeof found !== 'function') {
        throw new Error(`@aha/native has no kernel "${name}": rebuild it with \`npm run rebuild -w @aha/native\``);
      }
      fn = found as F;
    }
    return fn(...args);
  }) as F;
}

/** Number of threads the native kernels use. */
export function getNumThreads(): number {
  return nativeTable().numThreads();
}

/** Sets the number of threads of the native pool (default: AHA_NUM_THREADS or the number of cores). */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNumThreads: n must be a positive integer, got ${n}`);
  nativeTable().setNumThreads(n);
}

/** Which CPU kernel family runs: 'avx2+fma' or 'portable'. */
export function simdLevel(): 'avx2+fma' | 'portable' {
  return nativeTable().simdLevel();
}
