// Run-time CPU feature detection. SIMD kernels are compiled with __attribute__((target(...))) and chosen here, so the
// binary never executes an instruction the machine lacks.
#pragma once
#include <cstdlib>

namespace aha {

inline bool cpu_has_avx2_fma() {
#if defined(__x86_64__) || defined(__i386__)
  static const bool has = [] {
    if (const char* env = std::getenv("AHA_DISABLE_SIMD"); env && env[0] == '1') return false;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return has;
#else
  return false;
#endif
}

}  // namespace aha

#if defined(__x86_64__) || defined(__i386__)
#define AHA_X86 1
#define AHA_TARGET_AVX2 __attribute__((target("avx2,fma")))
#else
#define AHA_X86 0
#define AHA_TARGET_AVX2
#endif
