// sgemm (see gemm.h): the GotoBLAS / BLIS loop nest.
//   for jc (NC columns of C)  for pc (KC of the inner dim): pack B[kc, nc] into NR-wide panels (shared)
//     for macro tiles (MC rows x a run of NR panels), in parallel: pack A[mc, kc] into MR-tall panels (per thread)
//       for each NR panel  for each MR panel: micro-kernel C[MR, NR] += A panel @ B panel (registers only)
// The AVX2+FMA micro-kernel holds a 6x16 tile of C in 12 ymm registers (2 B loads + 1 A broadcast per row per k), the
// classic Haswell shape; the portable micro-kernel is the same loop in plain C++ (the compiler vectorises it with
// SSE). Edge tiles are computed in full on zero-padded panels and only the valid part is stored, so every M, N, K is
// handled by the same code. M == 1 or N == 1 (decode-time linear layers) skip packing: packing B would cost as much
// memory traffic as the product itself, so a vectorised dot / axpy over the rows of the matrix is used instead.
// Left out: prefetch hints, AVX-512, k-splitting across threads (K-heavy skinny shapes use one thread per tile).
#include "gemm.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <vector>

#include "cpu.h"
#include "parallel.h"

#if AHA_X86
#include <immintrin.h>
#endif

namespace aha {
namespace {

constexpr int MR = 6;
constexpr int NR = 16;
constexpr int64_t KC = 256;   // A panel 6x256 (6 KiB) + B panel 256x16 (16 KiB) stay in L1 during a micro-kernel
constexpr int64_t MC = 96;    // packed A block 96x256 (96 KiB) stays in L2
constexpr int64_t NC = 2048;  // packed B block 256x2048 (2 MiB) is shared by all threads through L3

// Element (i, j) of op(X) for a row-major X with leading dimension ld.
inline const float* at(const float* X, bool trans, int64_t ld, int64_t i, int64_t j) {
  return trans ? X + j * ld + i : X + i * ld + j;
}

// A block op(A)[i0 : i0 + mc, k0 : k0 + kc] -> panels of MR rows, each stored k-major ([kc][MR]), zero-padded.
void packA(const float* A, bool trans, int64_t lda, int64_t i0, int64_t mc, int64_t k0, int64_t kc, float* dst) {
  if (trans) {
    // op(A)[i, k] = A[k * lda + i]: the mc rows of one k are one contiguous run of storage. Copy whole runs, one k
    // at a time, into every panel: reading a column per row (or MR rows per panel) instead would revisit each cache
    // line once per panel, and with lda a multiple of 1 KiB those lines alias to a few L1 sets and are gone by then.
    const int64_t panels = (mc + MR - 1) / MR;
    for (int64_t k = 0; k < kc; ++k) {
      const float* src = A + (k0 + k) * lda + i0;
      for (int64_t p = 0; p < panels; ++p) {
        float* dk = dst + p * MR * kc + k * MR;  // panel p is [kc][MR]
        const int rows = static_cast<int>(std::min<int64_t>(MR, mc - p * MR));
        for (int r = 0; r < rows; ++r) dk[r] = src[p * MR + r];
        for (int r = rows; r < MR; ++r) dk[r] = 0.f;
      }
    }
    return;
  }
  for (int64_t p = 0; p < mc; p += MR) {
    const int rows = static_cast<int>(std::min<int64_t>(MR, mc - p));
    float* d = dst + p * kc;  // [kc][MR]
    for (int r = 0; r < rows; ++r) {
      const float* src = A + (i0 + p + r) * lda + k0;  // a contiguous row
      for (int64_t k = 0; k < kc; ++k) d[k * MR + r] = src[k];
    }
    for (int r = rows; r < MR; ++r)
      for (int64_t k = 0; k < kc; ++k) d[k * MR + r] = 0.f;
  }
}

// One NR-wide panel of op(B)[k0 : k0 + kc, j0 : j0 + cols] -> [kc][NR], zero-padded.
void packBPanel(const float* B, bool trans, int64_t ldb, int64_t k0, int64_t kc, int64_t j0, int cols, float* d) {
  if (!trans && cols == NR) {
    for (int64_t k = 0; k < kc; ++k) std::memcpy(d + k * NR, B + (k0 + k) * ldb + j0, NR * sizeof(float));
    return;
  }
  if (trans) {
    // op(B)[k, j] = B[j * ldb + k]: read each of the panel's columns as a contiguous run of storage and scatter it
    // down the (L1-resident) panel, rather than gathering NR rows apart for every k.
    for (int c = 0; c < cols; ++c) {
      const float* src = B + (j0 + c) * ldb + k0;
      for (int64_t k = 0; k < kc; ++k) d[k * NR + c] = src[k];
    }
    for (int64_t k = 0; k < kc; ++k)
      for (int c = cols; c < NR; ++c) d[k * NR + c] = 0.f;
    return;
  }
  for (int64_t k = 0; k < kc; ++k) {
    float* row = d + k * NR;
    const float* src = B + (k0 + k) * ldb + j0;
    for (int c = 0; c < cols; ++c) row[c] = src[c];
    for (int c = cols; c < NR; ++c) row[c] = 0.f;
  }
}

// C tile [mr, nr] (row stride ldc) = alpha * acc + beta * C; beta == 0 never reads C.
inline void storeTile(const float* acc, float* C, int64_t ldc, int mr, int nr, float alpha, float beta) {
  for (int r = 0; r < mr; ++r) {
    float* c = C + r * ldc;
    const float* a = acc + r * NR;
    if (beta == 0.f) {
      for (int j = 0; j < nr; ++j) c[j] = alpha * a[j];
    } else {
      for (int j = 0; j < nr; ++j) c[j] = alpha * a[j] + beta * c[j];
    }
  }
}

using MicroKernel = void (*)(int64_t kc, const float* a, const float* b, float* C, int64_t ldc, int mr, int nr,
                             float alpha, float beta);

// GCC / Clang vector extensions: plain C++ that maps to SSE2 on any x86-64 and NEON on arm64, no intrinsics.
typedef float v4f __attribute__((vector_size(16)));

void microPortable(int64_t kc, const float* a, const float* b, float* C, int64_t ldc, int mr, int nr, float alpha,
                   float beta) {
  v4f acc[MR][NR / 4] = {};
  for (int64_t k = 0; k < kc; ++k, a += MR, b += NR) {
    v4f bv[NR / 4];
    std::memcpy(bv, b, sizeof(bv));
    for (int r = 0; r < MR; ++r) {
      const float ar = a[r];
      for (int q = 0; q < NR / 4; ++q) acc[r][q] += ar * bv[q];
    }
  }
  float out[MR * NR];
  std::memcpy(out, acc, sizeof(out));
  storeTile(out, C, ldc, mr, nr, alpha, beta);
}

#if AHA_X86
AHA_TARGET_AVX2 void microAvx2(int64_t kc, const float* a, const float* b, float* C, int64_t ldc, int mr, int nr,
                               float alpha, float beta) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int64_t k = 0; k < kc; ++k, a += MR, b += NR) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    __m256 ar = _mm256_broadcast_ss(a + 0);
    c00 = _mm256_fmadd_ps(ar, b0, c00), c01 = _mm256_fmadd_ps(ar, b1, c01);
    ar = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(ar, b0, c10), c11 = _mm256_fmadd_ps(ar, b1, c11);
    ar = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(ar, b0, c20), c21 = _mm256_fmadd_ps(ar, b1, c21);
    ar = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(ar, b0, c30), c31 = _mm256_fmadd_ps(ar, b1, c31);
    ar = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(ar, b0, c40), c41 = _mm256_fmadd_ps(ar, b1, c41);
    ar = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(ar, b0, c50), c51 = _mm256_fmadd_ps(ar, b1, c51);
  }
  const __m256 rows[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  if (mr == MR && nr == NR) {
    for (int r = 0; r < MR; ++r) {
      float* c = C + r * ldc;
      __m256 lo = _mm256_mul_ps(va, rows[r][0]), hi = _mm256_mul_ps(va, rows[r][1]);
      if (beta != 0.f) {
        lo = _mm256_fmadd_ps(vb, _mm256_loadu_ps(c), lo);
        hi = _mm256_fmadd_ps(vb, _mm256_loadu_ps(c + 8), hi);
      }
      _mm256_storeu_ps(c, lo);
      _mm256_storeu_ps(c + 8, hi);
    }
    return;
  }
  alignas(32) float acc[MR * NR];
  for (int r = 0; r < MR; ++r) {
    _mm256_store_ps(acc + r * NR, rows[r][0]);
    _mm256_store_ps(acc + r * NR + 8, rows[r][1]);
  }
  storeTile(acc, C, ldc, mr, nr, alpha, beta);
}

