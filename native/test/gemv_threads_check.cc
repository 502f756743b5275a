// A stand-alone check of decode-time threading, built by native/test/decode-threading.test.ts with the system
// compiler against gemm.cc, cpu.cc and parallel.cc (the shipped addon carries no test-only export). For each
// M = 1 product below it runs sgemm on 1 and on 2 threads and prints one line:
//   <transB> <N> <K> <jobs handed to the pool on 2 threads> <1 if C is bit-identical on 1 and 2 threads, else 0>
// Leaves out timing (the machine is shared): the job count is what says whether a product paid for a hand-off.
#include <cstdio>
#include <cstring>
#include <vector>

#include "gemm.h"
#include "parallel.h"

int main() {
  struct Shape {
    bool transB;
    long N, K;
  };
  // Decode projections of the benchmark model (256 wide), an odd shape, and the lm_head (large enough to thread).
  const Shape shapes[] = {{true, 128, 256}, {true, 768, 256},  {true, 256, 768},  {false, 768, 256},
                          {true, 37, 301},  {true, 4096, 256}, {false, 4096, 256}};
  for (const Shape& s : shapes) {
    std::vector<float> a(s.K), b(s.N * s.K), c1(s.N), c2(s.N);
    for (long k = 0; k < s.K; ++k) a[k] = static_cast<float>((k * 7919 % 113) - 56) / 57.f;
    for (long i = 0; i < s.N * s.K; ++i) b[i] = static_cast<float>((i * 104729 % 211) - 105) / 106.f;
    const long ldb = s.transB ? s.K : s.N;
    aha::set_num_threads(1);
    aha::sgemm(false, s.transB, 1, s.N, s.K, 1.f, a.data(), s.K, b.data(), ldb, 0.f, c1.data(), s.N);
    aha::set_num_threads(2);
    const long before = static_cast<long>(aha::pool_jobs());
    aha::sgemm(false, s.transB, 1, s.N, s.K, 1.f, a.data(), s.K, b.data(), ldb, 0.f, c2.data(), s.N);
    const long jobs = static_cast<long>(aha::pool_jobs()) - before;
    const int same = std::memcmp(c1.data(), c2.data(), sizeof(float) * s.N) == 0 ? 1 : 0;
    std::printf("%d %ld %ld %ld %d\n", s.transB ? 1 : 0, s.N, s.K, jobs, same);
  }
  return 0;
}
