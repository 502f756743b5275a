// LM head fused with the loss: per-token log p(target) (and optionally the entropy) of softmax(hidden · Wᵀ / T)
// without ever holding the [N, V] logits. The vocabulary is walked in chunks of C columns: each chunk's logits
// [N, C] come from one sgemm, and every row keeps an online log-sum-exp (running max m, Σ e^(z − m) rescaled when m
// grows, Milakov & Gimelshein 2018 "Online normalizer calculation for softmax"), so memory is O(N · C), not O(N · V).
// The backward recomputes each chunk's logits and softmax from the saved lse [N] (the "Cut Your Losses" / Liger
// fused-linear-cross-entropy scheme), forms G = scale · (softmax − onehot) [N, C] and adds both products:
//   dHidden [N, D] += G [N, C] · W_chunk [C, D],   dW_chunk [C, D] = Gᵀ [C, N] · hidden [N, D].
// When a graph is recorded the forward hands its last chunk's logits to the backward, so the backward recomputes one
// chunk fewer (none when the vocabulary fits one chunk, as in the tiny models) for the same O(N · C) memory.
// Letters: N rows (tokens), D hidden size, V vocabulary, C chunk width; z = logits / T.
// Threads: the sgemm calls thread over their own tiles, the per-row passes over rows; each output element is written
// by one thread in a fixed order, so results do not depend on the thread count.
// Leaves out: an LM-head bias (DeepSeek-V3's lm_head has none), label smoothing, z-loss, a CUDA version.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "args.h"
#include "cpu.h"
#include "gemm.h"
#include "parallel.h"
#include "registry.h"
#include "simd_math.h"

#if AHA_X86
#include <immintrin.h>
#endif

namespace aha {
namespace {

struct Problem {
  int64_t N, D, V, C;
  float invT;
  const float* hidden;     // [N, D]
  const float* weight;     // [V, D]
  const int32_t* targets;  // [N]; a negative target = ignored row
};

// (hidden, N, D, weight, V, invT, targets, chunk) -> the problem, with every buffer size and target checked.
Problem readProblem(const Napi::CallbackInfo& info, const char* name) {
  Problem p;
  p.N = intArg(info, 1, name);
  p.D = intArg(info, 2, name);
  p.V = intArg(info, 4, name, 1);
  p.invT = static_cast<float>(numArg(info, 5, name));
  if (!(p.invT > 0) || !std::isfinite(p.invT)) {
    throw Napi::RangeError::New(info.Env(), std::string(name) + ": 1/temperature must be a finite number > 0");
  }
  p.hidden = f32Arg(info, 0, name, static_cast<size_t>(sizeOf(p.N, p.D)));
  p.weight = f32Arg(info, 3, name, static_cast<size_t>(sizeOf(p.V, p.D)));
  p.targets = i32Arg(info, 6, name, static_cast<size_t>(p.N));
  for (int64_t r = 0; r < p.N; ++r) {
    if (p.targets[r] >= p.V) {
      throw Napi::RangeError::New(info.Env(), std::string(name) + ": target " + std::to_string(p.targets[r]) +
                                                  " of row " + std::to_string(r) + " is outside [0, " +
                                                  std::to_string(p.V) + ")");
    }
  }
  p.C = std::min(intArg(info, 7, name, 1), p.V);  // the chunk width is chosen in TypeScript
  return p;
}

inline int64_t rowGrain(int64_t C) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(C, 1)); }

// The running state of one row: z max m, s = Σ e^(z − m), u = Σ e^(z − m) · (z − m) (entropy only; kept relative to
// m so that large logits lose no digits), the target's z, and whether a NaN was seen.
struct RowState {
  float m = -INFINITY;
  double s = 0, u = 0;
  float tz = 0;
  bool nan = false;
};

#if AHA_X86
AHA_TARGET_AVX2 inline double hsum(__m256 v) {
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, v);
  double r = 0;
  for (float l : lanes) r += l;
  return r;
}

AHA_TARGET_AVX2 float chunkMaxAvx2(const float* x, int64_t c, float invT) {
  __m256 m = _mm256_set1_ps(-INFINITY);
  const __m256 t = _mm256_set1_ps(invT);
  int64_t j = 0;
  for (; j + 8 <= c; j += 8) m = _mm256_max_ps(m, _mm256_mul_ps(_mm256_loadu_ps(x + j), t));
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, m);
  float r = -INFINITY;
  for (float l : lanes) r = std::max(r, l);
  for (; j < c; ++j) r = std::max(r, x[j] * invT);
  return r;
}