AHA_TARGET_AVX2 float dotAvx2(const float* x, const float* y, int64_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
  int64_t k = 0;
  for (; k + 32 <= n; k += 32) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + k), _mm256_loadu_ps(y + k), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + k + 8), _mm256_loadu_ps(y + k + 8), s1);
    s2 = _mm256_fmadd_ps(_mm256_loadu_ps(x + k + 16), _mm256_loadu_ps(y + k + 16), s2);
    s3 = _mm256_fmadd_ps(_mm256_loadu_ps(x + k + 24), _mm256_loadu_ps(y + k + 24), s3);
  }
  for (; k + 8 <= n; k += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + k), _mm256_loadu_ps(y + k), s0);
  const __m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, s);
  float total = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
  for (; k < n; ++k) total += x[k] * y[k];
  return total;
}

AHA_TARGET_AVX2 void axpyAvx2(float a, const float* x, float* y, int64_t n) {
  const __m256 va = _mm256_set1_ps(a);
  int64_t k = 0;
  for (; k + 8 <= n; k += 8)
    _mm256_storeu_ps(y + k, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + k), _mm256_loadu_ps(y + k)));
  for (; k < n; ++k) y[k] += a * x[k];
}
#endif

float dotPortable(const float* x, const float* y, int64_t n) {
  float s[8] = {};
  int64_t k = 0;
  for (; k + 8 <= n; k += 8)
    for (int l = 0; l < 8; ++l) s[l] += x[k + l] * y[k + l];
  float total = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
  for (; k < n; ++k) total += x[k] * y[k];
  return total;
}

