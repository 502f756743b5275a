/* Clock and FMA throughput probe for the sgemm benchmark (compiled at run time by benchmarks/run.ts:
 * gcc -O2 -mavx2 -mfma -pthread peak.c). Prints one JSON line:
 *  - clockGHz: a chain of dependent integer adds (1 cycle each on every x86 core since the P6) timed with the
 *    monotonic clock, best of several tries, on each thread at once (best of 5 tries, so time slices lost to other
 * processes drop out); so it is the clock the cores actually run while both are busy (turbo and the hypervisor
 * included), not the nominal /proc/cpuinfo figure.
 *  - fmaGflops1 / fmaGflops2: 12 independent chains of 8-lane FMAs per thread (enough to cover the FMA latency
 *    on both pipes), the measured vector FMA peak with 1 and 2 threads (best of 1000 tries of ~0.1 ms).
 *  - fma512Gflops1 / fma512Gflops2: the same with 16-lane zmm FMAs (24 chains: 2 pipes x 4-cycle latency x 3), only
 *    where the CPU has AVX-512F (else null). Compiled for AVX-512 by a target attribute on that one function, so the
 *    probe still runs on CPUs without it. Its ratio to 32 flops x clock is the number of 512-bit FMAs a core retires
 *    per cycle (2 on cores with full-width units, 1 where 512-bit ops are split in two halves). */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

#define ADD10                                                              \
  "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t" \
  "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"

static void *clock_probe(void *out) {
  const long iters = 10000; /* x 100 adds: ~0.25 ms, shorter than a scheduler time slice */
  double best = 0;
  for (int t = 0; t < 400; ++t) {
    long x = 0;
    double t0 = now();
    for (long i = 0; i < iters; ++i)
      __asm__ volatile(ADD10 ADD10 ADD10 ADD10 ADD10 ADD10 ADD10 ADD10 ADD10 ADD10 : "+r"(x));
    double ghz = (double)iters * 100 / (now() - t0) / 1e9;
    if (ghz > best) best = ghz;
  }
  *(double *)out = best;
  return NULL;
}

static void *fma_probe(void *out) {
  const long iters = 20000; /* ~0.1 ms per try */
  double best = 0;
  for (int t = 0; t < 1000; ++t) {
    const __m256 a = _mm256_set1_ps(0.999f), b = _mm256_set1_ps(0.001f);
    __m256 c0 = _mm256_set1_ps(0), c1 = _mm256_set1_ps(1), c2 = _mm256_set1_ps(2), c3 = _mm256_set1_ps(3);
    __m256 c4 = _mm256_set1_ps(4), c5 = _mm256_set1_ps(5), c6 = _mm256_set1_ps(6), c7 = _mm256_set1_ps(7);
    __m256 c8 = _mm256_set1_ps(8), c9 = _mm256_set1_ps(9), c10 = _mm256_set1_ps(10), c11 = _mm256_set1_ps(11);
    double t0 = now();
    for (long i = 0; i < iters; ++i) { /* written out so every accumulator stays in a register */
      c0 = _mm256_fmadd_ps(c0, a, b), c1 = _mm256_fmadd_ps(c1, a, b), c2 = _mm256_fmadd_ps(c2, a, b);
      c3 = _mm256_fmadd_ps(c3, a, b), c4 = _mm256_fmadd_ps(c4, a, b), c5 = _mm256_fmadd_ps(c5, a, b);
      c6 = _mm256_fmadd_ps(c6, a, b), c7 = _mm256_fmadd_ps(c7, a, b), c8 = _mm256_fmadd_ps(c8, a, b);
      c9 = _mm256_fmadd_ps(c9, a, b), c10 = _mm256_fmadd_ps(c10, a, b), c11 = _mm256_fmadd_ps(c11, a, b);
    }
    double dt = now() - t0;
    float sink[8];
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)),
                             _mm256_add_ps(_mm256_add_ps(c4, c5), _mm256_add_ps(c6, c7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(c8, c9), _mm256_add_ps(c10, c11)));
    _mm256_storeu_ps(sink, s);
    const double g = iters * 12.0 * 16 / dt / 1e9 + 0 * sink[0];
    if (g > best) best = g;
  }
  *(double *)out = best;
  return NULL;
}

__attribute__((target("avx512f"))) static void *fma512_probe(void *out) {
  const long iters = 10000;
  double best = 0;
  for (int t = 0; t < 1000; ++t) {
    const __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(0.001f);
    __m512 c[24];
    for (int i = 0; i < 24; ++i) c[i] = _mm512_set1_ps((float)i);
    double t0 = now();
    for (long i = 0; i < iters; ++i) {
#pragma GCC unroll 24
      for (int j = 0; j < 24; ++j) c[j] = _mm512_fmadd_ps(c[j], a, b);
    }
    double dt = now() - t0;
    __m512 s = c[0];
    for (int i = 1; i < 24; ++i) s = _mm512_add_ps(s, c[i]);
    float sink[16];
    _mm512_storeu_ps(sink, s);
    const double g = iters * 24.0 * 32 / dt / 1e9 + 0 * sink[0];
    if (g > best) best = g;
  }
  *(double *)out = best;
  return NULL;
}

static double on_threads(void *(*fn)(void *), int n, int reduce_max) {
  pthread_t th[2];
  double r[2] = {0, 0};
  for (int i = 0; i < n; ++i) pthread_create(&th[i], NULL, fn, &r[i]);
  for (int i = 0; i < n; ++i) pthread_join(th[i], NULL);
  return reduce_max ? (r[0] < r[1] ? r[0] : r[1]) : r[0] + r[1];
}

int main(void) {
  double clock1 = on_threads(clock_probe, 1, 0);
  double clock2 = on_threads(clock_probe, 2, 1); /* the slower of the two busy cores */
  double fma1 = on_threads(fma_probe, 1, 0), fma2 = on_threads(fma_probe, 2, 0);
  printf("{\"clockGHz1\":%.4f,\"clockGHz2\":%.4f,\"fmaGflops1\":%.2f,\"fmaGflops2\":%.2f", clock1, clock2, fma1, fma2);
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) {
    double z1 = on_threads(fma512_probe, 1, 0), z2 = on_threads(fma512_probe, 2, 0);
    printf(",\"fma512Gflops1\":%.2f,\"fma512Gflops2\":%.2f}\n", z1, z2);
  } else {
    printf(",\"fma512Gflops1\":null,\"fma512Gflops2\":null}\n");
  }
  return 0;
}