// Σ e^(z − m) and, when `u` is given, Σ e^(z − m) · (z − m) (terms with e = 0 add 0, even where z − m = −inf).
AHA_TARGET_AVX2 double chunkSumExpAvx2(const float* x, int64_t c, float invT, float m, double* u) {
  const __m256 t = _mm256_set1_ps(invT), vm = _mm256_set1_ps(m), zero = _mm256_setzero_ps();
  __m256 s = zero, w = zero;
  int64_t j = 0;
  if (u) {
    for (; j + 8 <= c; j += 8) {
      const __m256 d = _mm256_fmsub_ps(_mm256_loadu_ps(x + j), t, vm);
      const __m256 e = exp256(d);
      s = _mm256_add_ps(s, e);
      w = _mm256_add_ps(w, _mm256_and_ps(_mm256_cmp_ps(e, zero, _CMP_GT_OQ), _mm256_mul_ps(e, d)));
    }
  } else {
    for (; j + 8 <= c; j += 8) s = _mm256_add_ps(s, exp256(_mm256_fmsub_ps(_mm256_loadu_ps(x + j), t, vm)));
  }
  double rs = hsum(s), ru = hsum(w);
  for (; j < c; ++j) {
    const float d = x[j] * invT - m;
    const float e = std::exp(d);
    rs += e;
    if (e > 0) ru += static_cast<double>(e) * d;
  }
  if (u) *u = ru;
  return rs;
}

// g[j] = scale · e^(x[j]·invT − lse)
AHA_TARGET_AVX2 void chunkSoftmaxScaledAvx2(const float* x, int64_t c, float invT, float lse, float scale, float* g) {
  const __m256 t = _mm256_set1_ps(invT), vl = _mm256_set1_ps(lse), vs = _mm256_set1_ps(scale);
  int64_t j = 0;
  for (; j + 8 <= c; j += 8)
    _mm256_storeu_ps(g + j, _mm256_mul_ps(vs, exp256(_mm256_fmsub_ps(_mm256_loadu_ps(x + j), t, vl))));
  for (; j < c; ++j) g[j] = scale * std::exp(x[j] * invT - lse);
}

// AVX-512F: the same passes 16 lanes at a time, the chunk's remainder through the AVX2 code (exp512 is exp256 lane
// for lane, so the gradient equals the AVX2 one bit for bit; the sums group lanes differently). Zero-masked forms
// with every lane selected stand in for plain max / compare, which trip GCC 12's -Wmaybe-uninitialized.
AHA_TARGET_AVX512 float chunkMaxAvx512(const float* x, int64_t c, float invT) {
  __m512 m = _mm512_set1_ps(-INFINITY);
  const __m512 t = _mm512_set1_ps(invT);
  int64_t j = 0;
  for (; j + 16 <= c; j += 16) m = _mm512_maskz_max_ps(0xFFFF, m, _mm512_mul_ps(_mm512_loadu_ps(x + j), t));
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, m);
  float r = -INFINITY;
  for (float l : lanes) r = std::max(r, l);
  return j < c ? std::max(r, chunkMaxAvx2(x + j, c - j, invT)) : r;
}

AHA_TARGET_AVX512 double hsum512(__m512 v) {
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, v);
  double r = 0;
  for (float l : lanes) r += l;
  return r;
}

AHA_TARGET_AVX512 double chunkSumExpAvx512(const float* x, int64_t c, float invT, float m, double* u) {
  const __m512 t = _mm512_set1_ps(invT), vm = _mm512_set1_ps(m), zero = _mm512_setzero_ps();
  __m512 s = zero, w = zero;
  int64_t j = 0;
  if (u) {
    for (; j + 16 <= c; j += 16) {
      const __m512 d = _mm512_fmsub_ps(_mm512_loadu_ps(x + j), t, vm);
      const __m512 e = exp512(d);
      s = _mm512_add_ps(s, e);
      w = _mm512_mask_add_ps(w, _mm512_cmp_ps_mask(e, zero, _CMP_GT_OQ), w, _mm512_mul_ps(e, d));
    }
  } else {
    for (; j + 16 <= c; j += 16) s = _mm512_add_ps(s, exp512(_mm512_fmsub_ps(_mm512_loadu_ps(x + j), t, vm)));
  }
  double rs = hsum512(s), ru = hsum512(w);
  if (j < c) {
    double rest = 0;
    rs += chunkSumExpAvx2(x + j, c - j, invT, m, u ? &rest : nullptr);
    ru += rest;
  }
  if (u) *u = ru;
  return rs;
}

AHA_TARGET_AVX512 void chunkSoftmaxScaledAvx512(const float* x, int64_t c, float invT, float lse, float scale,
                                                float* g) {
  const __m512 t = _mm512_set1_ps(invT), vl = _mm512_set1_ps(lse), vs = _mm512_set1_ps(scale);
  int64_t j = 0;
  for (; j + 16 <= c; j += 16)
    _mm512_storeu_ps(g + j, _mm512_mul_ps(vs, exp512(_mm512_fmsub_ps(_mm512_loadu_ps(x + j), t, vl))));
  if (j < c) chunkSoftmaxScaledAvx2(x + j, c - j, invT, lse, scale, g + j);
}
#endif