void axpyPortable(float a, const float* x, float* y, int64_t n) {
  for (int64_t k = 0; k < n; ++k) y[k] += a * x[k];
}

// c[j * sc] = alpha * sum_k x[k * sx] * W(k, j) + beta * c[j * sc] for j < N, where W(k, j) = W[k * ldw + j]
// (kRows) or W[j * ldw + k]. The vector is copied to a contiguous buffer first when strided.
void gemv(int64_t K, int64_t N, float alpha, const float* x, int64_t sx, const float* W, int64_t ldw, bool kRows,
          float beta, float* c, int64_t sc, bool simd) {
  std::vector<float> xbuf;
  if (sx != 1) {
    xbuf.resize(static_cast<size_t>(K));
    for (int64_t k = 0; k < K; ++k) xbuf[k] = x[k * sx];
    x = xbuf.data();
  }
  auto emit = [&](int64_t j, float v) {
    float& dst = c[j * sc];
    dst = beta == 0.f ? alpha * v : alpha * v + beta * dst;
  };
  if (!kRows) {  // each output is a dot product with a contiguous row of W
    parallel_for(N, std::max<int64_t>(1, 16384 / std::max<int64_t>(K, 1)), [&](int64_t b, int64_t e) {
      for (int64_t j = b; j < e; ++j) {
#if AHA_X86
        const float v = simd ? dotAvx2(x, W + j * ldw, K) : dotPortable(x, W + j * ldw, K);
#else
        const float v = dotPortable(x, W + j * ldw, K);
#endif
        emit(j, v);
      }
    });
    return;
  }
  // Rows of W run along j: accumulate x[k] * W[k, block] over k for a block of columns that stays in L1.
  constexpr int64_t kBlock = 512;
  const int64_t blocks = (N + kBlock - 1) / kBlock;
  parallel_for(blocks, 1, [&](int64_t b, int64_t e) {
    std::vector<float> acc(kBlock);
    for (int64_t blk = b; blk < e; ++blk) {
      const int64_t j0 = blk * kBlock, n = std::min(kBlock, N - j0);
      std::fill(acc.begin(), acc.begin() + n, 0.f);
      for (int64_t k = 0; k < K; ++k) {
#if AHA_X86
        if (simd)
          axpyAvx2(x[k], W + k * ldw + j0, acc.data(), n);
        else
          axpyPortable(x[k], W + k * ldw + j0, acc.data(), n);
#else
        axpyPortable(x[k], W + k * ldw + j0, acc.data(), n);
#endif
      }
      for (int64_t j = 0; j < n; ++j) emit(j0 + j, acc[j]);
    }
  });
}

