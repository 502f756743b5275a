/**
 * Access to the native addon. Kernels are looked up by name and typed next to the op that calls them, so adding an
 * op never edits a shared list; a missing kernel is a clear error (e.g. an addon built from older sources).
 */
import { createRequire } from 'node:module';

/** CPU kernel levels, narrowest first: plain C++, AVX2 + FMA, AVX-512F (on top of AVX2 for kernels without a zmm path). */
export type SimdLevel = 'portable' | 'avx2' | 'avx512';

type NativeTable = {
  numThreads(): number;
  setNumThreads(n: number): void;
  simdLevel(): SimdLevel;
  simdLevels(): SimdLevel[];
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

/**
 * Which CPU kernel level runs: the widest the CPU (and OS) supports unless the environment forces one with
 * `AHA_SIMD=portable|avx2|avx512` (`AHA_DISABLE_SIMD=1` = portable). Forcing a level the CPU lacks makes the addon
 * refuse to load (error code AHA_SIMD_UNSUPPORTED).
 */
export function simdLevel(): SimdLevel {
  return nativeTable().simdLevel();
}

/** The levels this CPU supports, narrowest first: each can be forced with AHA_SIMD (in a fresh process). */
export function simdLevels(): SimdLevel[] {
  return nativeTable().simdLevels();
}
