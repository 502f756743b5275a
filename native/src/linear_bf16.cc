// linearBf16: y[M, N] = x[M, K] @ W[N, K]ᵀ with W stored as bfloat16 (the top 16 bits of an f32, Uint16Array) and x,
// y and the sums in f32: the decode-time linear layer with half the weight bytes per token (M = 1 is memory-bound, so
// the bytes are the time). bf16 → f32 is exact (a 16-bit shift), so the only difference from an f32 sgemm on the
// widened weights is the order of the K sum. Each output is one dot product of a row of x with a row of W, split
// along N between threads (bit-identical on any thread count) and run inline below kMinParallelWork.
// Kernels per level (cpu.h): portable (8 partial sums), AVX2+FMA (8 lanes: zero-extend, shift, FMA), AVX-512F (16
// lanes, same widening). Left out: AVX-512 BF16's vdpbf16ps (it would round x to bf16 too, a different and less
// exact product), a packed/tiled path for large M (prefill runs the f32 sgemm on widened weights), gradients.
#include <napi.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "args.h"
#include "cpu.h"
#include "parallel.h"
#include "registry.h"

#if AHA_X86
#include <immintrin.h>
#endif

namespace aha {
namespace {

inline float bf16ToF32(uint16_t h) {
  const uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

float dotBf16Portable(const float* x, const uint16_t* w, int64_t n) {
  float s[8] = {};
  int64_t k = 0;
  for (; k + 8 <= n; k += 8)
    for (int l = 0; l < 8; ++l) s[l] += x[k + l] * bf16ToF32(w[k + l]);
  float total = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
  for (; k < n; ++k) total += x[k] * bf16ToF32(w[k]);
  return total;
}

#if AHA_X86
AHA_TARGET_AVX2 inline __m256 loadBf16x8(const uint16_t* w) {
  const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
}

AHA_TARGET_AVX2 float dotBf16Avx2(const float* x, const uint16_t* w, int64_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
  int64_t k = 0;
  for (; k + 32 <= n; k += 32) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + k), loadBf16x8(w + k), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + k + 8), loadBf16x8(w + k + 8), s1);
    s2 = _mm256_fmadd_ps(_mm256_loadu_ps(x + k + 16), loadBf16x8(w + k + 16), s2);
    s3 = _mm256_fmadd_ps(_mm256_loadu_ps(x + k + 24), loadBf16x8(w + k + 24), s3);
  }
  for (; k + 8 <= n; k += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + k), loadBf16x8(w + k), s0);
  alignas(32) float l[8];
  _mm256_store_ps(l, _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
  float total = ((l[0] + l[4]) + (l[1] + l[5])) + ((l[2] + l[6]) + (l[3] + l[7]));
  for (; k < n; ++k) total += x[k] * bf16ToF32(w[k]);
  return total;
}

// The zero-masking forms: GCC 12's unmasked ones start from an "undefined" vector and trip -Wmaybe-uninitialized.
AHA_TARGET_AVX512 inline __m512 loadBf16x16(const uint16_t* w) {
  const __mmask16 all = 0xFFFF;
  const __m512i wide = _mm512_maskz_cvtepu16_epi32(all, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w)));
  return _mm512_castsi512_ps(_mm512_maskz_slli_epi32(all, wide, 16));
}

AHA_TARGET_AVX512 float dotBf16Avx512(const float* x, const uint16_t* w, int64_t n) {
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps(), s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
  int64_t k = 0;
  for (; k + 64 <= n; k += 64) {
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + k), loadBf16x16(w + k), s0);
    s1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + k + 16), loadBf16x16(w + k + 16), s1);
    s2 = _mm512_fmadd_ps(_mm512_loadu_ps(x + k + 32), loadBf16x16(w + k + 32), s2);
    s3 = _mm512_fmadd_ps(_mm512_loadu_ps(x + k + 48), loadBf16x16(w + k + 48), s3);
  }
  for (; k + 16 <= n; k += 16) s0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + k), loadBf16x16(w + k), s0);
  if (k < n) {  // the tail through a zero-padded copy (a masked 16-bit load would need AVX-512BW)
    alignas(64) float xt[16] = {};
    alignas(32) uint16_t wt[16] = {};
    std::memcpy(xt, x + k, sizeof(float) * static_cast<size_t>(n - k));
    std::memcpy(wt, w + k, sizeof(uint16_t) * static_cast<size_t>(n - k));
    s1 = _mm512_fmadd_ps(_mm512_load_ps(xt), loadBf16x16(wt), s1);
  }
  alignas(64) float l[16];
  _mm512_store_ps(l, _mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
  for (int h = 8; h > 0; h /= 2)
    for (int i = 0; i < h; ++i) l[i] += l[i + h];
  return l[0];
}
#endif

using DotBf16 = float (*)(const float*, const uint16_t*, int64_t);

// A Uint16Array argument with at least `minLength` elements (no copy).
const uint16_t* u16Arg(const Napi::CallbackInfo& info, size_t i, const char* op, size_t minLength) {
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_uint16_array) {
    throw argError(info.Env(), op, i, "must be a Uint16Array");
  }
  auto arr = info[i].As<Napi::Uint16Array>();
  if (arr.ElementLength() < minLength)
    throw argError(info.Env(), op, i, "must hold at least " + std::to_string(minLength) + " elements");
  return arr.Data();
}

// (x [M, K], M, K, w bf16 [N, K], N, y [M, N], portable 0 | 1) -> y = x @ wᵀ.
Napi::Value LinearBf16(const Napi::CallbackInfo& info) {
  const char* name = "linearBf16";
  const int64_t M = intArg(info, 1, name), K = intArg(info, 2, name), N = intArg(info, 4, name);
  [[maybe_unused]] const bool portable = intArg(info, 6, name, 0, 1) != 0;  // only read where x86 paths exist
  const float* x = f32Arg(info, 0, name, static_cast<size_t>(sizeOf(M, K)));
  const uint16_t* w = u16Arg(info, 3, name, static_cast<size_t>(sizeOf(N, K)));
  float* y = f32Arg(info, 5, name, static_cast<size_t>(sizeOf(M, N)));
  DotBf16 dot = dotBf16Portable;
#if AHA_X86
  if (!portable && simd_level() == SimdLevel::kAvx512) dot = dotBf16Avx512;
  if (!portable && simd_level() == SimdLevel::kAvx2) dot = dotBf16Avx2;
#endif
  const int64_t work = static_cast<int64_t>(std::min(static_cast<double>(M) * static_cast<double>(N) * K, 1e18));
  parallel_for_work(work, N, std::max<int64_t>(1, (INT64_C(1) << 15) / std::max<int64_t>(M * K, 1)),
                    [&](int64_t j0, int64_t j1) {
                      for (int64_t m = 0; m < M; ++m)
                        for (int64_t j = j0; j < j1; ++j) y[m * N + j] = dot(x + m * K, w + j * K, K);
                    });
  return info.Env().Undefined();
}

}  // namespace

AHA_EXPORT("linearBf16", LinearBf16);

}  // namespace aha
