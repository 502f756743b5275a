// where(mask, a, b): out[i] = mask[i] != 0 ? a[i] : b[i], all three broadcast over strided views (stride 0 on
// broadcast dims). maskedFill is where(mask, value, x) on the TypeScript side. Backward routes g to a where the mask
// is set and to b elsewhere, summed over each input's broadcast dims. Leaves out: a gradient for the mask (it is a
// selector, not a value).
#include "args.h"
#include "parallel.h"
#include "registry.h"
#include "strided.h"

namespace aha {
namespace {

struct Operand {
  const float* data;
  std::vector<int64_t> strides;
  int64_t offset;
};

// Reads (buffer, strides, offset) at info[i..i+2] for an operand broadcast to `shape`.
Operand readOperand(const Napi::CallbackInfo& info, size_t i, const char* name, const std::vector<int64_t>& shape) {
  Operand o;
  o.strides = intsArg(info, i + 1, name);
  o.offset = intArg(info, i + 2, name);
  if (o.strides.size() != shape.size()) {
    throw Napi::RangeError::New(info.Env(), std::string(name) + ": strides rank does not match the output rank");
  }
  o.data = f32Arg(info, i, name, viewReach(shape, o.strides, o.offset));
  return o;
}

// (shape, mask, mS, mO, a, aS, aO, b, bS, bO, out)
Napi::Value WhereForward(const Napi::CallbackInfo& info) {
  const char* name = "whereForward";
  auto shape = intsArg(info, 0, name);
  const int64_t n = product(shape);
  Operand m = readOperand(info, 1, name, shape);
  Operand a = readOperand(info, 4, name, shape);
  Operand b = readOperand(info, 7, name, shape);
  float* out = f32Arg(info, 10, name, n);
  parallel_for(n, 1 << 14, [&](int64_t begin, int64_t end) {
    const std::vector<int64_t>* s[3] = {&m.strides, &a.strides, &b.strides};
    const int64_t base[3] = {m.offset, a.offset, b.offset};
    StridedIndex<3> it(shape, s, base, begin);
    for (int64_t i = begin; i < end; ++i, it.next()) {
      out[i] = m.data[it.offset[0]] != 0.0f ? a.data[it.offset[1]] : b.data[it.offset[2]];
    }
  });
  return info.Env().Undefined();
}

// (shape, mask, mS, mO, gradOut, gradA|null, gaStrides, gradB|null, gbStrides): gradA / gradB are zeroed contiguous
// buffers in the inputs' own shapes, gaStrides / gbStrides map the output index onto them (0 on broadcast dims).
Napi::Value WhereBackward(const Napi::CallbackInfo& info) {
  const char* name = "whereBackward";
  auto shape = intsArg(info, 0, name);
  const int64_t n = product(shape);
  Operand m = readOperand(info, 1, name, shape);
  const float* g = f32Arg(info, 4, name, n);
  float* ga = info[5].IsNull() ? nullptr : f32Arg(info, 5, name);
  auto gaStrides = intsArg(info, 6, name);
  float* gb = info[7].IsNull() ? nullptr : f32Arg(info, 7, name);
  auto gbStrides = intsArg(info, 8, name);
  if (gaStrides.size() != shape.size() || gbStrides.size() != shape.size()) {
    throw Napi::RangeError::New(info.Env(), "whereBackward: gradient strides rank does not match the output rank");
  }
  if (ga && f32Length(info, 5) < static_cast<size_t>(viewReach(shape, gaStrides, 0))) {
    throw Napi::RangeError::New(info.Env(), "whereBackward: gradA is too small");
  }
  if (gb && f32Length(info, 7) < static_cast<size_t>(viewReach(shape, gbStrides, 0))) {
    throw Napi::RangeError::New(info.Env(), "whereBackward: gradB is too small");
  }
  auto broadcasts = [&](const std::vector<int64_t>& s) {
    for (size_t d = 0; d < s.size(); ++d)
      if (s[d] == 0 && shape[d] > 1) return true;
    return false;
  };
  // Accumulating into a broadcast gradient from several threads would race: run those serially.
  const bool serial = (ga && broadcasts(gaStrides)) || (gb && broadcasts(gbStrides));
  auto body = [&](int64_t begin, int64_t end) {
    const std::vector<int64_t>* s[3] = {&m.strides, &gaStrides, &gbStrides};
    const int64_t base[3] = {m.offset, 0, 0};
    StridedIndex<3> it(shape, s, base, begin);
    for (int64_t i = begin; i < end; ++i, it.next()) {
      if (m.data[it.offset[0]] != 0.0f) {
        if (ga) ga[it.offset[1]] += g[i];
      } else if (gb) {
        gb[it.offset[2]] += g[i];
      }
    }
  };
  if (serial)
    body(0, n);
  else
    parallel_for(n, 1 << 14, body);
  return info.Env().Undefined();
}

AHA_EXPORT("whereForward", WhereForward);
AHA_EXPORT("whereBackward", WhereBackward);

}  // namespace
}  // namespace aha
