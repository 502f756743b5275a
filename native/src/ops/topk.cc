// topk (torch.topk, largest = true, sorted = true): the k largest entries of each line of x [outer, n, inner] along
// the middle dim, largest first; ties go to the lower index so results are deterministic (MoE routing depends on it).
// NaN ranks above every number, as in PyTorch. No backward (routing weights take their gradient through gather).
// A partial sort of an index array: O(n log k) per line, threads over lines.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "args.h"
#include "parallel.h"
#include "registry.h"

namespace aha {
namespace {

// (x [outer, n, inner] contiguous, outer, n, inner, k, values [outer, k, inner], indices Int32 [outer, k, inner])
Napi::Value TopkForward(const Napi::CallbackInfo& info) {
  const char* name = "topkForward";
  const int64_t outer = intArg(info, 1, name), n = intArg(info, 2, name), inner = intArg(info, 3, name);
  const int64_t k = intArg(info, 4, name, 0, n);
  const float* x = f32Arg(info, 0, name, static_cast<size_t>(sizeOf(outer, n, inner)));
  float* values = f32Arg(info, 5, name, static_cast<size_t>(sizeOf(outer, k, inner)));
  int32_t* indices = i32Arg(info, 6, name, static_cast<size_t>(sizeOf(outer, k, inner)));
  if (n > INT32_MAX) throw Napi::RangeError::New(info.Env(), "topkForward: dim too large for Int32 indices");
  parallel_for(outer * inner, std::max<int64_t>(1, 4096 / std::max<int64_t>(n, 1)), [&](int64_t l0, int64_t l1) {
    std::vector<int32_t> order(static_cast<size_t>(n));
    for (int64_t l = l0; l < l1; ++l) {
      const int64_t o = l / inner, in = l % inner;
      const float* line = x + o * n * inner + in;  // stride `inner`
      auto before = [&](int32_t a, int32_t b) {
        const float va = line[a * inner], vb = line[b * inner];
        const bool na = std::isnan(va), nb = std::isnan(vb);
        if (na || nb) return na && (!nb || a < b);
        return va > vb || (va == vb && a < b);
      };
      std::iota(order.begin(), order.end(), 0);
      std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
      for (int64_t j = 0; j < k; ++j) {
        const int64_t p = (o * k + j) * inner + in;
        values[p] = line[order[j] * inner];
        indices[p] = order[j];
      }
    }
  });
  return info.Env().Undefined();
}

AHA_EXPORT("topkForward", TopkForward);

}  // namespace
}  // namespace aha
