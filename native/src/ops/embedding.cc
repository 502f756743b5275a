// embedding: out[t, :] = weight[ids[t], :] (torch.nn.Embedding / HF `embed_tokens`), and its backward, a scatter-add
// of the output gradient rows into a zeroed [V, D] weight gradient. Forward threads over tokens; backward threads
// over column blocks of D so repeated ids never race. Leaves out padding_idx and max_norm.
#include <algorithm>
#include <string>

#include "args.h"
#include "parallel.h"
#include "registry.h"

namespace aha {
namespace {

void checkIds(const Napi::Env& env, const char* op, const int32_t* ids, int64_t n, int64_t V) {
  for (int64_t t = 0; t < n; ++t) {
    if (ids[t] < 0 || ids[t] >= V) {
      throw Napi::RangeError::New(env, std::string(op) + ": id " + std::to_string(ids[t]) + " at position " +
                                           std::to_string(t) + " is outside [0, " + std::to_string(V) + ")");
    }
  }
}

// (weight [V, D], V, D, ids [n], out [n, D])
Napi::Value EmbeddingForward(const Napi::CallbackInfo& info) {
  const char* name = "embeddingForward";
  const int64_t V = intArg(info, 1, name), D = intArg(info, 2, name);
  const float* w = f32Arg(info, 0, name, static_cast<size_t>(sizeOf(V, D)));
  const int32_t* ids = i32Arg(info, 3, name);
  const int64_t n = static_cast<int64_t>(i32Length(info, 3));
  float* out = f32Arg(info, 4, name, static_cast<size_t>(sizeOf(n, D)));
  checkIds(info.Env(), name, ids, n, V);
  parallel_for(n, std::max<int64_t>(1, 16384 / std::max<int64_t>(D, 1)), [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) std::copy(w + ids[t] * D, w + (ids[t] + 1) * D, out + t * D);  // [D]
  });
  return info.Env().Undefined();
}

// (gradOut [n, D], V, D, ids [n], gradWeight [V, D] zeroed): gradWeight[ids[t], :] += gradOut[t, :]
Napi::Value EmbeddingBackward(const Napi::CallbackInfo& info) {
  const char* name = "embeddingBackward";
  const int64_t V = intArg(info, 1, name), D = intArg(info, 2, name);
  const int32_t* ids = i32Arg(info, 3, name);
  const int64_t n = static_cast<int64_t>(i32Length(info, 3));
  const float* g = f32Arg(info, 0, name, static_cast<size_t>(sizeOf(n, D)));
  float* gw = f32Arg(info, 4, name, static_cast<size_t>(sizeOf(V, D)));
  checkIds(info.Env(), name, ids, n, V);
  constexpr int64_t block = 64;
  parallel_for((D + block - 1) / block, 1, [&](int64_t b0, int64_t b1) {
    const int64_t j0 = b0 * block, j1 = std::min(D, b1 * block);
    for (int64_t t = 0; t < n; ++t) {
      const float* src = g + t * D;
      float* dst = gw + ids[t] * D;
      for (int64_t j = j0; j < j1; ++j) dst[j] += src[j];
    }
  });
  return info.Env().Undefined();
}

AHA_EXPORT("embeddingForward", EmbeddingForward);
AHA_EXPORT("embeddingBackward", EmbeddingBackward);

}  // namespace
}  // namespace aha
