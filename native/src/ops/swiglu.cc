// swiglu(gate, up) = silu(gate) · up, fused (HF DeepseekV3MLP: act_fn(gate_proj(x)) * up_proj(x)). One pass forward,
// one pass backward; nothing is saved beyond the two inputs the graph already holds: the backward recomputes
// σ(gate) from gate.
//   y = gate · σ(gate) · up
//   d gate = dy · up · σ · (1 + gate · (1 − σ)),   d up = dy · gate · σ
// The portable path is the same float arithmetic, in the same order, as silu (unary.cc) followed by mul (binary.cc),
// so with SIMD off it is bit-identical to the unfused ops. The AVX2+FMA path evaluates exp with a Cephes-style
// polynomial (≤ 2 ulp against libm over the range that matters) 8 lanes at a time, the AVX-512 path the same
// arithmetic 16 lanes at a time (bit-identical to AVX2: exp512 is exp256 lane for lane); chosen at run time (cpu.h) or
// forced off by the `path` argument (1 = portable) for tests. The row helpers are also used by moe_experts.cc.
// Leaves out: strided inputs (the TS side makes them contiguous), other gated activations (GeGLU).
#include <algorithm>
#include <cmath>

#include "args.h"
#include "cpu.h"
#include "parallel.h"
#include "registry.h"
#include "simd_math.h"

#if AHA_X86
#include <immintrin.h>
#endif

namespace aha {

namespace {

inline float sigmoidf(float x) { return 1.0f / (1.0f + std::exp(-x)); }

void forwardPortable(const float* g, const float* u, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float silu = g[i] * sigmoidf(g[i]);
    out[i] = silu * u[i];
  }
}

// gg / gu may be null (that input needs no gradient).
void backwardPortable(const float* dy, const float* g, const float* u, float* gg, float* gu, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float s = sigmoidf(g[i]);
    if (gg) gg[i] = (dy[i] * u[i]) * s * (1.0f + g[i] * (1.0f - s));
    if (gu) gu[i] = dy[i] * (g[i] * s);
  }
}

#if AHA_X86
AHA_TARGET_AVX2 inline __m256 sigmoid8(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  return _mm256_div_ps(one, _mm256_add_ps(one, exp256(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

AHA_TARGET_AVX2 void forwardAvx2(const float* g, const float* u, float* out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 gv = _mm256_loadu_ps(g + i);
    const __m256 silu = _mm256_mul_ps(gv, sigmoid8(gv));
    _mm256_storeu_ps(out + i, _mm256_mul_ps(silu, _mm256_loadu_ps(u + i)));
  }
  forwardPortable(g + i, u + i, out + i, n - i);
}

AHA_TARGET_AVX2 void backwardAvx2(const float* dy, const float* g, const float* u, float* gg, float* gu, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.0f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 gv = _mm256_loadu_ps(g + i), dv = _mm256_loadu_ps(dy + i);
    const __m256 s = sigmoid8(gv);
    if (gg) {
      const __m256 ds = _mm256_mul_ps(s, _mm256_fmadd_ps(gv, _mm256_sub_ps(one, s), one));  // σ·(1 + g·(1 − σ))
      _mm256_storeu_ps(gg + i, _mm256_mul_ps(_mm256_mul_ps(dv, _mm256_loadu_ps(u + i)), ds));
    }
    if (gu) _mm256_storeu_ps(gu + i, _mm256_mul_ps(dv, _mm256_mul_ps(gv, s)));
  }
  backwardPortable(dy + i, g + i, u + i, gg ? gg + i : nullptr, gu ? gu + i : nullptr, n - i);
}

// AVX-512F: 16 lanes of the AVX2 arithmetic (exp512 is exp256 lane for lane), the rest through the AVX2 code, so
// both levels give the same bits for every element.
AHA_TARGET_AVX512 inline __m512 sigmoid16(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  return _mm512_div_ps(one, _mm512_add_ps(one, exp512(_mm512_sub_ps(_mm512_setzero_ps(), x))));
}

AHA_TARGET_AVX512 void forwardAvx512(const float* g, const float* u, float* out, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 gv = _mm512_loadu_ps(g + i);
    const __m512 silu = _mm512_mul_ps(gv, sigmoid16(gv));
    _mm512_storeu_ps(out + i, _mm512_mul_ps(silu, _mm512_loadu_ps(u + i)));
  }
  forwardAvx2(g + i, u + i, out + i, n - i);
}

AHA_TARGET_AVX512 void backwardAvx512(const float* dy, const float* g, const float* u, float* gg, float* gu,
                                      int64_t n) {
  const __m512 one = _mm512_set1_ps(1.0f);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 gv = _mm512_loadu_ps(g + i), dv = _mm512_loadu_ps(dy + i);
    const __m512 s = sigmoid16(gv);
    if (gg) {
      const __m512 ds = _mm512_mul_ps(s, _mm512_fmadd_ps(gv, _mm512_sub_ps(one, s), one));
      _mm512_storeu_ps(gg + i, _mm512_mul_ps(_mm512_mul_ps(dv, _mm512_loadu_ps(u + i)), ds));
    }
    if (gu) _mm512_storeu_ps(gu + i, _mm512_mul_ps(dv, _mm512_mul_ps(gv, s)));
  }
  backwardAvx2(dy + i, g + i, u + i, gg ? gg + i : nullptr, gu ? gu + i : nullptr, n - i);
}
#endif

}  // namespace

