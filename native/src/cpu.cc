// SIMD level detection (see cpu.h): cpuid for the instruction sets, XGETBV for the register state the OS saves on a
// context switch (an OS that does not save zmm registers makes AVX-512 unusable even where cpuid reports it).
#include "cpu.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#if AHA_X86
#include <cpuid.h>
#endif

namespace aha {
namespace {

#if AHA_X86
uint64_t xcr0() {
  uint32_t lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}
#endif

SimdLevel detect() {
#if AHA_X86
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return SimdLevel::kPortable;
  const bool fma = c & (1u << 12), osxsave = c & (1u << 27), avx = c & (1u << 28);
  if (!osxsave || !avx || !fma) return SimdLevel::kPortable;
  const uint64_t xcr = xcr0();
  if ((xcr & 0x6) != 0x6) return SimdLevel::kPortable;  // XMM and YMM state
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return SimdLevel::kPortable;
  const bool avx2 = b & (1u << 5), avx512f = b & (1u << 16);
  if (!avx2) return SimdLevel::kPortable;
  // Opmask, upper halves of zmm0-15 and zmm16-31 (bits 5-7) on top of XMM / YMM.
  if (avx512f && (xcr & 0xE6) == 0xE6) return SimdLevel::kAvx512;
  return SimdLevel::kAvx2;
#else
  return SimdLevel::kPortable;
#endif
}

struct Choice {
  SimdLevel level = SimdLevel::kPortable;
  std::string error;  // empty when the environment is consistent
};

const Choice& choice() {
  static const Choice chosen = [] {
    Choice out;
    const SimdLevel supported = simd_level_supported();
    out.level = supported;
    const char* disable = std::getenv("AHA_DISABLE_SIMD");
    const char* forced = std::getenv("AHA_SIMD");
    const bool disabled = disable && std::strcmp(disable, "1") == 0;
    if (disable && *disable && !disabled && std::strcmp(disable, "0") != 0) {
      out.error = std::string("AHA_DISABLE_SIMD must be 1 or 0, got \"") + disable + "\"";
      return out;
    }
    if (!forced || !*forced) {
      if (disabled) out.level = SimdLevel::kPortable;
      return out;
    }
    SimdLevel want;
    if (std::strcmp(forced, "portable") == 0) {
      want = SimdLevel::kPortable;
    } else if (std::strcmp(forced, "avx2") == 0) {
      want = SimdLevel::kAvx2;
    } else if (std::strcmp(forced, "avx512") == 0) {
      want = SimdLevel::kAvx512;
    } else {
      out.error = std::string("AHA_SIMD must be one of portable, avx2, avx512, got \"") + forced + "\"";
      return out;
    }
    if (disabled && want != SimdLevel::kPortable) {
      out.error = std::string("AHA_DISABLE_SIMD=1 contradicts AHA_SIMD=") + forced;
      return out;
    }
    if (want > supported) {
      out.error = std::string("AHA_SIMD=") + forced + " but this CPU (or its OS) supports at most " +
                  simd_level_name(supported);
      return out;
    }
    out.level = want;
    return out;
  }();
  return chosen;
}

}  // namespace

SimdLevel simd_level_supported() {
  static const SimdLevel level = detect();
  return level;
}

SimdLevel simd_level() {
  static const SimdLevel level = choice().level;
  return level;
}

const char* simd_level_name(SimdLevel level) {
  switch (level) {
    case SimdLevel::kAvx512: return "avx512";
    case SimdLevel::kAvx2: return "avx2";
    default: return "portable";
  }
}

const char* simd_config_error() {
  const Choice& c = choice();
  return c.error.empty() ? nullptr : c.error.c_str();
}

}  // namespace aha