// Folds one chunk of a row's logits x [c] (columns v0 … v0 + c − 1) into its state.
inline void foldChunk(RowState& st, const float* x, int64_t c, int64_t v0, float invT, int32_t target, bool entropy) {
  if (target >= v0 && target < v0 + c) st.tz = x[target - v0] * invT;
  if (st.nan) return;
  float cm;
#if AHA_X86
  const bool simd = cpu_has_avx2_fma(), wide = cpu_has_avx512();
  if (wide)
    cm = chunkMaxAvx512(x, c, invT);
  else if (simd)
    cm = chunkMaxAvx2(x, c, invT);
  else
#endif
  {
    cm = -INFINITY;
    for (int64_t j = 0; j < c; ++j) cm = std::max(cm, x[j] * invT);
  }
  // A NaN with finite neighbours reaches lse through the sum; the max pass may skip NaN, so a chunk whose max is
  // not finite is looked at element by element.
  if (!std::isfinite(cm)) {
    for (int64_t j = 0; j < c; ++j)
      if (std::isnan(x[j])) {
        st.nan = true;
        return;
      }
  }
  if (cm == -INFINITY) return;  // every logit of the chunk −inf: adds nothing
  if (cm > st.m) {              // rescale what was summed against the old max
    if (st.m > -INFINITY && std::isfinite(cm)) {
      const double delta = static_cast<double>(st.m) - cm;  // < 0
      const double f = std::exp(delta);
      st.u = f * (st.u + delta * st.s);
      st.s *= f;
    } else {
      st.s = 0;
      st.u = 0;
    }
    st.m = cm;
  }
  if (std::isinf(st.m)) return;  // a +inf logit: lse = +inf, nothing more to sum
  double s, u = 0;
#if AHA_X86
  if (wide)
    s = chunkSumExpAvx512(x, c, invT, st.m, entropy ? &u : nullptr);
  else if (simd)
    s = chunkSumExpAvx2(x, c, invT, st.m, entropy ? &u : nullptr);
  else
#endif
  {
    s = 0;
    for (int64_t j = 0; j < c; ++j) {
      const float d = x[j] * invT - st.m;
      const float e = std::exp(d);  // float exp, double sum (as cross_entropy.cc)
      s += e;
      if (entropy && e > 0) u += static_cast<double>(e) * d;
    }
  }
  st.s += s;
  st.u += u;
}

// Logits of vocabulary columns [v0, v0 + c) for every row: L [N, c] = hidden [N, D] · W[v0 : v0 + c]ᵀ [D, c].
void chunkLogits(const Problem& p, int64_t v0, int64_t c, float* L) {
  sgemm(false, true, p.N, c, p.D, 1.f, p.hidden, p.D, p.weight + v0 * p.D, p.D, 0.f, L, c);
}

// Columns of the last chunk (the one the forward may hand to the backward).
inline int64_t lastChunkWidth(const Problem& p) { return p.V - (p.V - 1) / p.C * p.C; }

// (hidden, N, D, weight, V, invT, targets, chunk, lse out [N], targetZ out [N], entropy out [N] | null,
//  lastLogits out [N, c_last] | null)
// lse = logsumexp(z) per row, targetZ = z[target] (0 for an ignored row), entropy = −Σ p log p (nats). With
// lastLogits, the last chunk's logits are kept for the backward, which then recomputes one chunk fewer (all of them
// when the vocabulary fits one chunk): O(N · C) memory either way.
Napi::Value LinearCeForward(const Napi::CallbackInfo& info) {
  const char* name = "linearCeForward";
  const Problem p = readProblem(info, name);
  float* lse = f32Arg(info, 8, name, static_cast<size_t>(p.N));
  float* tz = f32Arg(info, 9, name, static_cast<size_t>(p.N));
  float* entropy = info.Length() > 10 && !info[10].IsNull() && !info[10].IsUndefined()
                       ? f32Arg(info, 10, name, static_cast<size_t>(p.N))
                       : nullptr;
  const int64_t cLast = lastChunkWidth(p);
  float* keep = info.Length() > 11 && !info[11].IsNull() && !info[11].IsUndefined()
                    ? f32Arg(info, 11, name, static_cast<size_t>(sizeOf(p.N, cLast)))
                    : nullptr;
  if (p.N == 0) return info.Env().Undefined();
  std::vector<RowState> state(static_cast<size_t>(p.N));
  std::vector<float> scratch(keep && p.V == cLast ? 0 : static_cast<size_t>(sizeOf(p.N, p.C)));  // [N, C]
  for (int64_t v0 = 0; v0 < p.V; v0 += p.C) {
    const int64_t c = std::min(p.C, p.V - v0);
    float* L = keep && v0 + c == p.V ? keep : scratch.data();  // [N, c]
    chunkLogits(p, v0, c, L);
    parallel_for(p.N, rowGrain(c), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        foldChunk(state[r], L + r * c, c, v0, p.invT, p.targets[r], entropy != nullptr);
      }
    });
  }
  for (int64_t r = 0; r < p.N; ++r) {
    const RowState& st = state[r];
    float l;
    if (st.nan)
      l = NAN;
    else if (std::isinf(st.m))
      l = st.m;  // a +inf logit, or every logit −inf
    else
      l = st.m + static_cast<float>(std::log(st.s));
    lse[r] = l;
    tz[r] = p.targets[r] >= 0 ? st.tz : 0.f;
    if (entropy) entropy[r] = std::isfinite(l) ? static_cast<float>(std::log(st.s) - st.u / st.s) : NAN;
  }
  return info.Env().Undefined();
}

