// Fused logits → loss kernels for the training hot paths (crossEntropy for SFT / pretraining, tokenLogprobs for GRPO,
// tokenEntropy for metrics). Logits [rows, V] contiguous, z = logits / T. Nothing of size [rows, V] is kept between
// forward and backward: the forward keeps lse = logsumexp(z) per row, and the backward recomputes softmax from the
// logits and lse in the same pass that writes the gradient:  grad[r, v] = scale[r] · (exp(z − lse) − [v = target_r]).
// Each op folds its own factor (1/count, −g/T, ...) into scale. Threads over rows.
#include <algorithm>
#include <cmath>
#include <string>

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

struct RowArgs {
  int64_t rows, V;
  float invT;
  const float* logits;
  const int32_t* targets;  // null: no targets; a negative target = ignored row
};

RowArgs readRows(const Napi::CallbackInfo& info, const char* name, bool withTargets) {
  RowArgs a;
  a.rows = intArg(info, 1, name);
  a.V = intArg(info, 2, name, 1);
  a.invT = static_cast<float>(numArg(info, 3, name));
  a.logits = f32Arg(info, 0, name, static_cast<size_t>(sizeOf(a.rows, a.V)));
  a.targets = nullptr;
  if (withTargets) {
    a.targets = i32Arg(info, 4, name, static_cast<size_t>(a.rows));
    for (int64_t r = 0; r < a.rows; ++r) {
      if (a.targets[r] >= a.V) {
        throw Napi::RangeError::New(info.Env(), std::string(name) + ": target " + std::to_string(a.targets[r]) +
                                                    " of row " + std::to_string(r) + " is outside [0, " +
                                                    std::to_string(a.V) + ")");
      }
    }
  }
  return a;
}

inline int64_t grain(int64_t V) { return std::max<int64_t>(1, 32768 / std::max<int64_t>(V, 1)); }

#if AHA_X86
// Σ exp(x·invT − m) and the row max pass, 8 lanes at a time.
AHA_TARGET_AVX2 float rowMaxAvx2(const float* x, int64_t V, float invT) {
  __m256 m = _mm256_set1_ps(-INFINITY);
  const __m256 t = _mm256_set1_ps(invT);
  int64_t v = 0;
  for (; v + 8 <= V; v += 8) m = _mm256_max_ps(m, _mm256_mul_ps(_mm256_loadu_ps(x + v), t));
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, m);
  float r = -INFINITY;
  for (float l : lanes) r = std::max(r, l);
  for (; v < V; ++v) r = std::max(r, x[v] * invT);
  return r;
}

AHA_TARGET_AVX2 double rowSumExpAvx2(const float* x, int64_t V, float invT, float m) {
  const __m256 t = _mm256_set1_ps(invT), vm = _mm256_set1_ps(m);
  __m256 s = _mm256_setzero_ps();
  int64_t v = 0;
  for (; v + 8 <= V; v += 8) s = _mm256_add_ps(s, exp256(_mm256_fmsub_ps(_mm256_loadu_ps(x + v), t, vm)));
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, s);
  double r = 0;
  for (float l : lanes) r += l;
  for (; v < V; ++v) r += std::exp(x[v] * invT - m);
  return r;
}

// g[v] = scale · exp(x[v]·invT − lse)
AHA_TARGET_AVX2 void rowSoftmaxScaledAvx2(const float* x, int64_t V, float invT, float lse, float scale, float* g) {
  const __m256 t = _mm256_set1_ps(invT), vl = _mm256_set1_ps(lse), vs = _mm256_set1_ps(scale);
  int64_t v = 0;
  for (; v + 8 <= V; v += 8)
    _mm256_storeu_ps(g + v, _mm256_mul_ps(vs, exp256(_mm256_fmsub_ps(_mm256_loadu_ps(x + v), t, vl))));
  for (; v < V; ++v) g[v] = scale * std::exp(x[v] * invT - lse);
}

// AVX-512F: the same passes 16 lanes at a time, the part of the row past the last 16 through the AVX2 code. The
// softmax is exp512 = exp256 lane for lane, so the gradient equals the AVX2 one bit for bit; the max is exact in any
// order (the zero-masked max with every lane set is the plain one, without GCC 12's -Wmaybe-uninitialized); the
// sum's lanes group the row differently (last bits differ from AVX2).
AHA_TARGET_AVX512 float rowMaxAvx512(const float* x, int64_t V, float invT) {
  __m512 m = _mm512_set1_ps(-INFINITY);
  const __m512 t = _mm512_set1_ps(invT);
  int64_t v = 0;
  for (; v + 16 <= V; v += 16) m = _mm512_maskz_max_ps(0xFFFF, m, _mm512_mul_ps(_mm512_loadu_ps(x + v), t));
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, m);
  float r = -INFINITY;
  for (float l : lanes) r = std::max(r, l);
  return v < V ? std::max(r, rowMaxAvx2(x + v, V - v, invT)) : r;
}

AHA_TARGET_AVX512 double rowSumExpAvx512(const float* x, int64_t V, float invT, float m) {
  const __m512 t = _mm512_set1_ps(invT), vm = _mm512_set1_ps(m);
  __m512 s = _mm512_setzero_ps();
  int64_t v = 0;
  for (; v + 16 <= V; v += 16) s = _mm512_add_ps(s, exp512(_mm512_fmsub_ps(_mm512_loadu_ps(x + v), t, vm)));
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, s);
  double r = 0;
  for (float l : lanes) r += l;
  return v < V ? r + rowSumExpAvx2(x + v, V - v, invT, m) : r;
}

