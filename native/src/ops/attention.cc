// Fused scaled dot-product attention (FlashAttention-2, Dao 2023, Algorithms 1 and 2, on CPU tiles): the [T, S]
// score matrix of a head is never stored. Forward: for a tile of query rows, walk tiles of keys, keep the running row
// max m and sum l (online softmax), rescale the output accumulator, and save one logsumexp per row. Backward:
// recompute P = exp(q·k·scale − lse) tile by tile, with D = rowsum(dO ∘ O):
//   dV += Pᵀ dO,   dS = P ∘ (dO Vᵀ − D) · scale,   dQ += dS K,   dK += dSᵀ Q.
// Letters: B batch, H query heads, Hk key/value heads (H, or 1 shared by all heads as in MLA's absorbed latent path),
// G = H / Hk query heads per key/value head, T queries, S keys, Dq = q/k dim, Dv = v dim, R = G·T query rows sharing
// one key/value head. Masking: with `causal`, query t sees keys s ≤ t + (S − T) (the queries are the last T of S
// positions); with a key mask [B, S], only keys whose byte is non-zero. A query row that sees no key gets output 0,
// lse −∞ and zero gradients (left padding makes such rows; a softmax over nothing has no value to give).
// Optional second score term q2·k2ᵀ (scores = (q·kᵀ + q2·k2ᵀ)·scale) so MLA scores [c_KV | k_pe] without a concat.
// k, k2 and v are read through (batch, head, position) strides with a unit-stride last dim, so cache views, a
// broadcast head (stride 0) and v narrowed out of k need no copy; q, q2 are contiguous. Gradients are contiguous.
// Work split: the forward runs (batch, key/value head, tile of query rows) in parallel; the backward runs (batch,
// key/value head) in parallel, each task owning its dK/dV rows, so nothing is shared and results do not depend on the
// thread count. AVX-512F or AVX2+FMA inner loops (dot products, row accumulation, exp) are picked at run time by the
// SIMD level (cpu.h); a portable path runs elsewhere and under AHA_SIMD=portable. Leaves out: dropout, attention
// bias/ALiBi, sliding windows, float16.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

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

constexpr int64_t kRowTile = 32;  // query rows per task / backward tile: their key tiles stay in L1/L2
constexpr int64_t kKeyTile = 64;  // keys per tile: [64, Dq] + [64, Dv] floats fit L1/L2 at MLA's head dims
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// ---------------------------------------------------------------------------------------------------- inner loops

// out[j] = scale · (a · b_j) for j < n, b_j = b + j·ldb, vectors of length D.
void dotRowsPortable(const float* a, const float* b, int64_t ldb, int64_t n, int64_t D, float scale, float* out) {
  for (int64_t j = 0; j < n; ++j) {
    const float* bj = b + j * ldb;
    float s = 0.f;
    for (int64_t d = 0; d < D; ++d) s += a[d] * bj[d];
    out[j] = s * scale;
  }
}

// out[D] += Σ_i w[i·ldw] · x_i for i < n, x_i = x + i·ldx (zero weights skipped: masked keys, padding rows).
void accumRowsPortable(const float* w, int64_t ldw, const float* x, int64_t ldx, int64_t n, int64_t D, float* out) {
  for (int64_t i = 0; i < n; ++i) {
    const float wi = w[i * ldw];
    if (wi == 0.f) continue;
    const float* xi = x + i * ldx;
    for (int64_t d = 0; d < D; ++d) out[d] += wi * xi[d];
  }
}

// p[j] = exp(x[j] − shift) (0 for x = −∞), returns Σ p. p may alias x.
float expShiftPortable(const float* x, int64_t n, float shift, float* p) {
  float s = 0.f;
  for (int64_t j = 0; j < n; ++j) {
    const float d = x[j] - shift;
    p[j] = d < -104.f ? 0.f : std::exp(d);
    s += p[j];
  }
  return s;
}

#if AHA_X86
AHA_TARGET_AVX2 inline float hsum(__m256 v) {
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(t, _mm_shuffle_ps(t, t, 1)));
}

