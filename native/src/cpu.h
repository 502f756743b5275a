// Run-time CPU feature detection and the SIMD level the kernels use. SIMD kernels are compiled with
// __attribute__((target(...))) and chosen by the level, so the binary never executes an instruction the machine lacks.
// Levels, narrowest first: portable (plain C++, any CPU), avx2 (AVX2 + FMA, ymm state enabled by the OS), avx512
// (AVX-512F on top of avx2, zmm and opmask state enabled by the OS). The widest the CPU and OS support is used unless
// AHA_SIMD=portable|avx2|avx512 forces one (AHA_DISABLE_SIMD=1 is an alias of AHA_SIMD=portable). Forcing a level the
// CPU lacks, an unknown value or contradicting settings are an error when the addon loads (simd_config_error), never a
// silent fallback. Kernels with no path at a level use the next narrower one (an avx512 process runs AVX2 code where
// no AVX-512 version exists).
#pragma once

namespace aha {

enum class SimdLevel : int { kPortable = 0, kAvx2 = 1, kAvx512 = 2 };

// The level in use (decided once per process, from the CPU and the environment).
SimdLevel simd_level();
// The widest level this CPU and OS support, ignoring the environment.
SimdLevel simd_level_supported();
// "portable" | "avx2" | "avx512".
const char* simd_level_name(SimdLevel level);
// Null when the environment is consistent, else why the requested level cannot be used (the addon refuses to load).
const char* simd_config_error();

inline bool cpu_has_avx2_fma() { return simd_level() >= SimdLevel::kAvx2; }
inline bool cpu_has_avx512() { return simd_level() >= SimdLevel::kAvx512; }

}  // namespace aha

#if defined(__x86_64__) || defined(__i386__)
#define AHA_X86 1
#define AHA_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define AHA_TARGET_AVX512 __attribute__((target("avx512f,avx2,fma")))
#else
#define AHA_X86 0
#define AHA_TARGET_AVX2
#define AHA_TARGET_AVX512
#endif
