// cat along one dim, and its adjoint. TypeScript views every input as a contiguous [O, S_k, I] (O = product of the
// dims before `dim`, S_k = input k's size along it, I = product of the dims after it); the output is [O, ΣS_k, I].
// Backward slices the contiguous output gradient back into one fresh buffer per input (split's gradient is cat's
// forward on the TypeScript side). Leaves out: strided inputs (TypeScript calls contiguous(), a no-op when already so).
#include <cstring>

#include "args.h"
#include "parallel.h"
#include "registry.h"

namespace aha {
namespace {

// An array of Float32Array (or null where allowNull) with exactly sizes.size() entries.
std::vector<float*> f32ArrayList(const Napi::CallbackInfo& info, size_t i, const char* op, size_t count,
                                 bool allowNull) {
  if (info.Length() <= i || !info[i].IsArray()) throw argError(info.Env(), op, i, "must be an array of Float32Array");
  auto arr = info[i].As<Napi::Array>();
  if (arr.Length() != count) {
    throw argError(info.Env(), op, i,
                   "has " + std::to_string(arr.Length()) + " entries, needs " + std::to_string(count));
  }
  std::vector<float*> out(count, nullptr);
  for (uint32_t k = 0; k < count; ++k) {
    Napi::Value v = arr[k];
    if (allowNull && v.IsNull()) continue;
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
      throw argError(info.Env(), op, i, "entry " + std::to_string(k) + " must be a Float32Array");
    }
    out[k] = v.As<Napi::Float32Array>().Data();
  }
  return out;
}

size_t lengthAt(const Napi::CallbackInfo& info, size_t i, uint32_t k) {
  Napi::Value v = info[i].As<Napi::Array>()[k];
  return v.IsNull() ? 0 : v.As<Napi::Float32Array>().ElementLength();
}

struct Layout {
  int64_t outer, inner, total;
  std::vector<int64_t> sizes, starts;
};

Layout readLayout(const Napi::CallbackInfo& info, const char* name) {
  Layout l;
  l.outer = intArg(info, 0, name);
  l.inner = intArg(info, 1, name);
  l.sizes = intsArg(info, 2, name);
  l.total = 0;
  for (auto s : l.sizes) {
    l.starts.push_back(l.total);
    l.total = addChecked(l.total, s);
  }
  return l;
}

// (outer, inner, sizes, inputs, out)
Napi::Value CatForward(const Napi::CallbackInfo& info) {
  const char* name = "catForward";
  Layout l = readLayout(info, name);
  auto inputs = f32ArrayList(info, 3, name, l.sizes.size(), false);
  for (uint32_t k = 0; k < l.sizes.size(); ++k) {
    if (lengthAt(info, 3, k) < static_cast<size_t>(sizeOf(l.outer, l.sizes[k], l.inner))) {
      throw Napi::RangeError::New(info.Env(), "catForward: input " + std::to_string(k) + " is too small");
    }
  }
  float* out = f32Arg(info, 4, name, sizeOf(l.outer, l.total, l.inner));  // [O, ΣS, I]
  const int64_t parts = static_cast<int64_t>(l.sizes.size());
  const int64_t rowLen = l.total * l.inner;
  parallel_for(l.outer * parts, std::max<int64_t>(1, (INT64_C(1) << 15) / std::max<int64_t>(rowLen, 1)),
               [&](int64_t begin, int64_t end) {
                 for (int64_t t = begin; t < end; ++t) {
                   const int64_t o = t / parts, k = t % parts;
                   const int64_t len = l.sizes[k] * l.inner;
                   if (len == 0) continue;
                   std::memcpy(out + o * rowLen + l.starts[k] * l.inner, inputs[k] + o * len, sizeof(float) * len);
                 }
               });
  return info.Env().Undefined();
}

// (outer, inner, sizes, gradOut, grads): grads[k] (null = not needed) receives input k's slice of gradOut.
Napi::Value CatBackward(const Napi::CallbackInfo& info) {
  const char* name = "catBackward";
  Layout l = readLayout(info, name);
  const float* g = f32Arg(info, 3, name, sizeOf(l.outer, l.total, l.inner));  // [O, ΣS, I]
  auto grads = f32ArrayList(info, 4, name, l.sizes.size(), true);
  for (uint32_t k = 0; k < l.sizes.size(); ++k) {
    if (grads[k] && lengthAt(info, 4, k) < static_cast<size_t>(sizeOf(l.outer, l.sizes[k], l.inner))) {
      throw Napi::RangeError::New(info.Env(), "catBackward: gradient " + std::to_string(k) + " is too small");
    }
  }
  const int64_t parts = static_cast<int64_t>(l.sizes.size());
  const int64_t rowLen = l.total * l.inner;
  parallel_for(l.outer * parts, std::max<int64_t>(1, (INT64_C(1) << 15) / std::max<int64_t>(rowLen, 1)),
               [&](int64_t begin, int64_t end) {
                 for (int64_t t = begin; t < end; ++t) {
                   const int64_t o = t / parts, k = t % parts;
                   const int64_t len = l.sizes[k] * l.inner;
                   if (!grads[k] || len == 0) continue;
                   std::memcpy(grads[k] + o * len, g + o * rowLen + l.starts[k] * l.inner, sizeof(float) * len);
                 }
               });
  return info.Env().Undefined();
}

AHA_EXPORT("catForward", CatForward);
AHA_EXPORT("catBackward", CatBackward);

}  // namespace
}  // namespace aha