AHA_TARGET_AVX512 void rowSoftmaxScaledAvx512(const float* x, int64_t V, float invT, float lse, float scale, float* g) {
  const __m512 t = _mm512_set1_ps(invT), vl = _mm512_set1_ps(lse), vs = _mm512_set1_ps(scale);
  int64_t v = 0;
  for (; v + 16 <= V; v += 16)
    _mm512_storeu_ps(g + v, _mm512_mul_ps(vs, exp512(_mm512_fmsub_ps(_mm512_loadu_ps(x + v), t, vl))));
  if (v < V) rowSoftmaxScaledAvx2(x + v, V - v, invT, lse, scale, g + v);
}
#endif

// logsumexp of z = x·invT over one row; NaN anywhere gives NaN. The max pass ignores NaN (max keeps its first
// operand), so NaN is looked for separately; it then flows through the sum as NaN.
inline float rowLse(const float* x, int64_t V, float invT) {
  float m;
#if AHA_X86
  const bool simd = cpu_has_avx2_fma(), wide = cpu_has_avx512();
  if (wide)
    m = rowMaxAvx512(x, V, invT);
  else if (simd)
    m = rowMaxAvx2(x, V, invT);
  else
#endif
  {
    m = -INFINITY;
    for (int64_t v = 0; v < V; ++v) m = std::max(m, x[v] * invT);
  }
  if (std::isinf(m) && m > 0) return m;  // a +inf logit
  if (std::isinf(m)) {                   // every logit −inf (or NaN): nothing to normalise
    for (int64_t v = 0; v < V; ++v)
      if (std::isnan(x[v])) return NAN;
    return m;
  }
  double s;
#if AHA_X86
  if (wide)
    s = rowSumExpAvx512(x, V, invT, m);
  else if (simd)
    s = rowSumExpAvx2(x, V, invT, m);
  else
#endif
  {
    s = 0;
    for (int64_t v = 0; v < V; ++v) s += std::exp(x[v] * invT - m);  // float exp, double sum
  }
  return m + static_cast<float>(std::log(s));
}

// (logits, rows, V, invT, targets Int32 [rows], lse out [rows], targetZ out [rows]): targetZ = z[target] (0 if ignored)
Napi::Value LogitsRowStats(const Napi::CallbackInfo& info) {
  const char* name = "logitsRowStats";
  const RowArgs a = readRows(info, name, true);
  float* lse = f32Arg(info, 5, name, static_cast<size_t>(a.rows));
  float* tz = f32Arg(info, 6, name, static_cast<size_t>(a.rows));
  parallel_for(a.rows, grain(a.V), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* x = a.logits + r * a.V;  // [V]
      lse[r] = rowLse(x, a.V, a.invT);
      const int32_t t = a.targets[r];
      tz[r] = t >= 0 ? x[t] * a.invT : 0.f;
    }
  });
  return info.Env().Undefined();
}

// (logits, rows, V, invT, targets Int32 [rows], lse [rows], scale [rows], grad out [rows, V])
Napi::Value LogitsRowGrad(const Napi::CallbackInfo& info) {
  const char* name = "logitsRowGrad";
  const RowArgs a = readRows(info, name, true);
  const float* lse = f32Arg(info, 5, name, static_cast<size_t>(a.rows));
  const float* scale = f32Arg(info, 6, name, static_cast<size_t>(a.rows));
  float* grad = f32Arg(info, 7, name, static_cast<size_t>(sizeOf(a.rows, a.V)));
  parallel_for(a.rows, grain(a.V), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* x = a.logits + r * a.V;
      float* gr = grad + r * a.V;
      const float s = scale[r], l = lse[r];
      if (s == 0.f) {  // ignored row (or zero upstream gradient): no softmax to compute
        std::fill(gr, gr + a.V, 0.f);
        continue;
      }
#if AHA_X86
      if (cpu_has_avx512())
        rowSoftmaxScaledAvx512(x, a.V, a.invT, l, s, gr);
      else if (cpu_has_avx2_fma())
        rowSoftmaxScaledAvx2(x, a.V, a.invT, l, s, gr);
      else
#endif
        for (int64_t v = 0; v < a.V; ++v) gr[v] = s * std::exp(x[v] * a.invT - l);
      if (a.targets[r] >= 0) gr[a.targets[r]] -= s;
    }
  });
  return info.Env().Undefined();
}

// (logits, rows, V, invT, _, entropy out [rows]): H = lse − Σ p·z
Napi::Value LogitsRowEntropy(const Napi::CallbackInfo& info) {
  const char* name = "logitsRowEntropy";
  const RowArgs a = readRows(info, name, false);
  float* out = f32Arg(info, 5, name, static_cast<size_t>(a.rows));
  parallel_for(a.rows, grain(a.V), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* x = a.logits + r * a.V;
      const float l = rowLse(x, a.V, a.invT);
      if (!std::isfinite(l)) {
        out[r] = NAN;
        continue;
      }
      double pz = 0;
      for (int64_t v = 0; v < a.V; ++v) {
        const double z = static_cast<double>(x[v]) * a.invT;
        const double p = std::exp(z - l);
        if (p > 0) pz += p * z;  // p = 0 contributes 0 even where z = −inf
      }
      out[r] = static_cast<float>(l - pz);
    }
  });
  return info.Env().Undefined();
}

AHA_EXPORT("logitsRowStats", LogitsRowStats);
AHA_EXPORT("logitsRowGrad", LogitsRowGrad);
AHA_EXPORT("logitsRowEntropy", LogitsRowEntropy);

}  // namespace
}  // namespace aha