AHA_TARGET_AVX2 void dotRowsAvx2(const float* a, const float* b, int64_t ldb, int64_t n, int64_t D, float scale,
                                 float* out) {
  const int64_t D8 = D & ~int64_t{7};
  int64_t j = 0;
  for (; j + 4 <= n; j += 4) {  // one load of a feeds four keys
    const float *b0 = b + j * ldb, *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    for (int64_t d = 0; d < D8; d += 8) {
      const __m256 av = _mm256_loadu_ps(a + d);
      s0 = _mm256_fmadd_ps(av, _mm256_loadu_ps(b0 + d), s0);
      s1 = _mm256_fmadd_ps(av, _mm256_loadu_ps(b1 + d), s1);
      s2 = _mm256_fmadd_ps(av, _mm256_loadu_ps(b2 + d), s2);
      s3 = _mm256_fmadd_ps(av, _mm256_loadu_ps(b3 + d), s3);
    }
    float r0 = hsum(s0), r1 = hsum(s1), r2 = hsum(s2), r3 = hsum(s3);
    for (int64_t d = D8; d < D; ++d) {
      r0 += a[d] * b0[d], r1 += a[d] * b1[d], r2 += a[d] * b2[d], r3 += a[d] * b3[d];
    }
    out[j] = r0 * scale, out[j + 1] = r1 * scale, out[j + 2] = r2 * scale, out[j + 3] = r3 * scale;
  }
  for (; j < n; ++j) {
    const float* bj = b + j * ldb;
    __m256 s0 = _mm256_setzero_ps();
    for (int64_t d = 0; d < D8; d += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + d), _mm256_loadu_ps(bj + d), s0);
    float r = hsum(s0);
    for (int64_t d = D8; d < D; ++d) r += a[d] * bj[d];
    out[j] = r * scale;
  }
}

AHA_TARGET_AVX2 void accumRowsAvx2(const float* w, int64_t ldw, const float* x, int64_t ldx, int64_t n, int64_t D,
                                   float* out) {
  int64_t d = 0;
  for (; d + 32 <= D; d += 32) {  // four accumulators held across all n rows
    __m256 o0 = _mm256_loadu_ps(out + d), o1 = _mm256_loadu_ps(out + d + 8);
    __m256 o2 = _mm256_loadu_ps(out + d + 16), o3 = _mm256_loadu_ps(out + d + 24);
    for (int64_t i = 0; i < n; ++i) {
      const float wi = w[i * ldw];
      if (wi == 0.f) continue;
      const __m256 wv = _mm256_set1_ps(wi);
      const float* xi = x + i * ldx + d;
      o0 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(xi), o0);
      o1 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(xi + 8), o1);
      o2 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(xi + 16), o2);
      o3 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(xi + 24), o3);
    }
    _mm256_storeu_ps(out + d, o0), _mm256_storeu_ps(out + d + 8, o1);
    _mm256_storeu_ps(out + d + 16, o2), _mm256_storeu_ps(out + d + 24, o3);
  }
  for (; d + 8 <= D; d += 8) {
    __m256 o0 = _mm256_loadu_ps(out + d);
    for (int64_t i = 0; i < n; ++i) {
      const float wi = w[i * ldw];
      if (wi != 0.f) o0 = _mm256_fmadd_ps(_mm256_set1_ps(wi), _mm256_loadu_ps(x + i * ldx + d), o0);
    }
    _mm256_storeu_ps(out + d, o0);
  }
  if (d < D) accumRowsPortable(w, ldw, x + d, ldx, n, D - d, out + d);
}

AHA_TARGET_AVX2 float expShiftAvx2(const float* x, int64_t n, float shift, float* p) {
  const __m256 sv = _mm256_set1_ps(shift);
  __m256 acc = _mm256_setzero_ps();
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(x + j), sv));
    _mm256_storeu_ps(p + j, e);
    acc = _mm256_add_ps(acc, e);
  }
  float s = hsum(acc);
  for (; j < n; ++j) {
    const float d = x[j] - shift;
    p[j] = d < -104.f ? 0.f : std::exp(d);
    s += p[j];
  }
  return s;
}

