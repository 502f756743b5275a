// The flat table of native exports. Each op file registers its functions with AHA_EXPORT at static-initialisation
// time, so adding an op is adding a file: addon.cc walks the table once when the module loads.
#pragma once
#include <napi.h>

#include <vector>

namespace aha {

using ExportFn = Napi::Value (*)(const Napi::CallbackInfo&);

struct Registration {
  const char* name;
  ExportFn fn;
};

std::vector<Registration>& registry();

struct Registrar {
  Registrar(const char* name, ExportFn fn) { registry().push_back({name, fn}); }
};

}  // namespace aha

#define AHA_CONCAT_INNER(a, b) a##b
#define AHA_CONCAT(a, b) AHA_CONCAT_INNER(a, b)
#define AHA_EXPORT(name, fn) static ::aha::Registrar AHA_CONCAT(aha_registrar_, __LINE__)(name, fn)
