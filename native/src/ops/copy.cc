// Strided copy: materialises any view (transpose, slice, broadcast) into a contiguous buffer, and its adjoint
// (scatter-add a contiguous gradient back into a view's positions of a zeroed buffer).
#include <algorithm>
#include <utility>

#include "args.h"
#include "parallel.h"
#include "registry.h"
#include "strided.h"

namespace aha {
namespace {

// A view split into rows along its last dim: the outer dims are walked with StridedIndex once per row, and each row
// is a plain loop (stride 1 vectorises), instead of a multi-index step per element.
struct Rows {
  std::vector<int64_t> outerShape, outerStrides;
  int64_t len = 1, stride = 1, count = 1;
};

Rows rowsOf(const std::vector<int64_t>& shape, const std::vector<int64_t>& strides) {
  Rows r;
  if (shape.empty()) return r;  // a scalar: one row of one element
  r.outerShape.assign(shape.begin(), shape.end() - 1);
  r.outerStrides.assign(strides.begin(), strides.end() - 1);
  r.len = shape.back();
  r.stride = strides.back();
  r.count = product(r.outerShape);
  return r;
}

// Calls f(row, offset of the row's first element in the view's storage) for rows [b, e).
template <class F>
void forRows(const Rows& r, int64_t offset, int64_t b, int64_t e, F f) {
  const std::vector<int64_t>* s[1] = {&r.outerStrides};
  const int64_t base[1] = {offset};
  StridedIndex<1> it(r.outerShape, s, base, b);
  for (int64_t row = b; row < e; ++row, it.next()) f(row, it.offset[0]);
}

// Rows per parallel chunk: about 32K elements.
int64_t rowGrain(const Rows& r) { return std::max<int64_t>(1, (INT64_C(1) << 15) / std::max<int64_t>(r.len, 1)); }

// (src, shape, srcStrides, srcOffset, dst) -> dst[i] = src[view(i)], dst contiguous.
Napi::Value CopyStrided(const Napi::CallbackInfo& info) {
  const char* name = "copyStrided";
  auto shape = intsArg(info, 1, name);
  auto strides = intsArg(info, 2, name);
  int64_t offset = intArg(info, 3, name);
  if (strides.size() != shape.size()) throw Napi::RangeError::New(info.Env(), "copyStrided: strides rank mismatch");
  int64_t n = product(shape);
  const float* src = f32Arg(info, 0, name, viewReach(shape, strides, offset));
  float* dst = f32Arg(info, 4, name, n);
  if (n == 0) return info.Env().Undefined();
  const Rows r = rowsOf(shape, strides);
  parallel_for(r.count, rowGrain(r), [&](int64_t b, int64_t e) {
    forRows(r, offset, b, e, [&](int64_t row, int64_t o) {
      float* d = dst + row * r.len;  // [len]
      const float* s = src + o;
      if (r.stride == 1)
        std::copy(s, s + r.len, d);
      else
        for (int64_t j = 0; j < r.len; ++j) d[j] = s[j * r.stride];
    });
  });
  return info.Env().Undefined();
}

// Whether the view (shape, strides) maps distinct indices to distinct elements: with its dims of size > 1 sorted by
// stride, each stride steps past everything the smaller dims reach. Slices, transposes and permutes pass; a broadcast
// (stride 0) or an overlapping as_strided view does not.
bool injective(const std::vector<int64_t>& shape, const std::vector<int64_t>& strides) {
  std::vector<std::pair<int64_t, int64_t>> dims;  // (stride, size)
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] <= 1) continue;
    if (strides[d] <= 0) return false;
    dims.emplace_back(strides[d], shape[d]);
  }
  std::sort(dims.begin(), dims.end());
  int64_t reached = 0;  // the largest offset the smaller dims reach
  for (const auto& [stride, size] : dims) {
    if (stride <= reached) return false;
    reached += stride * (size - 1);
  }
  return true;
}

// (grad, shape, dstStrides, dstOffset, dst, uninit?) -> dst[view(i)] += grad[i]. Threaded over i when the view is
// injective (every destination is written by one i, so the result does not depend on the split); serial otherwise,
// since a broadcast view sends several i to one destination. With `uninit`, dst holds garbage on entry: a view that
// covers all of dst one-to-one (transpose, permute, a full slice) is assigned instead of added, anything else is
// zeroed first (threaded) — a JS fill of the gradient buffer would be serial.
Napi::Value ScatterStridedAdd(const Napi::CallbackInfo& info) {
  const char* name = "scatterStridedAdd";
  auto shape = intsArg(info, 1, name);
  auto strides = intsArg(info, 2, name);
  int64_t offset = intArg(info, 3, name);
  if (strides.size() != shape.size()) throw Napi::RangeError::New(info.Env(), "scatterStridedAdd: rank mismatch");
  int64_t n = product(shape);
  const float* g = f32Arg(info, 0, name, n);
  float* dst = f32Arg(info, 4, name, viewReach(shape, strides, offset));
  const bool uninit = info.Length() > 5 && info[5].ToBoolean().Value();
  const int64_t len = static_cast<int64_t>(f32Length(info, 4));
  const bool oneToOne = injective(shape, strides);
  const bool assign = uninit && oneToOne && n == len;
  if (uninit && !assign) parallel_for(len, 1 << 16, [&](int64_t b, int64_t e) { std::fill(dst + b, dst + e, 0.f); });
  if (n == 0) return info.Env().Undefined();
  const Rows r = rowsOf(shape, strides);
  auto run = [&](int64_t b, int64_t e) {
    forRows(r, offset, b, e, [&](int64_t row, int64_t o) {
      const float* gr = g + row * r.len;  // [len]
      float* d = dst + o;
      if (assign) {
        if (r.stride == 1)
          std::copy(gr, gr + r.len, d);
        else
          for (int64_t j = 0; j < r.len; ++j) d[j * r.stride] = gr[j];
      } else if (r.stride == 1) {
        for (int64_t j = 0; j < r.len; ++j) d[j] += gr[j];
      } else {
        for (int64_t j = 0; j < r.len; ++j) d[j * r.stride] += gr[j];
      }
    });
  };
  if (oneToOne)
    parallel_for(r.count, rowGrain(r), run);
  else
    run(0, r.count);  // rows in order: the same order of additions as one element at a time
  return info.Env().Undefined();
}

// (dst, src, n) -> dst[i] += src[i]: gradient accumulation.
Napi::Value AddInto(const Napi::CallbackInfo& info) {
  int64_t n = intArg(info, 2, "addInto");
  float* dst = f32Arg(info, 0, "addInto", n);
  const float* src = f32Arg(info, 1, "addInto", n);
  parallel_for(n, 1 << 16, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) dst[i] += src[i];
  });
  return info.Env().Undefined();
}

AHA_EXPORT("copyStrided", CopyStrided);
AHA_EXPORT("scatterStridedAdd", ScatterStridedAdd);
AHA_EXPORT("addInto", AddInto);

}  // namespace
}  // namespace aha