// AVX-512F versions: 16 lanes, the dim's remainder as one masked step (dotRows, accumRows); expShift's remainder
// goes through the AVX2 code, and exp512 is exp256 lane for lane.
// Lanes 0-7 + lanes 8-15, then the AVX2 sum. Zero-masked forms with every lane selected: GCC 12's plain shuffle and
// extract start from an "undefined" register and trip -Wuninitialized.
AHA_TARGET_AVX512 inline float hsum512(__m512 v) {
  const __m512 folded = _mm512_add_ps(v, _mm512_maskz_shuffle_f32x4(0xFFFF, v, v, 0x4E));
  return hsum(_mm256_castpd_ps(_mm512_maskz_extractf64x4_pd(0xFF, _mm512_castps_pd(folded), 0)));
}

AHA_TARGET_AVX512 void dotRowsAvx512(const float* a, const float* b, int64_t ldb, int64_t n, int64_t D, float scale,
                                     float* out) {
  const int64_t D16 = D & ~int64_t{15};
  const __mmask16 tail = static_cast<__mmask16>((1u << (D - D16)) - 1);
  const __m512 at = _mm512_maskz_loadu_ps(tail, a + D16);
  int64_t j = 0;
  for (; j + 4 <= n; j += 4) {  // one load of a feeds four keys
    const float *b0 = b + j * ldb, *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps(), s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
    for (int64_t d = 0; d < D16; d += 16) {
      const __m512 av = _mm512_loadu_ps(a + d);
      s0 = _mm512_fmadd_ps(av, _mm512_loadu_ps(b0 + d), s0);
      s1 = _mm512_fmadd_ps(av, _mm512_loadu_ps(b1 + d), s1);
      s2 = _mm512_fmadd_ps(av, _mm512_loadu_ps(b2 + d), s2);
      s3 = _mm512_fmadd_ps(av, _mm512_loadu_ps(b3 + d), s3);
    }
    if (tail) {
      s0 = _mm512_fmadd_ps(at, _mm512_maskz_loadu_ps(tail, b0 + D16), s0);
      s1 = _mm512_fmadd_ps(at, _mm512_maskz_loadu_ps(tail, b1 + D16), s1);
      s2 = _mm512_fmadd_ps(at, _mm512_maskz_loadu_ps(tail, b2 + D16), s2);
      s3 = _mm512_fmadd_ps(at, _mm512_maskz_loadu_ps(tail, b3 + D16), s3);
    }
    out[j] = hsum512(s0) * scale, out[j + 1] = hsum512(s1) * scale;
    out[j + 2] = hsum512(s2) * scale, out[j + 3] = hsum512(s3) * scale;
  }
  for (; j < n; ++j) {
    const float* bj = b + j * ldb;
    __m512 s0 = _mm512_setzero_ps();
    for (int64_t d = 0; d < D16; d += 16) s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + d), _mm512_loadu_ps(bj + d), s0);
    if (tail) s0 = _mm512_fmadd_ps(at, _mm512_maskz_loadu_ps(tail, bj + D16), s0);
    out[j] = hsum512(s0) * scale;
  }
}

AHA_TARGET_AVX512 void accumRowsAvx512(const float* w, int64_t ldw, const float* x, int64_t ldx, int64_t n, int64_t D,
                                       float* out) {
  int64_t d = 0;
  for (; d + 64 <= D; d += 64) {  // four accumulators held across all n rows
    __m512 o0 = _mm512_loadu_ps(out + d), o1 = _mm512_loadu_ps(out + d + 16);
    __m512 o2 = _mm512_loadu_ps(out + d + 32), o3 = _mm512_loadu_ps(out + d + 48);
    for (int64_t i = 0; i < n; ++i) {
      const float wi = w[i * ldw];
      if (wi == 0.f) continue;
      const __m512 wv = _mm512_set1_ps(wi);
      const float* xi = x + i * ldx + d;
      o0 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(xi), o0);
      o1 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(xi + 16), o1);
      o2 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(xi + 32), o2);
      o3 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(xi + 48), o3);
    }
    _mm512_storeu_ps(out + d, o0), _mm512_storeu_ps(out + d + 16, o1);
    _mm512_storeu_ps(out + d + 32, o2), _mm512_storeu_ps(out + d + 48, o3);
  }
  for (; d < D; d += 16) {  // 16 at a time, the last step masked
    const __mmask16 m = D - d >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (D - d)) - 1);
    __m512 o0 = _mm512_maskz_loadu_ps(m, out + d);
    for (int64_t i = 0; i < n; ++i) {
      const float wi = w[i * ldw];
      if (wi != 0.f) o0 = _mm512_fmadd_ps(_mm512_set1_ps(wi), _mm512_maskz_loadu_ps(m, x + i * ldx + d), o0);
    }
    _mm512_mask_storeu_ps(out + d, m, o0);
  }
}

