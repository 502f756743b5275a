// Reductions over strided views: sum (and mean, via `scale`) over any set of dims, and max over one dim with its
// argmax. TypeScript permutes the view so the kept dims come first and the reduced dims last, so one kernel serves
// every choice of dims without copying the input.
//   sumForward: out[o] = scale · Σ_j x[o, j]   (o over kept dims, j over reduced dims; accumulated in float64)
//   maxForward: out[o] = max_j x[o, j], argmax[o] = first j reaching it (NaN wins, like torch.max)
//   maxBackward: gx[o, argmax[o]] = g[o], zero elsewhere.
// The backward of sum is a broadcast of g (a strided copy on the TypeScript side), so it needs no kernel here.
// Leaves out: prod, min, argmin, var (not used by the model or the losses).
#include <cmath>

#include "args.h"
#include "parallel.h"
#include "registry.h"
#include "strided.h"

namespace aha {
namespace {

// Offset of flat index `flat` of a row-major walk over (shape, strides).
int64_t offsetOf(int64_t flat, const std::vector<int64_t>& shape, const std::vector<int64_t>& strides) {
  int64_t off = 0;
  for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {
    off += (flat % shape[d]) * strides[d];
    flat /= shape[d];
  }
  return off;
}

// (shape, strides, offset, x, keptDims, scale, out): the first keptDims dims of shape are kept, the rest reduced.
Napi::Value SumForward(const Napi::CallbackInfo& info) {
  const char* name = "sumForward";
  auto shape = intsArg(info, 0, name);
  auto strides = intsArg(info, 1, name);
  const int64_t offset = intArg(info, 2, name);
  if (strides.size() != shape.size()) throw Napi::RangeError::New(info.Env(), "sumForward: strides rank mismatch");
  const float* x = f32Arg(info, 3, name, viewReach(shape, strides, offset));
  const int64_t k = intArg(info, 4, name, 0, static_cast<int64_t>(shape.size()));
  const double scale = numArg(info, 5, name);
  const std::vector<int64_t> outerShape(shape.begin(), shape.begin() + k);
  const std::vector<int64_t> outerStrides(strides.begin(), strides.begin() + k);
  const std::vector<int64_t> innerShape(shape.begin() + k, shape.end());
  const std::vector<int64_t> innerStrides(strides.begin() + k, strides.end());
  const int64_t outer = product(outerShape), inner = product(innerShape);
  float* out = f32Arg(info, 6, name, outer);
  if (outer == 0) return info.Env().Undefined();
  // Reducing leading dims of rows (sum(x, 0) of [N, D], a bias gradient): the last kept dim has stride 1, so add whole
  // rows into a float64 accumulator per column block instead of walking each column down memory with a stride.
  const int64_t width = k > 0 ? outerShape.back() : 0;
  if (k > 0 && outerStrides.back() == 1 && width >= 16 && inner > 1) {
    const std::vector<int64_t> blockShape(outerShape.begin(), outerShape.end() - 1);
    const std::vector<int64_t> blockStrides(outerStrides.begin(), outerStrides.end() - 1);
    const int64_t blocks = outer / width, colChunk = 512, colChunks = (width + colChunk - 1) / colChunk;
    parallel_for(blocks * colChunks, 1, [&](int64_t begin, int64_t end) {
      double acc[colChunk];
      for (int64_t t = begin; t < end; ++t) {
        const int64_t blk = t / colChunks, c0 = (t % colChunks) * colChunk, c1 = std::min(width, c0 + colChunk);
        const int64_t base = offset + offsetOf(blk, blockShape, blockStrides) + c0;
        for (int64_t c = 0; c < c1 - c0; ++c) acc[c] = 0.0;
        const std::vector<int64_t>* s[1] = {&innerStrides};
        const int64_t b[1] = {base};
        StridedIndex<1> it(innerShape, s, b, 0);
        for (int64_t j = 0; j < inner; ++j, it.next()) {
          const float* row = x + it.offset[0];
          for (int64_t c = 0; c < c1 - c0; ++c) acc[c] += row[c];
        }
        float* o = out + blk * width + c0;
        for (int64_t c = 0; c < c1 - c0; ++c) o[c] = static_cast<float>(acc[c] * scale);
      }
    });
    return info.Env().Undefined();
  }
  // Few long rows (a full reduction, a loss over tokens): split each row into chunks so all threads take part, then
  // add the chunk partials in order (deterministic for a fixed thread count and size).
  const int64_t chunkLen = INT64_C(1) << 15;
  const int64_t chunks = outer >= 4 * num_threads() ? 1 : std::max<int64_t>(1, (inner + chunkLen - 1) / chunkLen);
  const int64_t span = (inner + chunks - 1) / std::max<int64_t>(chunks, 1);
  const bool flatInner = innerStrides == contiguousStrides(innerShape);
  std::vector<double> partial(static_cast<size_t>(sizeOf(outer, chunks)), 0.0);
  parallel_for(outer * chunks, chunks > 1 ? 1 : std::max<int64_t>(1, (INT64_C(1) << 14) / std::max<int64_t>(inner, 1)),
               [&](int64_t begin, int64_t end) {
                 for (int64_t t = begin; t < end; ++t) {
                   const int64_t o = t / chunks, c = t % chunks;
                   const int64_t j0 = std::min(inner, c * span), j1 = std::min(inner, j0 + span);
                   const int64_t base = offset + offsetOf(o, outerShape, outerStrides);
                   double acc = 0.0;
                   if (flatInner) {
                     const float* row = x + base;
                     for (int64_t j = j0; j < j1; ++j) acc += row[j];
                   } else if (j1 > j0) {
                     const std::vector<int64_t>* s[1] = {&innerStrides};
                     const int64_t b[1] = {base};
                     StridedIndex<1> it(innerShape, s, b, j0);
                     for (int64_t j = j0; j < j1; ++j, it.next()) acc += x[it.offset[0]];
                   }
                   partial[static_cast<size_t>(t)] = acc;
                 }
               });
  for (int64_t o = 0; o < outer; ++o) {
    double acc = 0.0;
    for (int64_t c = 0; c < chunks; ++c) acc += partial[static_cast<size_t>(o * chunks + c)];
    out[o] = static_cast<float>(acc * scale);
  }
  return info.Env().Undefined();
}

// (shape, strides, offset, x, out, argmax): reduces the last dim of the view (size >= 1 unless the view is empty).
Napi::Value MaxForward(const Napi::CallbackInfo& info) {
  const char* name = "maxForward";
  auto shape = intsArg(info, 0, name);
  auto strides = intsArg(info, 1, name);
  const int64_t offset = intArg(info, 2, name);
  if (shape.empty() || strides.size() != shape.size()) {
    throw Napi::RangeError::New(info.Env(), "maxForward: needs a view of rank >= 1 with matching strides");
  }
  const float* x = f32Arg(info, 3, name, viewReach(shape, strides, offset));
  const std::vector<int64_t> outerShape(shape.begin(), shape.end() - 1);
  const std::vector<int64_t> outerStrides(strides.begin(), strides.end() - 1);
  const int64_t outer = product(outerShape), inner = shape.back(), step = strides.back();
  if (outer > 0 && inner == 0) throw Napi::RangeError::New(info.Env(), "maxForward: cannot reduce an empty dim");
  float* out = f32Arg(info, 4, name, outer);
  int32_t* arg = i32Arg(info, 5, name, outer);
  parallel_for(outer, std::max<int64_t>(1, (INT64_C(1) << 14) / std::max<int64_t>(inner, 1)),
               [&](int64_t begin, int64_t end) {
                 for (int64_t o = begin; o < end; ++o) {
                   const float* row = x + offset + offsetOf(o, outerShape, outerStrides);
                   float best = row[0];
                   int64_t bestJ = 0;
                   for (int64_t j = 1; j < inner && best == best; ++j) {
                     const float v = row[j * step];
                     if (v > best || v != v) {
                       best = v;
                       bestJ = j;
                     }
                   }
                   out[o] = best;
                   arg[o] = static_cast<int32_t>(bestJ);
                 }
               });
  return info.Env().Undefined();
}

// (shape, gxStrides, g, argmax, gx): shape is the (permuted) view maxForward reduced; gxStrides map it onto the zeroed
// contiguous gradient buffer of the original input.
Napi::Value MaxBackward(const Napi::CallbackInfo& info) {
  const char* name = "maxBackward";
  auto shape = intsArg(info, 0, name);
  auto gxStrides = intsArg(info, 1, name);
  if (shape.empty() || gxStrides.size() != shape.size()) {
    throw Napi::RangeError::New(info.Env(), "maxBackward: needs a view of rank >= 1 with matching strides");
  }
  const std::vector<int64_t> outerShape(shape.begin(), shape.end() - 1);
  const std::vector<int64_t> outerStrides(gxStrides.begin(), gxStrides.end() - 1);
  const int64_t outer = product(outerShape), inner = shape.back(), step = gxStrides.back();
  const float* g = f32Arg(info, 2, name, outer);
  const int32_t* arg = i32Arg(info, 3, name, outer);
  float* gx = f32Arg(info, 4, name, viewReach(shape, gxStrides, 0));
  for (int64_t o = 0; o < outer; ++o) {
    if (arg[o] < 0 || arg[o] >= inner) throw Napi::RangeError::New(info.Env(), "maxBackward: argmax out of range");
  }
  parallel_for(outer, 1 << 12, [&](int64_t begin, int64_t end) {
    for (int64_t o = begin; o < end; ++o) gx[offsetOf(o, outerShape, outerStrides) + arg[o] * step] += g[o];
  });
  return info.Env().Undefined();
}

AHA_EXPORT("sumForward", SumForward);
AHA_EXPORT("maxForward", MaxForward);
AHA_EXPORT("maxBackward", MaxBackward);

}  // namespace
}  // namespace aha
