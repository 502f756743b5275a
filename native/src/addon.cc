// Module entry: exports every registered kernel plus a few runtime queries (threads, SIMD, CUDA availability).
#include <napi.h>

#include "cpu.h"
#include "parallel.h"
#include "registry.h"

namespace aha {

std::vector<Registration>& registry() {
  static std::vector<Registration> table;
  return table;
}

namespace {

Napi::Value NumThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), num_threads()); }

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), "setNumThreads: argument 0 must be a number");
  }
  int n = info[0].As<Napi::Number>().Int32Value();
  if (n < 1 || n > 1024) throw Napi::RangeError::New(info.Env(), "setNumThreads: must be in [1, 1024]");
  set_num_threads(n);
  return info.Env().Undefined();
}

Napi::Value SimdLevel(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), cpu_has_avx2_fma() ? "avx2+fma" : "portable");
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("numThreads", Napi::Function::New(env, NumThreads, "numThreads"));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads, "setNumThreads"));
  exports.Set("simdLevel", Napi::Function::New(env, SimdLevel, "simdLevel"));
  for (const auto& r : registry()) exports.Set(r.name, Napi::Function::New(env, r.fn, r.name));
  return exports;
}

}  // namespace
}  // namespace aha

static Napi::Object InitAhaNative(Napi::Env env, Napi::Object exports) { return aha::Init(env, exports); }

NODE_API_MODULE(aha_native, InitAhaNative)