AHA_TARGET_AVX512 float expShiftAvx512(const float* x, int64_t n, float shift, float* p) {
  const __m512 sv = _mm512_set1_ps(shift);
  __m512 acc = _mm512_setzero_ps();
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    const __m512 e = exp512(_mm512_sub_ps(_mm512_loadu_ps(x + j), sv));
    _mm512_storeu_ps(p + j, e);
    acc = _mm512_add_ps(acc, e);
  }
  const float s = hsum512(acc);
  return j < n ? s + expShiftAvx2(x + j, n - j, shift, p + j) : s;
}
#endif

struct Kernels {
  void (*dotRows)(const float*, const float*, int64_t, int64_t, int64_t, float, float*);
  void (*accumRows)(const float*, int64_t, const float*, int64_t, int64_t, int64_t, float*);
  float (*expShift)(const float*, int64_t, float, float*);
};

Kernels pickKernels() {
#if AHA_X86
  if (cpu_has_avx512()) return {dotRowsAvx512, accumRowsAvx512, expShiftAvx512};
  if (cpu_has_avx2_fma()) return {dotRowsAvx2, accumRowsAvx2, expShiftAvx2};
#endif
  return {dotRowsPortable, accumRowsPortable, expShiftPortable};
}

// ------------------------------------------------------------------------------------------------------- problem

struct Problem {
  const float *q, *k, *v;  // [B, H, T, Dq], [B, Hk, S, Dq], [B, Hk, S, Dv]
  const uint8_t* keyMask;  // [B, S] or null
  int64_t B, H, Hk, T, S, Dq, Dv;
  // Element strides of k and v over (batch, head, position); the last dim is unit-stride. Views read in place: v may
  // be a narrow of the key rows (MLA's latent c_KV inside [c_KV | k_pe]) or a head-split of a projection.
  int64_t kb, kh, ldk, vb, vh, ldv;
  // Optional second score term (MLA's decoupled RoPE part): scores = (q·kᵀ + q2·k2ᵀ)·scale, q2 [B, H, T, D2]
  // contiguous, k2 [B, Hk, S, D2] through strides like k. Lets [c_KV | k_pe] be scored without concatenating.
  const float *q2, *k2;
  int64_t D2, k2b, k2h, ldk2;
  float scale;
  bool causal;
  int64_t G() const { return H / Hk; }
  int64_t R() const { return G() * T; }
  // Last key index row r (of a key/value head's R rows) may see, before the key mask.
  int64_t lastKey(int64_t r) const { return causal ? r % T + (S - T) : S - 1; }
  // Offsets of (b, g)'s first query row (q, out, dO, lse are [B, H, T, ·]; G consecutive heads share g) and keys.
  int64_t row0(int64_t b, int64_t g) const { return (b * H + g * G()) * T; }
  int64_t key0(int64_t b, int64_t g) const { return (b * Hk + g) * S; }  // in the contiguous dk, dv
  int64_t kOff(int64_t b, int64_t g) const { return b * kb + g * kh; }
  int64_t vOff(int64_t b, int64_t g) const { return b * vb + g * vh; }
  int64_t k2Off(int64_t b, int64_t g) const { return b * k2b + g * k2h; }
  int64_t Dqk() const { return Dq + D2; }
};

