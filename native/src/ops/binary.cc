// Elementwise binary ops with broadcasting over strided views: add, sub, mul, div, maximum, minimum.
// maximum / minimum send the gradient to a on ties (and where either side is NaN, to whichever produced the NaN).
// Forward: out[i] = f(a[i], b[i]) with a, b given by (shape of out, strides with 0 on broadcast dims, offset).
// Backward: the gradient of each input in its own (contiguous) shape, summing over the dims it was broadcast along.
#include <algorithm>
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
  size_t aNeed = viewReach(o.shape, o.aStrides, o.aOffset);
  size_t bNeed = viewReach(o.shape, o.bStrides, o.bOffset);
  o.a = f32Arg(info, 2, name, aNeed);
  o.b = f32Arg(info, 5, name, bNeed);
  return o;
}

bool sameLayout(const std::vector<int64_t>& strides, const std::vector<int64_t>& cs, const std::vector<int64_t>& shape);
int rowBroadcastSplit(const std::vector<int64_t>& strides, const std::vector<int64_t>& shape);

Napi::Value BinaryForward(const Napi::CallbackInfo& info) {
  Operands o = readOperands(info, "binaryForward");
  float* out = f32Arg(info, 8, "binaryForward", o.n);
  const auto cs = contiguousStrides(o.shape);
  const bool flat = o.aStrides == cs && o.bStrides == cs;
  // A contiguous and b broadcast along its trailing dims (a per-row scale or mask, a scalar): a row loop.
  int64_t rowCols = 0;
  if (!flat && o.n > 0 && sameLayout(o.aStrides, cs, o.shape)) {
    const int d0 = rowBroadcastSplit(o.bStrides, o.shape);
    int64_t rows = 1;
    for (int d = 0; d < d0; ++d) rows *= o.shape[d];
    if (d0 >= 0 && rows < o.n) rowCols = o.n / rows;
  }
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
    if (rowCols > 0) {  // a contiguous, b one value per row of rowCols elements (or a scalar)
      const float* a = o.a + o.aOffset;
      const float* b = o.b + o.bOffset;
      for (int64_t r = begin / rowCols; r * rowCols < end; ++r) {
        const int64_t c0 = std::max(begin, r * rowCols), c1 = std::min(end, (r + 1) * rowCols);
        const float w = b[r];
        switch (o.op) {
          case kAdd:
            for (int64_t i = c0; i < c1; ++i) out[i] = a[i] + w;
            break;
          case kMul:
            for (int64_t i = c0; i < c1; ++i) out[i] = a[i] * w;
            break;
          default:
            for (int64_t i = c0; i < c1; ++i) out[i] = apply(o.op, a[i], w);
            break;
        }
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

// d(a op b)/da · g and d(a op b)/db · g for one element.
inline float gradA(int op, float x, float y, float gi) {
  switch (op) {
    case kAdd:
    case kSub: return gi;
    case kMul: return gi * y;
    case kDiv: return gi / y;
    case kMax: return aWinsMax(x, y) ? gi : 0.0f;
    default: return aWinsMin(x, y) ? gi : 0.0f;
  }
}
inline float gradB(int op, float x, float y, float gi) {
  switch (op) {
    case kAdd: return gi;
    case kSub: return -gi;
    case kMul: return gi * x;
    case kDiv: return -gi * x / (y * y);
    case kMax: return aWinsMax(x, y) ? 0.0f : gi;
    default: return aWinsMin(x, y) ? 0.0f : gi;
  }
}

// The gradient of a (IsA) or b over a flat range, every buffer contiguous: the op is switched on once, outside the
// loops, so each loop is a plain vectorisable one (add's and sub's gradients are copies of g).
template <bool IsA>
void flatGrad(int op, const float* a, const float* b, const float* g, float* out, int64_t begin, int64_t end) {
  switch (op) {
    case kAdd: std::copy(g + begin, g + end, out + begin); break;
    case kSub:
      if (IsA)
        std::copy(g + begin, g + end, out + begin);
      else
        for (int64_t i = begin; i < end; ++i) out[i] = -g[i];
      break;
    case kMul: {
      const float* other = IsA ? b : a;
      for (int64_t i = begin; i < end; ++i) out[i] = g[i] * other[i];
      break;
    }
    default:
      for (int64_t i = begin; i < end; ++i) out[i] = IsA ? gradA(op, a[i], b[i], g[i]) : gradB(op, a[i], b[i], g[i]);
      break;
  }
}

// Whether `strides` walk `shape` exactly as the contiguous strides `cs` do (dims of size 1 have any stride).
bool sameLayout(const std::vector<int64_t>& strides, const std::vector<int64_t>& cs,
                const std::vector<int64_t>& shape) {
  for (size_t d = 0; d < shape.size(); ++d)
    if (shape[d] > 1 && strides[d] != cs[d]) return false;
  return true;
}

// Whether a gradient's strides sum several output elements into one (a stride of 0 on a dim longer than 1).
bool broadcasts(const std::vector<int64_t>& strides, const std::vector<int64_t>& shape) {
  for (size_t d = 0; d < shape.size(); ++d)
    if (strides[d] == 0 && shape[d] > 1) return true;
  return false;
}

// Leading dims over which `strides` are contiguous, when every later dim has stride 0: a tensor broadcast along its
// trailing dims (a per-row gate w [R, 1] against x [R, C], or a scalar: 0). -1 when the layout is anything else.
int rowBroadcastSplit(const std::vector<int64_t>& strides, const std::vector<int64_t>& shape) {
  int d0 = static_cast<int>(shape.size());
  while (d0 > 0 && (strides[d0 - 1] == 0 || shape[d0 - 1] == 1)) --d0;
  int64_t acc = 1;
  for (int d = d0 - 1; d >= 0; --d) {
    if (shape[d] > 1 && strides[d] != acc) return -1;
    acc *= shape[d];
  }
  return d0;
}

// Backward of a (contiguous) op b (per row, see rowBroadcastSplit) for add, sub and mul, viewed as [rows, cols]:
// ga[r, c] = dA(g[r, c]) and gb[r] = sum_c dB(g[r, c]). Threads own rows, so the row sums of gb need no locking
// (one row, i.e. a scalar b, is summed by one thread). Returns false when the case does not apply.
bool rowBroadcastBackward(const Operands& o, const float* g, float* ga, const std::vector<int64_t>& gaS, float* gb,
                          const std::vector<int64_t>& gbS) {
  if (o.op != kAdd && o.op != kSub && o.op != kMul) return false;
  const auto cs = contiguousStrides(o.shape);
  if (!sameLayout(o.aStrides, cs, o.shape) || (ga && !sameLayout(gaS, cs, o.shape))) return false;
  const int d0 = rowBroadcastSplit(o.bStrides, o.shape);
  if (d0 < 0 || (gb && rowBroadcastSplit(gbS, o.shape) != d0)) return false;
  int64_t rows = 1;
  for (int d = 0; d < d0; ++d) rows *= o.shape[d];
  if (rows == o.n) return false;  // b is not broadcast: the flat passes handle it
  const int64_t cols = o.n / rows;
  const float* a = o.a + o.aOffset;
  const float* b = o.b + o.bOffset;
  parallel_for(rows, std::max<int64_t>(1, (INT64_C(1) << 14) / std::max<int64_t>(cols, 1)),
               [&](int64_t r0, int64_t r1) {
                 for (int64_t r = r0; r < r1; ++r) {
                   const float* gr = g + r * cols;
                   const float* ar = a + r * cols;
                   if (ga) {
                     float* out = ga + r * cols;
                     if (o.op == kMul) {
                       const float w = b[r];
                       for (int64_t c = 0; c < cols; ++c) out[c] = gr[c] * w;
                     } else {
                       std::copy(gr, gr + cols, out);
                     }
                   }
                   if (gb) {
                     double sum = 0.0;
                     if (o.op == kMul)
                       for (int64_t c = 0; c < cols; ++c) sum += static_cast<double>(gr[c]) * ar[c];
                     else
                       for (int64_t c = 0; c < cols; ++c) sum += gr[c];
                     gb[r] += static_cast<float>(o.op == kSub ? -sum : sum);
                   }
                 }
               });
  return true;
}

// gradOut [n] contiguous over outShape. gradA / gradB (may be absent: pass null) are contiguous buffers in the inputs'
// own shapes, zero-filled unless `uninit`; gaStrides / gbStrides map the output index onto them (0 on broadcast dims).
// With `uninit` the kernel zeroes (threaded) only the gradients its passes accumulate into; the flat passes overwrite
// theirs, so the usual same-shape gradient is never zeroed at all (a JS fill would be serial).
// (op, outShape, a, aStrides, aOffset, b, bStrides, bOffset, gradOut, gradA|null, gaStrides, gradB|null, gbStrides,
//  uninit?)
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
  if (ga && f32Length(info, 9) < static_cast<size_t>(viewReach(o.shape, gaStrides, 0))) {
    throw Napi::RangeError::New(info.Env(), "binaryBackward: gradA is too small");
  }
  if (gb && f32Length(info, 11) < static_cast<size_t>(viewReach(o.shape, gbStrides, 0))) {
    throw Napi::RangeError::New(info.Env(), "binaryBackward: gradB is too small");
  }
  // One pass per gradient. A gradient that is not broadcast owns one element per output element, so its pass runs
  // in parallel and, when the inputs are contiguous too, as a flat loop the compiler vectorises; a broadcast one sums
  // several output elements into each of its elements, which would race across threads, so its pass is serial.
  const auto cs = contiguousStrides(o.shape);
  const bool flatInputs = sameLayout(o.aStrides, cs, o.shape) && sameLayout(o.bStrides, cs, o.shape);
  // add's and sub's gradients do not read the inputs, so only the gradient's own layout matters (a broadcast
  // mask added to contiguous scores, say).
  const bool valueFree = o.op == kAdd || o.op == kSub;
  // Whether the flat pass (or the row-broadcast pass, which writes gradA the same way) overwrites this gradient.
  auto overwritten = [&](const std::vector<int64_t>& gS) {
    return o.n > 0 && (flatInputs || valueFree) && sameLayout(gS, cs, o.shape);
  };
  if (info.Length() > 13 && info[13].ToBoolean().Value()) {
    for (int which = 0; which < 2; ++which) {
      float* grad = which == 0 ? ga : gb;
      if (!grad || overwritten(which == 0 ? gaStrides : gbStrides)) continue;
      const int64_t len = static_cast<int64_t>(f32Length(info, which == 0 ? 9 : 11));
      parallel_for(len, 1 << 16, [&](int64_t b, int64_t e) { std::fill(grad + b, grad + e, 0.f); });
    }
  }
  if (o.n > 0 && rowBroadcastBackward(o, g, ga, gaStrides, gb, gbStrides)) return info.Env().Undefined();
  for (int which = 0; which < 2; ++which) {
    float* grad = which == 0 ? ga : gb;
    const std::vector<int64_t>& gS = which == 0 ? gaStrides : gbStrides;
    if (!grad) continue;
    if (overwritten(gS)) {
      const float* a = o.a + o.aOffset;
      const float* b = o.b + o.bOffset;
      parallel_for(o.n, 1 << 14, [&](int64_t begin, int64_t end) {
        if (which == 0)
          flatGrad<true>(o.op, a, b, g, grad, begin, end);
        else
          flatGrad<false>(o.op, a, b, g, grad, begin, end);
      });
      continue;
    }
    auto body = [&](int64_t begin, int64_t end) {
      const std::vector<int64_t>* strides[3] = {&o.aStrides, &o.bStrides, &gS};
      const int64_t base[3] = {o.aOffset, o.bOffset, 0};
      StridedIndex<3> it(o.shape, strides, base, begin);
      for (int64_t i = begin; i < end; ++i, it.next())
        grad[it.offset[2]] += which == 0 ? gradA(o.op, o.a[it.offset[0]], o.b[it.offset[1]], g[i])
                                         : gradB(o.op, o.a[it.offset[0]], o.b[it.offset[1]], g[i]);
    };
    if (broadcasts(gS, o.shape))
      body(0, o.n);
    else
      parallel_for(o.n, 1 << 14, body);
  }
  return info.Env().Undefined();
}

AHA_EXPORT("binaryForward", BinaryForward);
AHA_EXPORT("binaryBackward", BinaryBackward);

}  // namespace
}  // namespace aha
