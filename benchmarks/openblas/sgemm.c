/* OpenBLAS side of the sgemm benchmark (benchmarks/run.ts compiles it at run time: gcc -O2 sgemm.c -lopenblas).
 * Reads "transA transB M N K" lines on stdin (row-major, as aha's sgemm: C[M,N] = op(A)[M,K] @ op(B)[K,N]) and prints
 * "M N K transA transB seconds cpuSeconds" per line: the minimum wall time (and, separately, the minimum process
 * CPU time, which time lost to other processes does not inflate) per call over repeated samples of >= 2 ms after one
 * warm-up call, repeating until at least MIN_SECONDS have passed and at least 3 timed calls ran. Threads:
 * OPENBLAS_NUM_THREADS, set by the caller. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define MIN_SECONDS 0.3

static double clock_s(clockid_t id) {
  struct timespec t;
  clock_gettime(id, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}
static double now(void) { return clock_s(CLOCK_MONOTONIC); }
static double cpu(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

int main(void) {
  int ta, tb, M, N, K;
  while (scanf("%d %d %d %d %d", &ta, &tb, &M, &N, &K) == 5) {
    float *A = malloc(sizeof(float) * (size_t)M * K), *B = malloc(sizeof(float) * (size_t)K * N);
    float *C = malloc(sizeof(float) * (size_t)M * N);
    for (size_t i = 0; i < (size_t)M * K; ++i) A[i] = (float)rand() / RAND_MAX - 0.5f;
    for (size_t i = 0; i < (size_t)K * N; ++i) B[i] = (float)rand() / RAND_MAX - 0.5f;
    const int lda = ta ? M : K, ldb = tb ? K : N;
    const enum CBLAS_TRANSPOSE opA = ta ? CblasTrans : CblasNoTrans, opB = tb ? CblasTrans : CblasNoTrans;
    cblas_sgemm(CblasRowMajor, opA, opB, M, N, K, 1.f, A, lda, B, ldb, 0.f, C, N); /* warm-up */
    double w0 = now();
    cblas_sgemm(CblasRowMajor, opA, opB, M, N, K, 1.f, A, lda, B, ldb, 0.f, C, N);
    /* one sample = `inner` calls lasting >= ~2 ms, so CPU-time accounting is not at the mercy of its granularity */
    const double once = now() - w0;
    const int inner = once >= 0.002 ? 1 : (int)(0.002 / (once > 1e-7 ? once : 1e-7)) + 1;
    double best = 1e30, bestCpu = 1e30, start = now();
    int reps = 0;
    while (reps < 3 || now() - start < MIN_SECONDS) {
      double t0 = now(), c0 = cpu();
      for (int r = 0; r < inner; ++r) cblas_sgemm(CblasRowMajor, opA, opB, M, N, K, 1.f, A, lda, B, ldb, 0.f, C, N);
      double dt = (now() - t0) / inner, dc = (cpu() - c0) / inner;
      if (dt < best) best = dt;
      if (dc < bestCpu) bestCpu = dc;
      ++reps;
    }
    printf("%d %d %d %d %d %.9f %.9f\n", M, N, K, ta, tb, best, bestCpu);
    fflush(stdout);
    free(A), free(B), free(C);
  }
  return 0;
}