Problem readProblem(const Napi::CallbackInfo& info, const char* name) {
  Problem p{};
  p.B = intArg(info, 3, name), p.H = intArg(info, 4, name), p.Hk = intArg(info, 5, name, 1);
  p.T = intArg(info, 6, name), p.S = intArg(info, 7, name), p.Dq = intArg(info, 8, name), p.Dv = intArg(info, 9, name);
  if (p.H % p.Hk != 0) throw argError(info.Env(), name, 4, "must be a multiple of argument 5 (key/value heads)");
  p.scale = static_cast<float>(numArg(info, 10, name));
  p.causal = info[11].ToBoolean().Value();
  if (p.causal && p.S < p.T) throw argError(info.Env(), name, 7, "must be >= T for causal attention");
  const std::vector<int64_t> st = intsArg(info, 13, name);
  if (st.size() != 6) throw argError(info.Env(), name, 13, "must hold 6 strides");
  p.kb = st[0], p.kh = st[1], p.ldk = st[2], p.vb = st[3], p.vh = st[4], p.ldv = st[5];
  // The end of the storage each may touch, for the length check (checked: crafted strides must not wrap).
  const int64_t kEnd = viewReach({p.B, p.Hk, p.S, p.Dq}, {p.kb, p.kh, p.ldk, 1}, 0);
  const int64_t vEnd = viewReach({p.B, p.Hk, p.S, p.Dv}, {p.vb, p.vh, p.ldv, 1}, 0);
  p.q = f32Arg(info, 0, name, static_cast<size_t>(sizeOf(p.B, p.H, p.T, p.Dq)));
  p.k = f32Arg(info, 1, name, static_cast<size_t>(kEnd));
  p.v = f32Arg(info, 2, name, static_cast<size_t>(vEnd));
  p.keyMask = nullptr;
  if (!info[12].IsNull() && !info[12].IsUndefined()) {
    if (!info[12].IsTypedArray() || info[12].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
      throw argError(info.Env(), name, 12, "must be a Uint8Array or null");
    auto m = info[12].As<Napi::Uint8Array>();
    if (static_cast<int64_t>(m.ElementLength()) < p.B * p.S)
      throw argError(info.Env(), name, 12, "has " + std::to_string(m.ElementLength()) + " bytes, needs B·S");
    p.keyMask = m.Data();
  }
  return p;
}

// The optional second score term at arguments (q2 | null, k2 | null, D2, k2Strides [3]) from index i.
void readSecondPart(const Napi::CallbackInfo& info, size_t i, const char* name, Problem& p) {
  p.q2 = p.k2 = nullptr;
  p.D2 = p.k2b = p.k2h = p.ldk2 = 0;
  if (info.Length() <= i || info[i].IsNull() || info[i].IsUndefined()) return;
  p.D2 = intArg(info, i + 2, name);
  const std::vector<int64_t> st = intsArg(info, i + 3, name);
  if (st.size() != 3) throw argError(info.Env(), name, i + 3, "must hold 3 strides");
  p.k2b = st[0], p.k2h = st[1], p.ldk2 = st[2];
  const int64_t kEnd = viewReach({p.B, p.Hk, p.S, p.D2}, {p.k2b, p.k2h, p.ldk2, 1}, 0);
  p.q2 = f32Arg(info, i, name, static_cast<size_t>(sizeOf(p.B, p.H, p.T, p.D2)));
  p.k2 = f32Arg(info, i + 1, name, static_cast<size_t>(kEnd));
}

// Scores of row r of key/value head (b, g) against keys [s0, s0 + n) into sc (scaled; −∞ where masked), using tmp
// [n] for the second term. Returns the number of keys the causal limit leaves (the rest of sc is −∞ too) and the max.
int64_t rowScores(const Problem& p, const Kernels& K, int64_t b, int64_t g, int64_t r, int64_t s0, int64_t n, float* sc,
                  float* tmp, float* maxOut) {
  const int64_t nk = std::min(n, p.lastKey(r) - s0 + 1);
  const uint8_t* mask = p.keyMask ? p.keyMask + b * p.S : nullptr;
  float mx = kNegInf;
  if (nk > 0) {
    const float* qr = p.q + (p.row0(b, g) + r) * p.Dq;                             // [Dq]
    K.dotRows(qr, p.k + p.kOff(b, g) + s0 * p.ldk, p.ldk, nk, p.Dq, p.scale, sc);  // [nk]
    if (p.q2) {
      const float* q2r = p.q2 + (p.row0(b, g) + r) * p.D2;  // [D2]
      K.dotRows(q2r, p.k2 + p.k2Off(b, g) + s0 * p.ldk2, p.ldk2, nk, p.D2, p.scale, tmp);
      for (int64_t j = 0; j < nk; ++j) sc[j] += tmp[j];
    }
    for (int64_t j = 0; j < nk; ++j) {
      if (mask && !mask[s0 + j]) sc[j] = kNegInf;
      mx = sc[j] != sc[j] || mx != mx ? sc[j] + mx : std::max(mx, sc[j]);  // a NaN score makes the max NaN
    }
  }
  for (int64_t j = std::max<int64_t>(nk, 0); j < n; ++j) sc[j] = kNegInf;
  *maxOut = mx;
  return std::max<int64_t>(nk, 0);
}

// ------------------------------------------------------------------------------------------------------- forward

// Rows [r0, r1) of key/value head (b, g): out rows and their logsumexp.
void forwardRows(const Problem& p, const Kernels& K, int64_t b, int64_t g, int64_t r0, int64_t r1, float* out,
                 float* lse) {
  const int64_t Dv = p.Dv, nr = r1 - r0;
  const float* vg = p.v + p.vOff(b, g);  // [S, Dv] rows ldv apart
  float* og = out + p.row0(b, g) * Dv;   // [R, Dv]
  float* lg = lse + p.row0(b, g);        // [R]
  std::vector<float> m(nr, kNegInf), l(nr, 0.f), acc(nr * Dv, 0.f), sc(kKeyTile), tmp(kKeyTile);  // acc [nr, Dv]
  int64_t end = 0;
  for (int64_t r = r0; r < r1; ++r) end = std::max(end, p.lastKey(r) + 1);
  for (int64_t s0 = 0; s0 < end; s0 += kKeyTile) {
    const int64_t n = std::min(kKeyTile, end - s0);
    for (int64_t i = 0; i < nr; ++i) {
      float mt;
      const int64_t nk = rowScores(p, K, b, g, r0 + i, s0, n, sc.data(), tmp.data(), &mt);
      if (mt == kNegInf) continue;     // nothing visible in this tile
      if (mt != mt) m[i] = l[i] = mt;  // NaN input: the row's output and lse become NaN, as the softmax would give
      if (m[i] != m[i]) continue;
      const float mn = std::max(m[i], mt);
      const float alpha = m[i] == kNegInf ? 0.f : std::exp(m[i] - mn);  // rescales what earlier tiles summed
      const float sum = K.expShift(sc.data(), nk, mn, sc.data());       // sc now holds exp(s − mn)
      l[i] = l[i] * alpha + sum;
      float* o = acc.data() + i * Dv;  // [Dv]
      if (alpha != 1.f)
        for (int64_t d = 0; d < Dv; ++d) o[d] *= alpha;
      K.accumRows(sc.data(), 1, vg + s0 * p.ldv, p.ldv, nk, Dv, o);
      m[i] = mn;
    }
  }
  for (int64_t i = 0; i < nr; ++i) {
    float* orow = og + (r0 + i) * Dv;
    if (l[i] != l[i]) {
      std::fill(orow, orow + Dv, l[i]);
      lg[r0 + i] = l[i];
    } else if (l[i] > 0.f) {
      const float inv = 1.f / l[i];
      for (int64_t d = 0; d < Dv; ++d) orow[d] = acc[i * Dv + d] * inv;
      lg[r0 + i] = m[i] + std::log(l[i]);
    } else {
      std::fill(orow, orow + Dv, 0.f);
      lg[r0 + i] = kNegInf;
    }
  }
}

// (q, k, v, B, H, Hk, T, S, Dq, Dv, scale, causal, keyMask | null, kvStrides [6], out [B, H, T, Dv],
// lse [B, H, T], q2 | null, k2 | null, D2, k2Strides [3])
Napi::Value AttentionForward(const Napi::CallbackInfo& info) {
  const char* name = "attentionForward";
  Problem p = readProblem(info, name);
  float* out = f32Arg(info, 14, name, static_cast<size_t>(sizeOf(p.B, p.H, p.T, p.Dv)));
  float* lse = f32Arg(info, 15, name, static_cast<size_t>(sizeOf(p.B, p.H, p.T)));
  readSecondPart(info, 16, name, p);
  const Kernels K = pickKernels();
  const int64_t R = p.R(), tiles = (R + kRowTile - 1) / kRowTile;
  const int64_t tasks = p.B * p.Hk * tiles;
  if (tasks == 0) return info.Env().Undefined();
  // Grain: about 2^16 multiply-adds per chunk, so tiny decode steps do not wake the pool for nothing.
  const int64_t work = std::max<int64_t>(1, std::min(kRowTile, R) * p.S * (p.Dqk() + p.Dv));
  parallel_for(tasks, std::max<int64_t>(1, (INT64_C(1) << 16) / work), [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t tile = t % tiles, bg = t / tiles;
      const int64_t r0 = tile * kRowTile;
      forwardRows(p, K, bg / p.Hk, bg % p.Hk, r0, std::min(R, r0 + kRowTile), out, lse);
    }
  });
  return info.Env().Undefined();
}

