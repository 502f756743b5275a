// rope: rotary position embedding of x [B, H, T, D] by cos/sin tables [B or 1, T, D/2] (pair i rotates by angle
// θ_i(t)). Two layouts of the pairs:
//   'interleaved': pairs (x[2i], x[2i+1])      — DeepSeek-V3 inference/model.py (view_as_complex)
//   'half':        pairs (x[i], x[i + D/2])    — HF rotate_half: out = x·cos + rotate_half(x)·sin
// Each pair (a, b) becomes (a·cos − b·sin, a·sin + b·cos). The backward is the inverse rotation (sin → −sin), so one
// kernel serves both directions. x is read through its strides (the usual input is a transposed [B, T, H, D]
// projection); output contiguous. Leaves out partial rotary dims (DeepSeek rotates the whole rope slice).
#include <string>

#include "args.h"
#include "parallel.h"
#include "registry.h"

namespace aha {
namespace {

// (x, shape [B, H, T, D], strides [4], offset, cos, sin, tableBatch (1 or B), interleaved (0/1), sign (±1), out)
Napi::Value RopeApply(const Napi::CallbackInfo& info) {
  const char* name = "ropeApply";
  const auto shape = intsArg(info, 1, name);
  const auto st = intsArg(info, 2, name);
  const int64_t offset = intArg(info, 3, name);
  if (shape.size() != 4 || st.size() != 4 || shape[3] % 2 != 0) {
    throw Napi::RangeError::New(info.Env(), "ropeApply: x must be [B, H, T, D] with an even D");
  }
  const int64_t B = shape[0], H = shape[1], T = shape[2], D = shape[3], half = D / 2;
  const int64_t tb = intArg(info, 6, name, 1, 1 << 30);
  if (tb != 1 && tb != B) throw Napi::RangeError::New(info.Env(), "ropeApply: table batch must be 1 or B");
  const bool interleaved = intArg(info, 7, name, 0, 1) != 0;
  const float sign = numArg(info, 8, name) < 0 ? -1.f : 1.f;
  const int64_t n = sizeOf(B, H, T, D);
  const float* x = f32Arg(info, 0, name, static_cast<size_t>(viewReach(shape, st, offset)));
  const float* cs = f32Arg(info, 4, name, static_cast<size_t>(sizeOf(tb, T, half)));
  const float* sn = f32Arg(info, 5, name, static_cast<size_t>(sizeOf(tb, T, half)));
  float* out = f32Arg(info, 9, name, static_cast<size_t>(n));
  const int64_t ia = interleaved ? 2 : 1, ib = interleaved ? 1 : half;  // pair i = (x[i·ia], x[i·ia + ib])
  parallel_for(B * H * T, std::max<int64_t>(1, 4096 / std::max<int64_t>(D, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t t = r % T, h = (r / T) % H, b = r / (T * H);
      const float* xr = x + offset + b * st[0] + h * st[1] + t * st[2];  // [D], stride st[3]
      const int64_t row = ((tb == 1 ? 0 : b) * T + t) * half;
      const float *c = cs + row, *s = sn + row;  // [D/2]
      float* y = out + r * D;
      for (int64_t i = 0; i < half; ++i) {
        const int64_t p = i * ia, q = p + ib;
        // In double: the two products nearly cancel for some angles, and float32 would lose the difference.
        const double a = xr[p * st[3]], bb = xr[q * st[3]], ci = c[i], si = sign * s[i];
        y[p] = static_cast<float>(a * ci - bb * si);
        y[q] = static_cast<float>(a * si + bb * ci);
      }
    }
  });
  return info.Env().Undefined();
}

AHA_EXPORT("ropeApply", RopeApply);

}  // namespace
}  // namespace aha
