// gather (torch.gather): out[i0, .., j, .., in] = x[i0, .., index[i0, .., j, .., in], .., in] along `dim`, over index's
// shape (same rank as x, no larger than x except along dim). x is read through its strides (no copy of a view). The
// backward scatter-adds into a zeroed contiguous gradient of x's shape; threads own whole lines (see lines.h).
#include <string>

#include "args.h"
#include "lines.h"
#include "parallel.h"
#include "registry.h"
#include "strided.h"

namespace aha {
namespace {

struct GatherArgs {
  std::vector<int64_t> xShape, xStrides, indexShape;
  int64_t xOffset;
  int dim;
  const int32_t* index;
  LineSpace lines;
};

// (_, xShape, xStrides, xOffset, dim, index, indexShape, _)
GatherArgs readArgs(const Napi::CallbackInfo& info, const char* name) {
  GatherArgs a;
  a.xShape = intsArg(info, 1, name);
  a.xStrides = intsArg(info, 2, name);
  a.xOffset = intArg(info, 3, name);
  a.dim = static_cast<int>(intArg(info, 4, name, 0, 63));
  a.index = i32Arg(info, 5, name);
  a.indexShape = intsArg(info, 6, name);
  const size_t nd = a.xShape.size();
  if (a.xStrides.size() != nd || a.indexShape.size() != nd || static_cast<size_t>(a.dim) >= nd) {
    throw Napi::RangeError::New(info.Env(), std::string(name) + ": ranks of x, strides and index do not match");
  }
  for (size_t d = 0; d < nd; ++d) {
    if (static_cast<int>(d) != a.dim && a.indexShape[d] > a.xShape[d]) {
      throw Napi::RangeError::New(info.Env(),
                                  std::string(name) + ": index is larger than x in dim " + std::to_string(d));
    }
  }
  const int64_t n = product(a.indexShape);
  if (static_cast<int64_t>(i32Length(info, 5)) != n) {
    throw Napi::RangeError::New(info.Env(), std::string(name) + ": index length does not match its shape");
  }
  const int64_t size = a.xShape[a.dim];
  for (int64_t i = 0; i < n; ++i) {
    if (a.index[i] < 0 || a.index[i] >= size) {
      throw Napi::RangeError::New(info.Env(), std::string(name) + ": index " + std::to_string(a.index[i]) +
                                                  " at flat position " + std::to_string(i) + " is outside [0, " +
                                                  std::to_string(size) + ")");
    }
  }
  a.lines = lineSpace(a.indexShape, a.dim);
  return a;
}

// (x, xShape, xStrides, xOffset, dim, index, indexShape, out [indexShape])
Napi::Value GatherForward(const Napi::CallbackInfo& info) {
  const char* name = "gatherForward";
  const GatherArgs a = readArgs(info, name);
  const float* x = f32Arg(info, 0, name, viewReach(a.xShape, a.xStrides, a.xOffset));
  float* out = f32Arg(info, 7, name, static_cast<size_t>(product(a.indexShape)));
  const LineSpace s = a.lines;
  const int64_t step = a.xStrides[a.dim];
  parallel_for(s.nOuter * s.nInner, 256, [&](int64_t l0, int64_t l1) {
    for (int64_t l = l0; l < l1; ++l) {
      const int64_t base = a.xOffset + lineOffset(a.indexShape, a.dim, a.xStrides, l, s.nInner);
      const int64_t o = l / s.nInner, in = l % s.nInner;
      for (int64_t j = 0; j < s.len; ++j) {
        const int64_t p = (o * s.len + j) * s.nInner + in;  // position in index / out (contiguous)
        out[p] = x[base + a.index[p] * step];
      }
    }
  });
  return info.Env().Undefined();
}

// (gradOut [indexShape], xShape, _, _, dim, index, indexShape, gradX [xShape] zeroed contiguous)
Napi::Value GatherBackward(const Napi::CallbackInfo& info) {
  const char* name = "gatherBackward";
  const GatherArgs a = readArgs(info, name);
  const float* g = f32Arg(info, 0, name, static_cast<size_t>(product(a.indexShape)));
  float* gx = f32Arg(info, 7, name, static_cast<size_t>(product(a.xShape)));
  const auto gs = contiguousStrides(a.xShape);
  const LineSpace s = a.lines;
  parallel_for(s.nOuter * s.nInner, 256, [&](int64_t l0, int64_t l1) {
    for (int64_t l = l0; l < l1; ++l) {
      const int64_t base = lineOffset(a.indexShape, a.dim, gs, l, s.nInner);
      const int64_t o = l / s.nInner, in = l % s.nInner;
      for (int64_t j = 0; j < s.len; ++j) {
        const int64_t p = (o * s.len + j) * s.nInner + in;
        gx[base + a.index[p] * gs[a.dim]] += g[p];
      }
    }
  });
  return info.Env().Undefined();
}

AHA_EXPORT("gatherForward", GatherForward);
AHA_EXPORT("gatherBackward", GatherBackward);

}  // namespace
}  // namespace aha
