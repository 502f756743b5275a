// Elementwise binary ops with broadcasting over strided views: add, sub, mul, div, maximum, minimum.
// maximum / minimum send the gradient to a on ties (and where either side is NaN, to whichever produced the NaN).
// Forward: out[i] = f(a[i], b[i]) with a, b given by (shape of out, strides with 0 on broadcast dims, offset).
// Backward: the gradient of each input in its own (contiguous) shape, summing over the dims it was broadcast along.
#include <cmath>

#include "args.h"
#include "parallel.h"
#include "registry.h"
#include "strided.h"

namespace aha {
namespace {

enum BinaryOp { kAdd = 0, kSub = 1, kMul = 2, kDiv = 3, kMax = 4, kMin = 5 };

// a wins for maximum when a >= b or a is NaN (NaN propagates, like torch.maximum); mirrored for minimum.
inline bool aWinsMax(float x, float y) { return x >= y || x != x; }
inline bool aWinsMin(float x, float y) { return x <= y || x != x; }

inline float apply(int op, float x, float y) {
  switch (op) {
    case kAdd: return x + y;
    case kSub: return x - y;
    case kMul: return x * y;
    case kDiv: return x / y;
    case kMax: return aWinsMax(x, y) ? x : y;
    default: return aWinsMin(x, y) ? x : y;
  }
}

// Argument layout shared by forward and backward: (op, outShape, a, aStrides, aOffset, b, bStrides, bOffset, ...).
struct Operands {
  int op;
  std::vector<int64_t> shape, aStrides, bStrides;
  int64_t aOffset, bOffset, n;
  const float *a, *b;
};

int64_t maxReach(const std::vector<int64_t>& shape, const std::vector<int64_t>& strides, int64_t offset) {
  int64_t reach = offset;
  for (size_t d = 0; d < shape.size(); ++d) reach += (shape[d] - 1) * strides[d];
  return reach + 1;
}

Operands readOperands(const Napi::CallbackInfo& info, const char* name) {
  Operands o;
  o.op = static_cast<int>(intArg(info, 0, name, 0, 5));
  o.shape = intsArg(info, 1, name);
  o.n = product(o.shape);
  o.aStrides = intsArg(info, 3, name);
  o.aOffset = intArg(info, 4, name);
  o.bStrides = intsArg(info, 6, name);
  o.bOffset = intArg(info, 7, name);
  if (o.aStrides.size() != o.shape.size() || o.bStrides.size() != o.shape.size()) {
    throw Napi::RangeError::New(info.Env(), std::string(name) + ": strides rank does not match the output rank");
  }
  size_t aNeed = o.n ? static_cast<size_t>(maxReach(o.shape, o.aStrides, o.aOffset)) : 0;
  size_t bNeed = o.n ? static_cast<size_t>(maxReach(o.shape, o.bStrides, o.bOffset)) : 0;
  o.a = f32Arg(info, 2, name, aNeed);
  o.b = f32Arg(info, 5, name, bNeed);
  return o;
}

Napi::Value BinaryForward(const Napi::CallbackInfo& info) {
  Operands o = readOperands(info, "binaryForward");
  float* out = f32Arg(info, 8, "binaryForward", o.n);
  const auto cs = contiguousStrides(o.shape);
  const bool flat = o.aStrides == cs && o.bStrides == cs;
  parallel_for(o.n, 1 << 14, [&](int64_t begin, int64_t end) {
    if (flat) {
      const float* a = o.a + o.aOffset;
      const float* b = o.b + o.bOffset;
      switch (o.op) {
        case kAdd:
          for (int64_t i = begin; i < end; ++i) out[i] = a[i] + b[i];
          break;
        case kSub:
          for (int64_t i = begin; i < end; ++i) out[i] = a[i] - b[i];
          break;
        case kMul:
          for (int64_t i = begin; i < end; ++i) out[i] = a[i] * b[i];
          break;
        case kDiv:
          for (int64_t i = begin; i < end; ++i) out[i] = a[i] / b[i];
          break;
        default:
          for (int64_t i = begin; i < end; ++i) out[i] = apply(o.op, a[i], b[i]);
          break;
      }
      return;
    }
    const std::vector<int64_t>* strides[2] = {&o.aStrides, &o.bStrides};
    const int64_t base[2] = {o.aOffset, o.bOffset};
    StridedIndex<2> it(o.shape, strides, base, begin);
    for (int64_t i = begin; i < end; ++i, it.next()) out[i] = apply(o.op, o.a[it.offset[0]], o.b[it.offset[1]]);
  });
  return info.Env().Undefined();
}

// gradOut [n] contiguous over outShape. gradA / gradB (may be absent: pass null) are zero-filled contiguous buffers in
// the inputs' own shapes; gaStrides / gbStrides map the output index onto them (0 on broadcast dims).
// (op, outShape, a, aStrides, aOffset, b, bStrides, bOffset, gradOut, gradA|null, gaStrides, gradB|null, gbStrides)
Napi::Value BinaryBackward(const Napi::CallbackInfo& info) {
  const char* name = "binaryBackward";
  Operands o = readOperands(info, name);
  const float* g = f32Arg(info, 8, name, o.n);
  float* ga = info[9].IsNull() ? nullptr : f32Arg(info, 9, name);
  auto gaStrides = intsArg(info, 10, name);
  float* gb = info[11].IsNull() ? nullptr : f32Arg(info, 11, name);
  auto gbStrides = intsArg(info, 12, name);
  if (gaStrides.size() != o.shape.size() || gbStrides.size() != o.shape.size()) {
    throw Napi::RangeError::New(info.Env(), "binaryBackward: gradient strides rank does not match the output rank");
  }
  if (ga && f32Length(info, 9) < static_cast<size_t>(o.n ? maxReach(o.shape, gaStrides, 0) : 0)) {
    throw Napi::RangeError::New(info.Env(), "binaryBackward: gradA is too small");
  }
  if (gb && f32Length(info, 11) < static_cast<size_t>(o.n ? maxReach(o.shape, gbStrides, 0) : 0)) {
    throw Napi::RangeError::New(info.Env(), "binaryBackward: gradB is too small");
  }
  // Accumulation into a broadcast gradient races across threads, so only split the work when neither gradient is
  // broadcast (each output element then owns one gradient element).
  auto broadcasts = [&](const std::vector<int64_t>& s) {
    for (size_t d = 0; d < s.size(); ++d)
      if (s[d] == 0 && o.shape[d] > 1) return true;
    return false;
  };
  const bool serial = (ga && broadcasts(gaStrides)) || (gb && broadcasts(gbStrides));
  auto body = [&](int64_t begin, int64_t end) {
    const std::vector<int64_t>* strides[4] = {&o.aStrides, &o.bStrides, &gaStrides, &gbStrides};
    const int64_t base[4] = {o.aOffset, o.bOffset, 0, 0};
    StridedIndex<4> it(o.shape, strides, base, begin);
    for (int64_t i = begin; i < end; ++i, it.next()) {
      const float x = o.a[it.offset[0]], y = o.b[it.offset[1]], gi = g[i];
      float dx, dy;
      switch (o.op) {
        case kAdd:
          dx = gi;
          dy = gi;
          break;
        case kSub:
          dx = gi;
          dy = -gi;
          break;
        case kMul:
          dx = gi * y;
          dy = gi * x;
          break;
        case kDiv:
          dx = gi / y;
          dy = -gi * x / (y * y);
          break;
        case kMax: {
          const bool aw = aWinsMax(x, y);
          dx = aw ? gi : 0.0f;
          dy = aw ? 0.0f : gi;
          break;
        }
        default: {
          const bool aw = aWinsMin(x, y);
          dx = aw ? gi : 0.0f;
          dy = aw ? 0.0f : gi;
          break;
        }
      }
      if (ga) ga[it.offset[2]] += dx;
      if (gb) gb[it.offset[3]] += dy;
    }
  };
  if (serial)
    body(0, o.n);
  else
    parallel_for(o.n, 1 << 14, body);
  return info.Env().Undefined();
}

AHA_EXPORT("binaryForward", BinaryForward);
AHA_EXPORT("binaryBackward", BinaryBackward);

}  // namespace
}  // namespace aha
