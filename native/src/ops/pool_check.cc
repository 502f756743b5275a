// A self-check of the thread pool for tests: runs many short parallel_for jobs back to back and counts indices that
// were not visited exactly once. Back-to-back jobs are where a late worker can confuse one job with the next.
#include <atomic>
#include <memory>

#include "args.h"
#include "parallel.h"
#include "registry.h"

namespace aha {
namespace {

// (jobs, n, grain) -> number of (job, index) pairs visited a number of times other than 1.
Napi::Value PoolSelfCheck(const Napi::CallbackInfo& info) {
  int64_t jobs = intArg(info, 0, "poolSelfCheck", 1, 1 << 24);
  int64_t n = intArg(info, 1, "poolSelfCheck", 1, 1 << 20);
  int64_t grain = intArg(info, 2, "poolSelfCheck", 1, 1 << 20);
  std::unique_ptr<std::atomic<int>[]> visits(new std::atomic<int>[n]);
  int64_t bad = 0;
  for (int64_t j = 0; j < jobs; ++j) {
    for (int64_t i = 0; i < n; ++i) visits[i].store(0, std::memory_order_relaxed);
    parallel_for(n, grain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) visits[i].fetch_add(1, std::memory_order_relaxed);
    });
    for (int64_t i = 0; i < n; ++i) bad += visits[i].load(std::memory_order_relaxed) != 1;
  }
  return Napi::Number::New(info.Env(), static_cast<double>(bad));
}

AHA_EXPORT("poolSelfCheck", PoolSelfCheck);

}  // namespace
}  // namespace aha
