// Strided copy: materialises any view (transpose, slice, broadcast) into a contiguous buffer, and its adjoint
// (scatter-add a contiguous gradient back into a view's positions of a zeroed buffer).
#include "args.h"
#include "parallel.h"
#include "registry.h"
#include "strided.h"

namespace aha {
namespace {

int64_t reach(const std::vector<int64_t>& shape, const std::vector<int64_t>& strides, int64_t offset) {
  int64_t r = offset;
  for (size_t d = 0; d < shape.size(); ++d) r += (shape[d] - 1) * strides[d];
  return r + 1;
}

// (src, shape, srcStrides, srcOffset, dst) -> dst[i] = src[view(i)], dst contiguous.
Napi::Value CopyStrided(const Napi::CallbackInfo& info) {
  const char* name = "copyStrided";
  auto shape = intsArg(info, 1, name);
  auto strides = intsArg(info, 2, name);
  int64_t offset = intArg(info, 3, name);
  if (strides.size() != shape.size()) throw Napi::RangeError::New(info.Env(), "copyStrided: strides rank mismatch");
  int64_t n = product(shape);
  const float* src = f32Arg(info, 0, name, n ? reach(shape, strides, offset) : 0);
  float* dst = f32Arg(info, 4, name, n);
  parallel_for(n, 1 << 15, [&](int64_t begin, int64_t end) {
    const std::vector<int64_t>* s[1] = {&strides};
    const int64_t base[1] = {offset};
    StridedIndex<1> it(shape, s, base, begin);
    for (int64_t i = begin; i < end; ++i, it.next()) dst[i] = src[it.offset[0]];
  });
  return info.Env().Undefined();
}

// (grad, shape, dstStrides, dstOffset, dst) -> dst[view(i)] += grad[i]. Serial: views may alias (broadcast).
Napi::Value ScatterStridedAdd(const Napi::CallbackInfo& info) {
  const char* name = "scatterStridedAdd";
  auto shape = intsArg(info, 1, name);
  auto strides = intsArg(info, 2, name);
  int64_t offset = intArg(info, 3, name);
  if (strides.size() != shape.size()) throw Napi::RangeError::New(info.Env(), "scatterStridedAdd: rank mismatch");
  int64_t n = product(shape);
  const float* g = f32Arg(info, 0, name, n);
  float* dst = f32Arg(info, 4, name, n ? reach(shape, strides, offset) : 0);
  const std::vector<int64_t>* s[1] = {&strides};
  const int64_t base[1] = {offset};
  StridedIndex<1> it(shape, s, base, 0);
  for (int64_t i = 0; i < n; ++i, it.next()) dst[it.offset[0]] += g[i];
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
