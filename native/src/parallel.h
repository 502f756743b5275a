// A persistent thread pool (created once, never per op). parallel_for splits [0, n) into chunks of at least `grain`
// items; the calling thread takes part. Nested calls run serially on the calling worker, so kernels may call kernels.
// Size: AHA_NUM_THREADS, else the number of cores; setNumThreads() changes it at run time. Idle workers spin for
// AHA_SPIN_US microseconds (default 50) before they sleep.
#pragma once
#include <cstdint>
#include <functional>

namespace aha {

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t begin, int64_t end)>& fn);
int num_threads();
void set_num_threads(int n);

}  // namespace aha
