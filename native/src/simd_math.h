// Vector math shared by the AVX2 and AVX-512 kernels (softmax-like reductions in cross-entropy, the fused LM head,
// attention, SwiGLU). One definition, so every kernel rounds e^x the same way.
#pragma once
#include "cpu.h"

#if AHA_X86
#include <immintrin.h>

namespace aha {

// e^x for 8 floats (Cephes expf: range reduction by ln 2, degree-5 polynomial; ~1 ulp over the float range).
// NaN stays NaN (the clamps take x as their second operand, which min/max return for NaN); x below −87.3 gives
// exactly 0, so −inf logits and masked scores contribute nothing, as with std::exp.
AHA_TARGET_AVX2 inline __m256 exp256(__m256 x) {
  const __m256 lo = _mm256_set1_ps(-87.3365478515625f), hi = _mm256_set1_ps(88.3762626647949f);
  const __m256 under = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
  x = _mm256_max_ps(lo, _mm256_min_ps(hi, x));
  __m256 fx = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f)));
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
  __m256 y = _mm256_set1_ps(1.9875691500e-4f);
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507e-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073e-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894e-2f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459e-1f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201e-1f));
  y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.f)));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(fx), _mm256_set1_epi32(127)), 23);
  return _mm256_andnot_ps(under, _mm256_mul_ps(y, _mm256_castsi256_ps(e)));
}

// e^x for 16 floats: exp256's operations lane for lane (same constants, FMAs, floor, clamps and the same zeroing
// below −87.3), so every lane is bit-identical to exp256 on the same input and a kernel gives the same results at
// the avx2 and avx512 levels. The zero-masked forms with every lane selected are the plain operations; they stand in
// for them because GCC 12's plain forms start from an "undefined" register and trip -Wmaybe-uninitialized.
AHA_TARGET_AVX512 inline __m512 exp512(__m512 x) {
  const __mmask16 all = 0xFFFF;
  const __m512 lo = _mm512_set1_ps(-87.3365478515625f), hi = _mm512_set1_ps(88.3762626647949f);
  const __mmask16 under = _mm512_cmp_ps_mask(x, lo, _CMP_LT_OQ);
  x = _mm512_maskz_max_ps(all, lo, _mm512_maskz_min_ps(all, hi, x));
  __m512 fx =
      _mm512_maskz_roundscale_ps(all, _mm512_fmadd_ps(x, _mm512_set1_ps(1.44269504088896341f), _mm512_set1_ps(0.5f)),
                                 _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  x = _mm512_fnmadd_ps(fx, _mm512_set1_ps(0.693359375f), x);
  x = _mm512_fnmadd_ps(fx, _mm512_set1_ps(-2.12194440e-4f), x);
  __m512 y = _mm512_set1_ps(1.9875691500e-4f);
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(1.3981999507e-3f));
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(8.3334519073e-3f));
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(4.1665795894e-2f));
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(1.6666665459e-1f));
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(5.0000001201e-1f));
  y = _mm512_fmadd_ps(y, _mm512_mul_ps(x, x), _mm512_add_ps(x, _mm512_set1_ps(1.f)));
  const __m512i e =
      _mm512_maskz_slli_epi32(all, _mm512_add_epi32(_mm512_maskz_cvttps_epi32(all, fx), _mm512_set1_epi32(127)), 23);
  return _mm512_maskz_mul_ps(static_cast<__mmask16>(~under), y, _mm512_castsi512_ps(e));
}

}  // namespace aha

#endif
