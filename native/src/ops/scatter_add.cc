// scatterAdd (torch.scatter_add, out of place): out = x; out[.., index[p], ..] += src[p] along `dim` for every
// position p of index's shape (src may be larger than index; only its index-shaped corner is read). The TS side copies
// x into `out`; this adds src. Backward: dx = dout, dsrc[p] = dout[.., index[p], ..] (zero outside the corner).
// All buffers contiguous. Threads own whole lines (see lines.h), so repeated indices never race.
#include <string>

#include "args.h"
#include "lines.h"
#include "parallel.h"
#include "registry.h"
#include "strided.h"

namespace aha {
namespace {

struct ScatterArgs {
  std::vector<int64_t> xShape, srcShape, indexShape, xStrides, srcStrides;
  int dim;
  const int32_t* index;
  LineSpace lines;
};

// (_, xShape, dim, index, indexShape, _, srcShape)
ScatterArgs readArgs(const Napi::CallbackInfo& info, const char* name) {
  ScatterArgs a;
  a.xShape = intsArg(info, 1, name);
  a.dim = static_cast<int>(intArg(info, 2, name, 0, 63));
  a.index = i32Arg(info, 3, name);
  a.indexShape = intsArg(info, 4, name);
  a.srcShape = intsArg(info, 6, name);
  const size_t nd = a.xShape.size();
  if (a.indexShape.size() != nd || a.srcShape.size() != nd || static_cast<size_t>(a.dim) >= nd) {
    throw Napi::RangeError::New(info.Env(), std::string(name) + ": ranks of x, index and src do not match");
  }
  for (size_t d = 0; d < nd; ++d) {
    if (a.indexShape[d] > a.srcShape[d] || (static_cast<int>(d) != a.dim && a.indexShape[d] > a.xShape[d])) {
      throw Napi::RangeError::New(info.Env(), std::string(name) + ": index is too large in dim " + std::to_string(d));
    }
  }
  const int64_t n = product(a.indexShape);
  if (static_cast<int64_t>(i32Length(info, 3)) != n) {
    throw Napi::RangeError::New(info.Env(), std::string(name) + ": index length does not match its shape");
  }
  for (int64_t i = 0; i < n; ++i) {
    if (a.index[i] < 0 || a.index[i] >= a.xShape[a.dim]) {
      throw Napi::RangeError::New(info.Env(), std::string(name) + ": index " + std::to_string(a.index[i]) +
                                                  " at flat position " + std::to_string(i) + " is outside [0, " +
                                                  std::to_string(a.xShape[a.dim]) + ")");
    }
  }
  a.xStrides = contiguousStrides(a.xShape);
  a.srcStrides = contiguousStrides(a.srcShape);
  a.lines = lineSpace(a.indexShape, a.dim);
  return a;
}

// Calls fn(xPos, srcPos) for every index position, threads over lines.
template <typename F>
void forEachPair(const ScatterArgs& a, F fn) {
  const LineSpace s = a.lines;
  parallel_for(s.nOuter * s.nInner, 256, [&](int64_t l0, int64_t l1) {
    for (int64_t l = l0; l < l1; ++l) {
      const int64_t xBase = lineOffset(a.indexShape, a.dim, a.xStrides, l, s.nInner);
      const int64_t sBase = lineOffset(a.indexShape, a.dim, a.srcStrides, l, s.nInner);
      const int64_t o = l / s.nInner, in = l % s.nInner;
      for (int64_t j = 0; j < s.len; ++j) {
        const int64_t p = (o * s.len + j) * s.nInner + in;
        fn(xBase + a.index[p] * a.xStrides[a.dim], sBase + j * a.srcStrides[a.dim]);
      }
    }
  });
}

// (out [xShape] = copy of x, xShape, dim, index, indexShape, src [srcShape], srcShape)
Napi::Value ScatterAddForward(const Napi::CallbackInfo& info) {
  const char* name = "scatterAddForward";
  const ScatterArgs a = readArgs(info, name);
  float* out = f32Arg(info, 0, name, static_cast<size_t>(product(a.xShape)));
  const float* src = f32Arg(info, 5, name, static_cast<size_t>(product(a.srcShape)));
  forEachPair(a, [&](int64_t xp, int64_t sp) { out[xp] += src[sp]; });
  return info.Env().Undefined();
}

// (gradOut [xShape], xShape, dim, index, indexShape, gradSrc [srcShape] zeroed, srcShape)
Napi::Value ScatterAddBackward(const Napi::CallbackInfo& info) {
  const char* name = "scatterAddBackward";
  const ScatterArgs a = readArgs(info, name);
  const float* g = f32Arg(info, 0, name, static_cast<size_t>(product(a.xShape)));
  float* gs = f32Arg(info, 5, name, static_cast<size_t>(product(a.srcShape)));
  forEachPair(a, [&](int64_t xp, int64_t sp) { gs[sp] = g[xp]; });
  return info.Env().Undefined();
}

AHA_EXPORT("scatterAddForward", ScatterAddForward);
AHA_EXPORT("scatterAddBackward", ScatterAddBackward);

}  // namespace
}  // namespace aha
