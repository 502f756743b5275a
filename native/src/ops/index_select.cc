// indexSelect (torch.index_select): x viewed as [outer, size, inner] (contiguous), out[o, i, :] = x[o, index[i], :].
// Backward scatter-adds into a zeroed [outer, size, inner]; threads own (outer, inner-block) pairs and walk the whole
// index, so duplicate indices never race. Leaves out: strided x (TS makes it contiguous).
#include <algorithm>
#include <string>

#include "args.h"
#include "parallel.h"
#include "registry.h"

namespace aha {
namespace {

constexpr int64_t kBlock = 256;

struct Dims {
  int64_t outer, size, inner, n;
  const int32_t* index;
};

Dims readDims(const Napi::CallbackInfo& info, const char* name) {
  Dims d;
  d.outer = intArg(info, 1, name);
  d.size = intArg(info, 2, name);
  d.inner = intArg(info, 3, name);
  d.index = i32Arg(info, 4, name);
  d.n = static_cast<int64_t>(i32Length(info, 4));
  for (int64_t i = 0; i < d.n; ++i) {
    if (d.index[i] < 0 || d.index[i] >= d.size) {
      throw Napi::RangeError::New(info.Env(), std::string(name) + ": index " + std::to_string(d.index[i]) +
                                                  " at position " + std::to_string(i) + " is outside [0, " +
                                                  std::to_string(d.size) + ")");
    }
  }
  return d;
}

// (x [outer, size, inner], outer, size, inner, index [n], out [outer, n, inner])
Napi::Value IndexSelectForward(const Napi::CallbackInfo& info) {
  const char* name = "indexSelectForward";
  const Dims d = readDims(info, name);
  const float* x = f32Arg(info, 0, name, static_cast<size_t>(sizeOf(d.outer, d.size, d.inner)));
  float* out = f32Arg(info, 5, name, static_cast<size_t>(sizeOf(d.outer, d.n, d.inner)));
  parallel_for(d.outer * d.n, std::max<int64_t>(1, 16384 / std::max<int64_t>(d.inner, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t o = r / d.n, i = r % d.n;
      const float* src = x + (o * d.size + d.index[i]) * d.inner;
      std::copy(src, src + d.inner, out + r * d.inner);
    }
  });
  return info.Env().Undefined();
}

// (gradOut [outer, n, inner], outer, size, inner, index [n], gradX [outer, size, inner] zeroed)
Napi::Value IndexSelectBackward(const Napi::CallbackInfo& info) {
  const char* name = "indexSelectBackward";
  const Dims d = readDims(info, name);
  const float* g = f32Arg(info, 0, name, static_cast<size_t>(sizeOf(d.outer, d.n, d.inner)));
  float* gx = f32Arg(info, 5, name, static_cast<size_t>(sizeOf(d.outer, d.size, d.inner)));
  const int64_t blocks = (d.inner + kBlock - 1) / kBlock;
  parallel_for(d.outer * blocks, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t o = t / blocks, j0 = (t % blocks) * kBlock, j1 = std::min(d.inner, j0 + kBlock);
      for (int64_t i = 0; i < d.n; ++i) {
        const float* src = g + (o * d.n + i) * d.inner;
        float* dst = gx + (o * d.size + d.index[i]) * d.inner;
        for (int64_t j = j0; j < j1; ++j) dst[j] += src[j];
      }
    }
  });
  return info.Env().Undefined();
}

AHA_EXPORT("indexSelectForward", IndexSelectForward);
AHA_EXPORT("indexSelectBackward", IndexSelectBackward);

}  // namespace
}  // namespace aha