// (hidden, N, D, weight, V, invT, targets, chunk, lse [N], scale [N], dHidden out [N, D] | null,
//  dWeight out [V, D] | null, lastLogits [N, c_last] | null (from the forward; consumed)): with G = scale · (softmax(z)
//  − onehot(target)) (the gradient with respect to the
// logits before 1/T; the caller folds g, 1/T and any mean into scale), dHidden = G · W and dWeight = Gᵀ · hidden.
// Both outputs are overwritten. Rows with scale 0 (ignored tokens) contribute nothing.
Napi::Value LinearCeBackward(const Napi::CallbackInfo& info) {
  const char* name = "linearCeBackward";
  const Problem p = readProblem(info, name);
  const float* lse = f32Arg(info, 8, name, static_cast<size_t>(p.N));
  const float* scale = f32Arg(info, 9, name, static_cast<size_t>(p.N));
  auto optional = [&](size_t i, int64_t n) -> float* {
    return info.Length() > i && !info[i].IsNull() && !info[i].IsUndefined() ? f32Arg(info, i, name, n) : nullptr;
  };
  float* gH = optional(10, p.N * p.D);
  float* gW = optional(11, p.V * p.D);
  if (gH) std::fill(gH, gH + p.N * p.D, 0.f);
  if (gW && p.N == 0) std::fill(gW, gW + p.V * p.D, 0.f);
  const int64_t cLast = lastChunkWidth(p);
  float* kept = optional(12, p.N * cLast);
  if (p.N == 0 || (!gH && !gW)) return info.Env().Undefined();
  std::vector<float> scratch(kept && p.V == cLast ? 0 : static_cast<size_t>(sizeOf(p.N, p.C)));  // [N, C]
  // Last chunk first: its logits may have come from the forward. The order is fixed, so dHidden's sum is too.
  for (int64_t v0 = p.V - cLast; v0 >= 0; v0 -= p.C) {
    const int64_t c = std::min(p.C, p.V - v0);
    float* G = v0 + c == p.V && kept ? kept : scratch.data();  // [N, c]: logits, overwritten by the gradient
    if (G != kept) chunkLogits(p, v0, c, G);
    parallel_for(p.N, rowGrain(c), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        float* g = G + r * c;  // [c]
        const float s = scale[r], l = lse[r];
        if (s == 0.f) {
          std::fill(g, g + c, 0.f);
          continue;
        }
#if AHA_X86
        if (cpu_has_avx512())
          chunkSoftmaxScaledAvx512(g, c, p.invT, l, s, g);
        else if (cpu_has_avx2_fma())
          chunkSoftmaxScaledAvx2(g, c, p.invT, l, s, g);
        else
#endif
          for (int64_t j = 0; j < c; ++j) g[j] = s * std::exp(g[j] * p.invT - l);
        const int64_t t = p.targets[r];
        if (t >= v0 && t < v0 + c) g[t - v0] -= s;
      }
    });
    // dHidden [N, D] += G [N, c] · W[v0 : v0 + c] [c, D]
    if (gH) sgemm(false, false, p.N, p.D, c, 1.f, G, c, p.weight + v0 * p.D, p.D, 1.f, gH, p.D);
    // dW[v0 : v0 + c] [c, D] = Gᵀ [c, N] · hidden [N, D]
    if (gW) sgemm(true, false, c, p.D, p.N, 1.f, G, c, p.hidden, p.D, 0.f, gW + v0 * p.D, p.D);
  }
  return info.Env().Undefined();
}

AHA_EXPORT("linearCeForward", LinearCeForward);
AHA_EXPORT("linearCeBackward", LinearCeBackward);

}  // namespace
}  // namespace aha
