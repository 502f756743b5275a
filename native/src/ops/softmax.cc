// softmax / logSoftmax over the last dim of a contiguous [R, C] buffer (R rows of C values; other dims are moved last
// by TypeScript). Numerically stable: the row max is subtracted before exp.
//   softmax:     y = exp(x − m) / Σ exp(x − m)           backward: gx = y ⊙ (g − Σ g ⊙ y)
//   logSoftmax:  y = x − m − log Σ exp(x − m)             backward: gx = g − exp(y) · Σ g
// Backward kernels read the saved output y (not x), as PyTorch does. Rows run in parallel; sums accumulate in float64.
// Leaves out: temperature and masking (callers scale / where() first).
#include <cmath>

#include "args.h"
#include "parallel.h"
#include "registry.h"

namespace aha {
namespace {

// exp(d) for d = x - max <= 0. Below -104 the float result is 0 anyway; returning it directly skips libm's underflow
// path, which is slow and is what every causally masked score (-1e9) would take.
inline float expShifted(float d) { return d < -104.f ? 0.f : std::exp(d); }

// (rows, cols, x, out, isLog)
Napi::Value SoftmaxForward(const Napi::CallbackInfo& info) {
  const char* name = "softmaxForward";
  const int64_t rows = intArg(info, 0, name), cols = intArg(info, 1, name);
  const float* x = f32Arg(info, 2, name, sizeOf(rows, cols));  // [R, C]
  float* out = f32Arg(info, 3, name, sizeOf(rows, cols));      // [R, C]
  const bool isLog = info.Length() > 4 && info[4].ToBoolean().Value();
  if (cols == 0) return info.Env().Undefined();
  parallel_for(rows, std::max<int64_t>(1, (INT64_C(1) << 13) / cols), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const float* xr = x + r * cols;
      float* yr = out + r * cols;
      float m = xr[0];
      for (int64_t j = 1; j < cols; ++j) m = xr[j] > m ? xr[j] : m;
      double s = 0.0;
      if (isLog) {
        for (int64_t j = 0; j < cols; ++j) s += expShifted(xr[j] - m);
        const float lse = m + static_cast<float>(std::log(s));
        for (int64_t j = 0; j < cols; ++j) yr[j] = xr[j] - lse;
      } else {
        for (int64_t j = 0; j < cols; ++j) {
          yr[j] = expShifted(xr[j] - m);
          s += yr[j];
        }
        const float inv = static_cast<float>(1.0 / s);
        for (int64_t j = 0; j < cols; ++j) yr[j] *= inv;
      }
    }
  });
  return info.Env().Undefined();
}

// (rows, cols, y, g, gx, isLog): y is the forward's output.
Napi::Value SoftmaxBackward(const Napi::CallbackInfo& info) {
  const char* name = "softmaxBackward";
  const int64_t rows = intArg(info, 0, name), cols = intArg(info, 1, name);
  const float* y = f32Arg(info, 2, name, sizeOf(rows, cols));  // [R, C]
  const float* g = f32Arg(info, 3, name, sizeOf(rows, cols));  // [R, C]
  float* gx = f32Arg(info, 4, name, sizeOf(rows, cols));       // [R, C]
  const bool isLog = info.Length() > 5 && info[5].ToBoolean().Value();
  if (cols == 0) return info.Env().Undefined();
  parallel_for(rows, std::max<int64_t>(1, (INT64_C(1) << 13) / cols), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const float* yr = y + r * cols;
      const float* gr = g + r * cols;
      float* out = gx + r * cols;
      double s = 0.0;
      if (isLog) {
        for (int64_t j = 0; j < cols; ++j) s += gr[j];
        const float sf = static_cast<float>(s);
        for (int64_t j = 0; j < cols; ++j) out[j] = gr[j] - std::exp(yr[j]) * sf;
      } else {
        for (int64_t j = 0; j < cols; ++j) s += static_cast<double>(gr[j]) * yr[j];
        const float sf = static_cast<float>(s);
        for (int64_t j = 0; j < cols; ++j) out[j] = yr[j] * (gr[j] - sf);
      }
    }
  });
  return info.Env().Undefined();
}

AHA_EXPORT("softmaxForward", SoftmaxForward);
AHA_EXPORT("softmaxBackward", SoftmaxBackward);

}  // namespace
}  // namespace aha
