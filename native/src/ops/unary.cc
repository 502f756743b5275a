// Elementwise unary ops over strided views: neg, exp, log, sqrt, rsqrt, tanh, relu, sigmoid, silu, abs, square,
// pow (p0 = exponent), clamp (p0 = min, p1 = max; ±inf when absent). One opcode table, like binary.cc.
// Forward: out[i] = f(x[view(i)]). Backward: gx[i] = g[i] · f'(x[view(i)]), recomputed from x (no saved output), so
// the graph holds only the input it already references.
// Leaves out: in-place variants, integer dtypes, and an AVX2 path: these ops are memory-bound (an AVX2+FMA clone of
// the contiguous loops measured no faster than the -O3 SSE build on 4M floats: the cost is writing the fresh output),
// and transcendental ops stay scalar libm (a vector exp is not worth its code next to matmul).
#include <cmath>

#include "args.h"
#include "parallel.h"
#include "registry.h"
#include "strided.h"

namespace aha {
namespace {

enum UnaryOp {
  kNeg = 0,
  kExp,
  kLog,
  kSqrt,
  kRsqrt,
  kTanh,
  kRelu,
  kSigmoid,
  kSilu,
  kAbs,
  kSquare,
  kPow,
  kClamp,
  kNumOps
};

inline float sigmoidf(float x) { return 1.0f / (1.0f + std::exp(-x)); }

inline float fwd(int op, float x, float p0, float p1) {
  switch (op) {
    case kNeg: return -x;
    case kExp: return std::exp(x);
    case kLog: return std::log(x);
    case kSqrt: return std::sqrt(x);
    case kRsqrt: return 1.0f / std::sqrt(x);
    case kTanh: return std::tanh(x);
    case kRelu: return x < 0.0f ? 0.0f : x;  // NaN stays NaN, like torch.relu
    case kSigmoid: return sigmoidf(x);
    case kSilu: return x * sigmoidf(x);
    case kAbs: return std::fabs(x);
    case kSquare: return x * x;
    case kPow: return std::pow(x, p0);
    default: {
      // NaN stays NaN (comparisons are false), like torch.clamp.
      float y = x < p0 ? p0 : x;
      return y > p1 ? p1 : y;
    }
  }
}

// d f / d x at x, times g.
inline float bwd(int op, float x, float g, float p0, float p1) {
  switch (op) {
    case kNeg: return -g;
    case kExp: return g * std::exp(x);
    case kLog: return g / x;
    case kSqrt: return g * 0.5f / std::sqrt(x);
    case kRsqrt: {
      float r = 1.0f / std::sqrt(x);
      return g * -0.5f * r * r * r;
    }
    case kTanh: {
      float t = std::tanh(x);
      return g * (1.0f - t * t);
    }
    case kRelu: return x > 0.0f ? g : 0.0f;
    case kSigmoid: {
      float s = sigmoidf(x);
      return g * s * (1.0f - s);
    }
    case kSilu: {
      float s = sigmoidf(x);
      return g * s * (1.0f + x * (1.0f - s));
    }
    case kAbs: return x > 0.0f ? g : (x < 0.0f ? -g : 0.0f);
    case kSquare: return g * 2.0f * x;
    case kPow: return p0 == 0.0f ? 0.0f : g * p0 * std::pow(x, p0 - 1.0f);
    default: return (x >= p0 && x <= p1) ? g : (x != x ? g : 0.0f);  // clipped → 0 (NaN passes its NaN on)
  }
}

// Cheap ops get a plain contiguous loop the compiler vectorises (-O3); the rest go through fwd() per element.
bool fwdSimple(int op, const float* x, float* out, int64_t n, float p0, float p1) {
  switch (op) {
    case kNeg:
      for (int64_t i = 0; i < n; ++i) out[i] = -x[i];
      return true;
    case kRelu:
      for (int64_t i = 0; i < n; ++i) out[i] = x[i] < 0.0f ? 0.0f : x[i];
      return true;
    case kAbs:
      for (int64_t i = 0; i < n; ++i) out[i] = std::fabs(x[i]);
      return true;
    case kSquare:
      for (int64_t i = 0; i < n; ++i) out[i] = x[i] * x[i];
      return true;
    case kSqrt:
      for (int64_t i = 0; i < n; ++i) out[i] = std::sqrt(x[i]);
      return true;
    case kClamp:
      for (int64_t i = 0; i < n; ++i) {
        float y = x[i] < p0 ? p0 : x[i];
        out[i] = y > p1 ? p1 : y;
      }
      return true;
    default: return false;
  }
}

struct View {
  int op;
  std::vector<int64_t> shape, strides;
  int64_t offset, n;
  const float* x;
  float p0, p1;
};

// (op, shape, x, xStrides, xOffset, p0, p1, ...)
View readView(const Napi::CallbackInfo& info, const char* name) {
  View v;
  v.op = static_cast<int>(intArg(info, 0, name, 0, kNumOps - 1));
  v.shape = intsArg(info, 1, name);
  v.strides = intsArg(info, 3, name);
  v.offset = intArg(info, 4, name);
  if (v.strides.size() != v.shape.size()) {
    throw Napi::RangeError::New(info.Env(), std::string(name) + ": strides rank does not match the shape rank");
  }
  v.n = product(v.shape);
  v.x = f32Arg(info, 2, name, viewReach(v.shape, v.strides, v.offset));
  v.p0 = static_cast<float>(numArg(info, 5, name));
  v.p1 = static_cast<float>(numArg(info, 6, name));
  return v;
}

// (op, shape, x, xStrides, xOffset, p0, p1, out)
Napi::Value UnaryForward(const Napi::CallbackInfo& info) {
  View v = readView(info, "unaryForward");
  float* out = f32Arg(info, 7, "unaryForward", v.n);
  const bool flat = v.strides == contiguousStrides(v.shape);
  parallel_for(v.n, 1 << 14, [&](int64_t begin, int64_t end) {
    if (flat) {
      const float* x = v.x + v.offset;
      if (fwdSimple(v.op, x + begin, out + begin, end - begin, v.p0, v.p1)) return;
      for (int64_t i = begin; i < end; ++i) out[i] = fwd(v.op, x[i], v.p0, v.p1);
      return;
    }
    const std::vector<int64_t>* s[1] = {&v.strides};
    const int64_t base[1] = {v.offset};
    StridedIndex<1> it(v.shape, s, base, begin);
    for (int64_t i = begin; i < end; ++i, it.next()) out[i] = fwd(v.op, v.x[it.offset[0]], v.p0, v.p1);
  });
  return info.Env().Undefined();
}

// (op, shape, x, xStrides, xOffset, p0, p1, gradOut, gradX): gradOut and gradX contiguous over shape.
Napi::Value UnaryBackward(const Napi::CallbackInfo& info) {
  View v = readView(info, "unaryBackward");
  const float* g = f32Arg(info, 7, "unaryBackward", v.n);
  float* gx = f32Arg(info, 8, "unaryBackward", v.n);
  parallel_for(v.n, 1 << 14, [&](int64_t begin, int64_t end) {
    const std::vector<int64_t>* s[1] = {&v.strides};
    const int64_t base[1] = {v.offset};
    StridedIndex<1> it(v.shape, s, base, begin);
    for (int64_t i = begin; i < end; ++i, it.next()) gx[i] = bwd(v.op, v.x[it.offset[0]], g[i], v.p0, v.p1);
  });
  return info.Env().Undefined();
}

AHA_EXPORT("unaryForward", UnaryForward);
AHA_EXPORT("unaryBackward", UnaryBackward);

}  // namespace
}  // namespace aha
