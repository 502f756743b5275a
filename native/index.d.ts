/**
 * The raw native table of aha: runtime queries plus every registered kernel. Kernels trust TypeScript to have
 * validated their arguments but still check buffer sizes and throw (never abort). Use `@aha/core`, not this, in
 * applications: kernels are typed next to the op that calls them (`packages/core/src/ops/<op>.ts`).
 */
declare const native: {
  /** Threads in the persistent pool (AHA_NUM_THREADS, default: the number of cores). */
  numThreads(): number;
  setNumThreads(n: number): void;
  /** 'avx2+fma' when the SIMD kernels are in use, else 'portable'. */
  simdLevel(): 'avx2+fma' | 'portable';
  readonly [kernel: string]: unknown;
};
export = native;