// out[i] = silu(g[i]) · u[i] over n contiguous floats, on this thread. simd = use the process's SIMD level (cpu.h).
void swigluRow(const float* g, const float* u, float* out, int64_t n, bool simd) {
#if AHA_X86
  if (simd && cpu_has_avx512()) return forwardAvx512(g, u, out, n);
  if (simd && cpu_has_avx2_fma()) return forwardAvx2(g, u, out, n);
#endif
  forwardPortable(g, u, out, n);
}

// The backward of swigluRow; gg / gu may be null.
void swigluBackwardRow(const float* dy, const float* g, const float* u, float* gg, float* gu, int64_t n, bool simd) {
#if AHA_X86
  if (simd && cpu_has_avx512()) return backwardAvx512(dy, g, u, gg, gu, n);
  if (simd && cpu_has_avx2_fma()) return backwardAvx2(dy, g, u, gg, gu, n);
#endif
  backwardPortable(dy, g, u, gg, gu, n);
}

namespace {

// Work is split in blocks of 8 floats so that which elements take the SIMD body and which the scalar tail never
// depends on the thread count (the two differ in the last bits): results are identical on any number of threads.
constexpr int64_t kLanes = 8;
constexpr int64_t kGrainBlocks = 1 << 10;  // 8192 floats per chunk: exp dominates, so smaller than unary.cc's

template <typename F>
void forBlocks(int64_t n, const F& fn) {
  parallel_for((n + kLanes - 1) / kLanes, kGrainBlocks,
               [&](int64_t b0, int64_t b1) { fn(b0 * kLanes, std::min(b1 * kLanes, n)); });
}

// (gate [n], up [n], n, out [n], path: 0 = auto, 1 = portable)
Napi::Value SwigluForward(const Napi::CallbackInfo& info) {
  const char* name = "swigluForward";
  const int64_t n = intArg(info, 2, name);
  const float* g = f32Arg(info, 0, name, static_cast<size_t>(n));
  const float* u = f32Arg(info, 1, name, static_cast<size_t>(n));
  float* out = f32Arg(info, 3, name, static_cast<size_t>(n));
  const bool simd = intArg(info, 4, name, 0, 1) == 0;
  forBlocks(n, [&](int64_t b, int64_t e) { swigluRow(g + b, u + b, out + b, e - b, simd); });
  return info.Env().Undefined();
}

// (dy [n], gate [n], up [n], n, gradGate [n] | null, gradUp [n] | null, path)
Napi::Value SwigluBackward(const Napi::CallbackInfo& info) {
  const char* name = "swigluBackward";
  const int64_t n = intArg(info, 3, name);
  const float* dy = f32Arg(info, 0, name, static_cast<size_t>(n));
  const float* g = f32Arg(info, 1, name, static_cast<size_t>(n));
  const float* u = f32Arg(info, 2, name, static_cast<size_t>(n));
  float* gg = info[4].IsNull() ? nullptr : f32Arg(info, 4, name, static_cast<size_t>(n));
  float* gu = info[5].IsNull() ? nullptr : f32Arg(info, 5, name, static_cast<size_t>(n));
  const bool simd = intArg(info, 6, name, 0, 1) == 0;
  forBlocks(n, [&](int64_t b, int64_t e) {
    swigluBackwardRow(dy + b, g + b, u + b, gg ? gg + b : nullptr, gu ? gu + b : nullptr, e - b, simd);
  });
  return info.Env().Undefined();
}

AHA_EXPORT("swigluForward", SwigluForward);
AHA_EXPORT("swigluBackward", SwigluBackward);

}  // namespace
}  // namespace aha