// ------------------------------------------------------------------------------------------------------ backward

struct Grads {
  const float *out, *lse, *dout;  // [B, H, T, Dv], [B, H, T], [B, H, T, Dv]
  float *dq, *dk, *dv;            // [B, H, T, Dq], [B, Hk, S, Dq], [B, Hk, S, Dv]; zeroed by the caller
  float *dq2, *dk2;               // [B, H, T, D2], [B, Hk, S, D2] with the second score term, else null
};

// All gradients of key/value head (b, g): its R query rows' dQ and its S keys' dK, dV.
void backwardHead(const Problem& p, const Kernels& K, const Grads& gr, int64_t b, int64_t g) {
  const int64_t Dq = p.Dq, D2 = p.D2, Dv = p.Dv, R = p.R();
  const float* qg = p.q + p.row0(b, g) * Dq;                     // [R, Dq]
  const float* kg = p.k + p.kOff(b, g);                          // [S, Dq] rows ldk apart
  const float* q2g = p.q2 ? p.q2 + p.row0(b, g) * D2 : nullptr;  // [R, D2]
  const float* k2g = p.k2 ? p.k2 + p.k2Off(b, g) : nullptr;      // [S, D2] rows ldk2 apart
  float* dq2g = gr.dq2 ? gr.dq2 + p.row0(b, g) * D2 : nullptr;   // [R, D2]
  float* dk2g = gr.dk2 ? gr.dk2 + p.key0(b, g) * D2 : nullptr;   // [S, D2]
  const float* vg = p.v + p.vOff(b, g);                          // [S, Dv] rows ldv apart
  const float* og = gr.out + p.row0(b, g) * Dv;                  // [R, Dv]
  const float* dog = gr.dout + p.row0(b, g) * Dv;
  const float* lg = gr.lse + p.row0(b, g);  // [R]
  float* dqg = gr.dq + p.row0(b, g) * Dq;   // [R, Dq]
  float* dkg = gr.dk + p.key0(b, g) * Dq;   // [S, Dq]
  float* dvg = gr.dv + p.key0(b, g) * Dv;   // [S, Dv]
  std::vector<float> D(R), tmp(kKeyTile);   // D = rowsum(dO ∘ O)
  for (int64_t r = 0; r < R; ++r) K.dotRows(dog + r * Dv, og + r * Dv, Dv, 1, Dv, 1.f, &D[r]);
  std::vector<float> P(kRowTile * kKeyTile), dS(kRowTile * kKeyTile);  // [rows, keys] of one tile pair
  for (int64_t r0 = 0; r0 < R; r0 += kRowTile) {
    const int64_t nr = std::min(kRowTile, R - r0);
    int64_t end = 0;
    for (int64_t r = r0; r < r0 + nr; ++r) end = std::max(end, p.lastKey(r) + 1);
    for (int64_t s0 = 0; s0 < end; s0 += kKeyTile) {
      const int64_t n = std::min(kKeyTile, end - s0);
      for (int64_t i = 0; i < nr; ++i) {
        const int64_t r = r0 + i;
        float* Pi = P.data() + i * kKeyTile;    // [n]
        float* dSi = dS.data() + i * kKeyTile;  // [n]
        float mx;
        const int64_t nk = lg[r] == kNegInf ? 0 : rowScores(p, K, b, g, r, s0, n, Pi, tmp.data(), &mx);
        std::fill(Pi + nk, Pi + n, 0.f);
        std::fill(dSi + nk, dSi + n, 0.f);
        if (nk == 0) continue;
        K.expShift(Pi, nk, lg[r], Pi);                                      // P = exp(s − lse)
        K.dotRows(dog + r * Dv, vg + s0 * p.ldv, p.ldv, nk, Dv, 1.f, dSi);  // dP = dO vᵀ
        // Masked keys (P = 0) get exactly 0, even where their values hold a NaN that dP picked up.
        for (int64_t j = 0; j < nk; ++j) dSi[j] = Pi[j] == 0.f ? 0.f : Pi[j] * (dSi[j] - D[r]) * p.scale;
        K.accumRows(dSi, 1, kg + s0 * p.ldk, p.ldk, nk, Dq, dqg + r * Dq);  // dQ += dS K
        if (dq2g) K.accumRows(dSi, 1, k2g + s0 * p.ldk2, p.ldk2, nk, D2, dq2g + r * D2);
      }
      for (int64_t j = 0; j < n; ++j) {
        K.accumRows(P.data() + j, kKeyTile, dog + r0 * Dv, Dv, nr, Dv, dvg + (s0 + j) * Dv);  // dV += Pᵀ dO
        K.accumRows(dS.data() + j, kKeyTile, qg + r0 * Dq, Dq, nr, Dq, dkg + (s0 + j) * Dq);  // dK += dSᵀ Q
        if (dk2g) K.accumRows(dS.data() + j, kKeyTile, q2g + r0 * D2, D2, nr, D2, dk2g + (s0 + j) * D2);
      }
    }
  }
}

