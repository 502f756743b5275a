// Argument access for native exports: the last check at the boundary. TypeScript validates shapes and ranges first
// and names the user's arguments; these checks only make sure a bad call becomes a JS exception instead of a crash.
#pragma once
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "checked.h"

namespace aha {

inline Napi::Error argError(const Napi::Env& env, const char* op, size_t index, const std::string& what) {
  return Napi::TypeError::New(env, std::string(op) + ": argument " + std::to_string(index) + " " + what);
}

// A Float32Array argument with at least `minLength` elements. Returns a pointer into the JS-owned buffer (no copy).
inline float* f32Arg(const Napi::CallbackInfo& info, size_t i, const char* op, size_t minLength = 0) {
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw argError(info.Env(), op, i, "must be a Float32Array");
  }
  auto arr = info[i].As<Napi::Float32Array>();
  if (arr.ElementLength() < minLength) {
    throw argError(info.Env(), op, i,
                   "has " + std::to_string(arr.ElementLength()) + " elements, needs " + std::to_string(minLength));
  }
  return arr.Data();
}

inline size_t f32Length(const Napi::CallbackInfo& info, size_t i) {
  return info[i].As<Napi::Float32Array>().ElementLength();
}

// An Int32Array argument (token ids, indices) with at least `minLength` elements.
inline int32_t* i32Arg(const Napi::CallbackInfo& info, size_t i, const char* op, size_t minLength = 0) {
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw argError(info.Env(), op, i, "must be an Int32Array");
  }
  auto arr = info[i].As<Napi::Int32Array>();
  if (arr.ElementLength() < minLength) {
    throw argError(info.Env(), op, i,
                   "has " + std::to_string(arr.ElementLength()) + " elements, needs " + std::to_string(minLength));
  }
  return arr.Data();
}

inline size_t i32Length(const Napi::CallbackInfo& info, size_t i) {
  return info[i].As<Napi::Int32Array>().ElementLength();
}

// A non-negative integer argument (sizes, dims). Rejects NaN, fractions and values outside [lo, hi].
inline int64_t intArg(const Napi::CallbackInfo& info, size_t i, const char* op, int64_t lo = 0,
                      int64_t hi = INT64_C(1) << 40) {
  if (info.Length() <= i || !info[i].IsNumber()) throw argError(info.Env(), op, i, "must be a number");
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(v) || v != std::floor(v) || v < static_cast<double>(lo) || v > static_cast<double>(hi)) {
    throw argError(
        info.Env(), op, i,
        "must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + std::to_string(v));
  }
  return static_cast<int64_t>(v);
}

inline double numArg(const Napi::CallbackInfo& info, size_t i, const char* op) {
  if (info.Length() <= i || !info[i].IsNumber()) throw argError(info.Env(), op, i, "must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

// An array of integers (a shape or strides), each checked like intArg.
inline std::vector<int64_t> intsArg(const Napi::CallbackInfo& info, size_t i, const char* op, int64_t lo = 0,
                                    int64_t hi = INT64_C(1) << 40) {
  if (info.Length() <= i || !info[i].IsArray()) throw argError(info.Env(), op, i, "must be an array of integers");
  auto arr = info[i].As<Napi::Array>();
  std::vector<int64_t> out(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); ++k) {
    Napi::Value v = arr[k];
    double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
    if (!std::isfinite(d) || d != std::floor(d) || d < static_cast<double>(lo) || d > static_cast<double>(hi)) {
      throw argError(info.Env(), op, i, "element " + std::to_string(k) + " must be an integer in range");
    }
    out[k] = static_cast<int64_t>(d);
  }
  return out;
}

}  // namespace aha
