// Module entry: exports every registered kernel plus a few runtime queries (threads, SIMD, CUDA availability).
//
// Every export goes through `invoke` instead of node-addon-api's own callback wrapper. That wrapper catches a
// Napi::Error and rethrows it into JS; when the env is shutting down (a worker_threads Worker terminated while a kernel
// runs) the rethrow fails, and node-addon-api answers the failure by throwing a new C++ exception out of its catch
// block, through the C boundary: std::terminate, and the whole process dies with "terminate called after throwing an
// instance of 'Napi::Error'". `invoke` catches everything (Napi::Error, std::bad_alloc, any std::exception) and hands
// it to JS with napi_throw, ignoring the status: a throw that cannot happen means the env is going away and no JS will
// see the result anyway, so there is nobody left to tell.
#include <napi.h>

#include <exception>
#include <new>
#include <stdexcept>
#include <string>

#include "cpu.h"
#include "parallel.h"
#include "registry.h"

namespace aha {

std::vector<Registration>& registry() {
  static std::vector<Registration> table;
  return table;
}

namespace {

// Throws `make()` into JS unless an exception is already pending or the env cannot run JS any more. Never throws.
template <class Make>
void throwQuietly(napi_env env, Make make) noexcept {
  try {
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) != napi_ok || pending) return;
    napi_value error = make();
    if (error != nullptr) napi_throw(env, error);  // status ignored on purpose: see the file comment
  } catch (...) {
    // Building the error itself failed (the env is terminating): nothing can be reported.
  }
}

napi_value errorFromMessage(napi_env env, const char* message, bool range) {
  napi_value text = nullptr, error = nullptr;
  if (napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &text) != napi_ok) return nullptr;
  const napi_status status =
      range ? napi_create_range_error(env, nullptr, text, &error) : napi_create_error(env, nullptr, text, &error);
  return status == napi_ok ? error : nullptr;
}

// The one C entry point of every export: runs the registered function and turns any C++ exception into a JS one.
napi_value invoke(napi_env env, napi_callback_info cbinfo) noexcept {
  try {
    void* data = nullptr;
    if (napi_get_cb_info(env, cbinfo, nullptr, nullptr, nullptr, &data) != napi_ok || data == nullptr) return nullptr;
    const auto fn = static_cast<const Registration*>(data)->fn;
    Napi::CallbackInfo info(env, cbinfo);
    return fn(info);
  } catch (const Napi::Error& e) {
    throwQuietly(env, [&] { return static_cast<napi_value>(e.Value()); });
  } catch (const std::overflow_error& e) {  // SizeOverflow (checked.h): a size, extent or offset beyond int64
    throwQuietly(env, [&] { return errorFromMessage(env, e.what(), true); });
  } catch (const std::bad_alloc&) {
    throwQuietly(env, [&] { return errorFromMessage(env, "aha native: out of memory", true); });
  } catch (const std::exception& e) {
    throwQuietly(env, [&] { return errorFromMessage(env, e.what(), false); });
  } catch (...) {
    throwQuietly(env, [&] { return errorFromMessage(env, "aha native: unknown C++ exception", false); });
  }
  return nullptr;
}

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

Napi::Value SimdLevelNow(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), simd_level_name(simd_level()));
}

// The levels this CPU supports, narrowest first (tests run each one in a child process with AHA_SIMD set).
Napi::Value SimdLevels(const Napi::CallbackInfo& info) {
  const int widest = static_cast<int>(simd_level_supported());
  Napi::Array out = Napi::Array::New(info.Env());
  for (int l = 0; l <= widest; ++l) out.Set(l, simd_level_name(static_cast<SimdLevel>(l)));
  return out;
}

AHA_EXPORT("numThreads", NumThreads);
AHA_EXPORT("setNumThreads", SetNumThreads);
AHA_EXPORT("simdLevel", SimdLevelNow);
AHA_EXPORT("simdLevels", SimdLevels);

}  // namespace
}  // namespace aha

// Module init in plain N-API, for the reason `invoke` exists: the addon is loaded on the first kernel call, so a
// Worker terminated at that moment makes these calls fail, and node-addon-api's init wrapper would answer the failure
// with a C++ exception thrown through the C boundary (std::terminate). Here a failed call just ends the load.
NAPI_MODULE_INIT() {
  // AHA_SIMD / AHA_DISABLE_SIMD asking for a level this CPU cannot run (or an unknown value): refuse to load.
  if (const char* error = aha::simd_config_error()) {
    napi_throw_error(env, nullptr, (std::string("@aha/native: ") + error).c_str());
    return nullptr;
  }
  // The table is complete (static initialisation ran) and never changes again, so pointers into it stay valid.
  for (const auto& r : aha::registry()) {
    napi_value fn = nullptr;
    if (napi_create_function(env, r.name, NAPI_AUTO_LENGTH, aha::invoke, const_cast<aha::Registration*>(&r), &fn) !=
        napi_ok) {
      return nullptr;
    }
    if (napi_set_named_property(env, exports, r.name, fn) != napi_ok) return nullptr;
  }
  return exports;
}