// (q, k, v, B, H, Hk, T, S, Dq, Dv, scale, causal, keyMask | null, kvStrides [6], out, lse, dout, dq, dk, dv,
//  q2 | null, k2 | null, D2, k2Strides [3], dq2 | null, dk2 | null): the gradients are contiguous (dk [B, Hk, S, Dq],
// dv [B, Hk, S, Dv] whatever the strides) and zeroed by the caller.
Napi::Value AttentionBackward(const Napi::CallbackInfo& info) {
  const char* name = "attentionBackward";
  Problem p = readProblem(info, name);
  const int64_t rows = sizeOf(p.B, p.H, p.T);
  Grads gr{};
  gr.out = f32Arg(info, 14, name, sizeOf(rows, p.Dv));
  gr.lse = f32Arg(info, 15, name, rows);
  gr.dout = f32Arg(info, 16, name, sizeOf(rows, p.Dv));
  gr.dq = f32Arg(info, 17, name, sizeOf(rows, p.Dq));
  gr.dk = f32Arg(info, 18, name, static_cast<size_t>(sizeOf(p.B, p.Hk, p.S, p.Dq)));
  gr.dv = f32Arg(info, 19, name, static_cast<size_t>(sizeOf(p.B, p.Hk, p.S, p.Dv)));
  readSecondPart(info, 20, name, p);
  gr.dq2 = gr.dk2 = nullptr;
  if (p.q2) {
    gr.dq2 = f32Arg(info, 24, name, sizeOf(rows, p.D2));
    gr.dk2 = f32Arg(info, 25, name, static_cast<size_t>(sizeOf(p.B, p.Hk, p.S, p.D2)));
  }
  const Kernels K = pickKernels();
  const int64_t tasks = p.B * p.Hk;
  if (tasks == 0) return info.Env().Undefined();
  const int64_t work = std::max<int64_t>(1, p.R() * p.S * (p.Dqk() + p.Dv));
  parallel_for(tasks, std::max<int64_t>(1, (INT64_C(1) << 16) / work), [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) backwardHead(p, K, gr, t / p.Hk, t % p.Hk);
  });
  return info.Env().Undefined();
}

AHA_EXPORT("attentionForward", AttentionForward);
AHA_EXPORT("attentionBackward", AttentionBackward);

}  // namespace
}  // namespace aha
