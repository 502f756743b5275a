/**
 * The raw native table of aha: runtime queries plus every registered kernel. Kernels trust TypeScript to have
 * validated their arguments but still check buffer sizes and throw (never abort). Use `@aha/core`, not this, in
 * applications: kernels are typed next to the op that calls them (`packages/core/src/ops/<op>.ts`).
 */
declare const native: {
  /** Threads in the persistent pool (AHA_NUM_THREADS, default: the number of cores). */
  numThreads(): number;
  setNumThreads(n: number): void;
  /** The CPU kernel level in use: the widest the CPU supports unless AHA_SIMD (or AHA_DISABLE_SIMD=1) forces one. */
  simdLevel(): 'portable' | 'avx2' | 'avx512';
  /** The levels this CPU supports, narrowest first (each can be forced with AHA_SIMD). */
  simdLevels(): Array<'portable' | 'avx2' | 'avx512'>;
  readonly [kernel: string]: unknown;
};
export = native;
