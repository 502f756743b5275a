// A stand-alone self-check of the native thread pool, built by parallel.test.ts with the system compiler so the
// shipped addon carries no test-only export: runs many short parallel_for jobs back to back and counts indices that
// were not visited exactly once. Back-to-back jobs are where a late worker can confuse one job with the next.
// Usage: pool_check <threads> <jobs> <n> <grain>  → prints the count of (job, index) pairs visited != 1 times.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "parallel.h"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: pool_check <threads> <jobs> <n> <grain>\n");
    return 2;
  }
  const int threads = std::atoi(argv[1]);
  const long jobs = std::atol(argv[2]);
  const long n = std::atol(argv[3]);
  const long grain = std::atol(argv[4]);
  if (threads < 1 || jobs < 1 || n < 1 || grain < 1 || n > (1L << 20)) {
    std::fprintf(stderr, "pool_check: arguments out of range\n");
    return 2;
  }
  aha::set_num_threads(threads);
  std::unique_ptr<std::atomic<int>[]> visits(new std::atomic<int>[n]);
  long bad = 0;
  for (long j = 0; j < jobs; ++j) {
    for (long i = 0; i < n; ++i) visits[i].store(0, std::memory_order_relaxed);
    aha::parallel_for(n, grain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) visits[i].fetch_add(1, std::memory_order_relaxed);
    });
    for (long i = 0; i < n; ++i) bad += visits[i].load(std::memory_order_relaxed) != 1;
  }
  std::printf("%ld\n", bad);
  return 0;
}
