{
  # Every file in src/ and src/ops/ is compiled: adding an op is adding one .cc file, no list to edit.
  # SIMD paths are selected at run time (__attribute__((target("avx2,fma"))) + __builtin_cpu_supports), so one build
  # runs on any x86-64 and the portable path compiles everywhere (arm64 included). CUDA lives in cuda/ and is built by a
  # separate, optional step when nvcc is found; it is never required here.
  "targets": [
    {
      "target_name": "aha_native",
      "sources": [
        "<!@(node -p \"require('./tools/sources.cjs')\")"
      ],
      "include_dirs": ["<!@(node -p \"require('node-addon-api').include\")", "src"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions", "-O2", "-O0"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-O2", "-O0"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-fno-math-errno", "-pthread", "-Wall", "-Wno-unused-function"],
      "ldflags": ["-pthread"],
      "xcode_settings": { "GCC_ENABLE_CPP_EXCEPTIONS": "YES", "OTHER_CFLAGS": ["-std=c++17", "-O3"] }
    }
  ]
}
