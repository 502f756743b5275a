// rmsNorm, fused (HF DeepseekV3RMSNorm): y = x · rsqrt(mean(x²) + eps) · w over the last dim, in float32 with the
// sum of squares accumulated in double. Forward keeps r = rsqrt(mean(x²) + eps) per row (one float a row) for the
// backward:  x̂ = x·r,  dx = r · (g·w − x̂ · mean(g·w·x̂)),  dw = Σ_rows g·x̂.
// dw is reduced from per-block partials (fixed blocks, so the result does not depend on the thread count).
#include <cmath>
#include <vector>

#include "args.h"
#include "parallel.h"
#include "registry.h"

namespace aha {
namespace {

// Σ a[j]·(w ? w[j] : 1)·b[j]·scale in double, in four partial sums: a single running sum is a chain of dependent
// double adds (latency-bound, about a quarter of the add throughput), and the partial sums differ from it only in
// the last bits of the double, far below the float result's rounding.
inline double dot4(const float* a, const float* b, const float* w, float scale, int64_t D) {
  double s[4] = {0, 0, 0, 0};
  int64_t j = 0;
  for (; j + 4 <= D; j += 4) {
    for (int k = 0; k < 4; ++k) {
      const double ak = w ? static_cast<double>(a[j + k]) * w[j + k] : static_cast<double>(a[j + k]);
      s[k] += ak * b[j + k] * scale;
    }
  }
  for (; j < D; ++j) s[0] += (w ? static_cast<double>(a[j]) * w[j] : static_cast<double>(a[j])) * b[j] * scale;
  return (s[0] + s[1]) + (s[2] + s[3]);
}

// (x [rows, D], w [D], rows, D, eps, out [rows, D], rstd [rows])
Napi::Value RmsNormForward(const Napi::CallbackInfo& info) {
  const char* name = "rmsNormForward";
  const int64_t rows = intArg(info, 2, name), D = intArg(info, 3, name);
  const double eps = numArg(info, 4, name);
  const float* x = f32Arg(info, 0, name, static_cast<size_t>(sizeOf(rows, D)));
  const float* w = f32Arg(info, 1, name, static_cast<size_t>(D));
  float* out = f32Arg(info, 5, name, static_cast<size_t>(sizeOf(rows, D)));
  float* rstd = f32Arg(info, 6, name, static_cast<size_t>(rows));
  parallel_for(rows, std::max<int64_t>(1, 8192 / std::max<int64_t>(D, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * D;  // [D]
      const double ss = dot4(xr, xr, nullptr, 1.f, D);
      const float rs = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(D) + eps));
      rstd[r] = rs;
      float* yr = out + r * D;
      for (int64_t j = 0; j < D; ++j) yr[j] = xr[j] * rs * w[j];
    }
  });
  return info.Env().Undefined();
}

// (g [rows, D], x [rows, D], w [D], rstd [rows], rows, D, gx [rows, D] | null, gw [D] | null)
Napi::Value RmsNormBackward(const Napi::CallbackInfo& info) {
  const char* name = "rmsNormBackward";
  const int64_t rows = intArg(info, 4, name), D = intArg(info, 5, name);
  const float* g = f32Arg(info, 0, name, static_cast<size_t>(sizeOf(rows, D)));
  const float* x = f32Arg(info, 1, name, static_cast<size_t>(sizeOf(rows, D)));
  const float* w = f32Arg(info, 2, name, static_cast<size_t>(D));
  const float* rstd = f32Arg(info, 3, name, static_cast<size_t>(rows));
  float* gx = info[6].IsNull() ? nullptr : f32Arg(info, 6, name, static_cast<size_t>(sizeOf(rows, D)));
  float* gw = info[7].IsNull() ? nullptr : f32Arg(info, 7, name, static_cast<size_t>(D));
  constexpr int64_t kBlocks = 64;
  const int64_t blocks = std::min<int64_t>(kBlocks, rows);
  std::vector<double> partial(gw ? static_cast<size_t>(sizeOf(blocks, D)) : 0, 0.0);
  parallel_for(blocks, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t r0 = rows * b / blocks, r1 = rows * (b + 1) / blocks;
      double* pw = gw ? partial.data() + b * D : nullptr;
      for (int64_t r = r0; r < r1; ++r) {
        const float *gr = g + r * D, *xr = x + r * D;
        const float rs = rstd[r];
        if (gx) {
          const double dot = dot4(gr, xr, w, rs, D);  // Σ g·w·x̂
          const float mean = static_cast<float>(dot / static_cast<double>(D));
          float* gxr = gx + r * D;
          for (int64_t j = 0; j < D; ++j) gxr[j] = rs * (gr[j] * w[j] - xr[j] * rs * mean);
        }
        if (pw)
          for (int64_t j = 0; j < D; ++j) pw[j] += static_cast<double>(gr[j]) * xr[j] * rs;
      }
    }
  });
  if (gw) {
    for (int64_t j = 0; j < D; ++j) {
      double s = 0;
      for (int64_t b = 0; b < blocks; ++b) s += partial[b * D + j];
      gw[j] = static_cast<float>(s);
    }
  }
  return info.Env().Undefined();
}

AHA_EXPORT("rmsNormForward", RmsNormForward);
AHA_EXPORT("rmsNormBackward", RmsNormBackward);

}  // namespace
}  // namespace aha