void reference(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
               const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < N; ++j) {
      double s = 0;
      for (int64_t k = 0; k < K; ++k) s += static_cast<double>(*at(A, transA, lda, i, k)) * *at(B, transB, ldb, k, j);
      float& c = C[i * ldc + j];
      c = beta == 0.f ? static_cast<float>(alpha * s) : static_cast<float>(alpha * s + beta * c);
    }
  }
}

thread_local std::vector<float> tlPackA;
thread_local std::vector<float> tlPackB;

}  // namespace

void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc, GemmPath path) {
  if (M <= 0 || N <= 0) return;
  if (path == GemmPath::kReference) {
    reference(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  if (K <= 0 || alpha == 0.f) {
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) C[i * ldc + j] = beta == 0.f ? 0.f : beta * C[i * ldc + j];
    return;
  }
  const bool simd = path == GemmPath::kAuto && cpu_has_avx2_fma();
  if (M == 1) {  // C row = op(A) row @ op(B); op(B)(k, j) = B[k * ldb + j] unless transposed
    gemv(K, N, alpha, A, transA ? lda : 1, B, ldb, !transB, beta, C, 1, simd);
    return;
  }
  if (N == 1) {  // C column = op(A) @ op(B) column, i.e. the M == 1 case of C^T = op(B)^T op(A)^T
    gemv(K, M, alpha, B, transB ? 1 : ldb, A, lda, transA, beta, C, ldc, simd);
    return;
  }
#if AHA_X86
  const MicroKernel micro = simd ? microAvx2 : microPortable;
#else
  const MicroKernel micro = microPortable;
#endif
  const int threads = num_threads();
  // Below ~2^18 multiply-adds waking the pool costs more than it saves: run the same loop nest inline.
  const bool tiny = M * N * K < (INT64_C(1) << 18);
  auto run = [tiny](int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
    if (tiny)
      fn(0, n);
    else
      parallel_for(n, grain, fn);
  };
  for (int64_t jc = 0; jc < N; jc += NC) {
    const int64_t nc = std::min(NC, N - jc);
    const int64_t nPanels = (nc + NR - 1) / NR;
    for (int64_t pc = 0; pc < K; pc += KC) {
      const int64_t kc = std::min(KC, K - pc);
      const float betaBlock = pc == 0 ? beta : 1.f;  // later K blocks add onto what the first one wrote
      std::vector<float>& bp = tlPackB;
      bp.resize(static_cast<size_t>(nPanels * NR * kc));
      float* bpData = bp.data();
      run(nPanels, 8, [&](int64_t p0, int64_t p1) {
        for (int64_t p = p0; p < p1; ++p) {
          const int cols = static_cast<int>(std::min<int64_t>(NR, nc - p * NR));
          packBPanel(B, transB, ldb, pc, kc, jc + p * NR, cols, bpData + p * NR * kc);
        }
      });
      // Macro tiles: MC rows of A x a run of B panels. Split the panels too when there are fewer row blocks than
      // threads (skinny M), so small-M products still use every core; A is then packed once per split (cheap).
      const int64_t mBlocks = (M + MC - 1) / MC;
      const int64_t nSplit = std::max<int64_t>(1, std::min<int64_t>(nPanels, (2 * threads + mBlocks - 1) / mBlocks));
      const int64_t panelsPerSplit = (nPanels + nSplit - 1) / nSplit;
      run(mBlocks * nSplit, 1, [&](int64_t t0, int64_t t1) {
        std::vector<float>& ap = tlPackA;
        ap.resize(static_cast<size_t>(((MC + MR - 1) / MR) * MR * kc));
        for (int64_t t = t0; t < t1; ++t) {
          const int64_t ib = t / nSplit, js = t % nSplit;
          const int64_t i0 = ib * MC, mc = std::min(MC, M - i0);
          const int64_t q0 = js * panelsPerSplit, q1 = std::min(nPanels, q0 + panelsPerSplit);
          if (q0 >= q1) continue;
          packA(A, transA, lda, i0, mc, pc, kc, ap.data());
          for (int64_t q = q0; q < q1; ++q) {
            const int nr = static_cast<int>(std::min<int64_t>(NR, nc - q * NR));
            const float* bPanel = bpData + q * NR * kc;
            for (int64_t p = 0; p < mc; p += MR) {
              const int mr = static_cast<int>(std::min<int64_t>(MR, mc - p));
              micro(kc, ap.data() + p * kc, bPanel, C + (i0 + p) * ldc + jc + q * NR, ldc, mr, nr, alpha, betaBlock);
            }
          }
        }
      });
    }
  }
}

}  // namespace aha
