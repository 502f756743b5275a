// A persistent thread pool (created once, never per op). parallel_for splits [0, n) into chunks of at least `grain`
// items; the calling thread takes part. Nested calls run serially on the calling worker, so kernels may call kernels.
// Size: AHA_NUM_THREADS, else the number of cores; setNumThreads() changes it at run time. Idle workers spin for
// AHA_SPIN_US microseconds (default 50) before they sleep.
#pragma once
#include <cstdint>
#include <functional>

namespace aha {

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t begin, int64_t end)>& fn);

// Work (multiply-adds, or floats touched) below which a call is not worth handing to the pool: a hand-off costs a
// wake-up and a wait each way, a few microseconds and more on shared cores, while 2^18 multiply-adds take ~10 us.
// Batch-1 decode is a long run of such small products (per-head attention products, two routed experts, 256-wide
// projections) and ran slower on 2 threads than on 1 while each one was threaded.
constexpr int64_t kMinParallelWork = INT64_C(1) << 18;

// parallel_for, or fn(0, n) on the calling thread when `work` (the whole call's) is below kMinParallelWork.
void parallel_for_work(int64_t work, int64_t n, int64_t grain,
                       const std::function<void(int64_t begin, int64_t end)>& fn);
int num_threads();
// How many parallel_for calls have been handed to the pool (not run inline) since the process started: what the
// decode-threading check (native/test/gemv_threads_check.cc) counts. Relaxed; exact only on the calling thread.
int64_t pool_jobs();
void set_num_threads(int n);

}  // namespace aha
