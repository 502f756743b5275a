// sgemm (see gemm.h): the GotoBLAS / BLIS loop nest.
//   for jc (NC columns of C)  for pc (KC of the inner dim): one parallel region over macro tiles
//     macro tile = a row block (<= MC rows) x a run of NR-wide B panels, handed out one at a time by the pool
//       pack A[mc, kc] into MR-tall panels (per thread) -- only for a transposed A; a row-major A is read in place
//       for each NR panel (packed on first use into a buffer all threads share)  for each MR row group:
//         micro-kernel C[MR, NR] += A tile @ B panel (registers only)
// B is packed once per [kc, nc] block whatever the thread count: each panel has an atomic state and the first task
// that needs it packs it while others wait for it (tasks on neighbouring row blocks start at different panels, so
// that is rare). One region per K block (not one to pack B and one to multiply) halves the hand-offs between threads.
// The AVX2+FMA micro-kernel holds a 6x16 tile of C in 12 ymm registers (2 B loads + 1 A broadcast per row per k), the
// classic Haswell shape; the portable micro-kernel is the same loop in plain C++ (the compiler vectorises it with
// SSE). Edge tiles are computed in full (zero-padded panels; an in-place A repeats its last row) and only the valid
// part is stored, so every M, N, K is handled by the same code. Each C entry sums K in the same order whatever the
// thread count or partition, so results are bit-identical across thread counts. M == 1 or N == 1 (decode-time linear
// layers) skip packing: packing B would cost as much memory traffic as the product itself, so a vectorised dot / axpy
// over the rows of the matrix is used instead.
// The level (cpu.h) picks the tile and kernels per call: portable and AVX2 use 6x16 with KC 256; AVX-512F uses 12x32
// (packed A) or 6x32 (in-place A) with KC 192, 32-wide B panels packed by the same code, masked loads and stores for
// the edges, and 16-wide dot / axpy for the M == 1 / N == 1 path. Results differ between levels in the last bits (the
// K sum is split differently), never between thread counts at one level.
// Left out: prefetch hints, k-splitting across threads (K-heavy skinny shapes use one thread per tile).
#include "gemm.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>

#include "cpu.h"
#include "parallel.h"

#if AHA_X86
#include <immintrin.h>
#endif

namespace aha {
namespace {

// The portable and AVX2 tile (the AVX-512 tiles are set next to their micro-kernels).
constexpr int MR = 6;
constexpr int NR = 16;
// Sized for Zen 4/5 and recent Intel cores (L1d 32-48 KiB, L2 1-2 MiB, shared L3); measured on Zen 5 (benchmarks/).
constexpr int64_t KC = 256;   // A tile 6x256 (6 KiB) + B panel 256x16 (16 KiB) stay in L1 during a micro-kernel
constexpr int64_t MC = 96;    // A block 96x256 (96 KiB, packed or in place) stays in L2 while the B panels stream by
constexpr int64_t NC = 2048;  // packed B block 256x2048 (2 MiB) is shared by all threads through L3

// Element (i, j) of op(X) for a row-major X with leading dimension ld.
inline const float* at(const float* X, bool trans, int64_t ld, int64_t i, int64_t j) {
  return trans ? X + j * ld + i : X + i * ld + j;
}

// A block op(A)[i0 : i0 + mc, k0 : k0 + kc] -> panels of MR rows, each stored k-major ([kc][MR]), zero-padded.
void packA(const float* A, bool trans, int64_t lda, int64_t i0, int64_t mc, int64_t k0, int64_t kc, float* dst,
           int MR) {
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
void packBPanel(const float* B, bool trans, int64_t ldb, int64_t k0, int64_t kc, int64_t j0, int cols, float* d,
                int NR) {
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

// C tile [mr, nr] (row stride ldc) = alpha * acc + beta * C, acc rows NR apart; beta == 0 never reads C.
inline void storeTile(const float* acc, float* C, int64_t ldc, int mr, int nr, float alpha, float beta,
                      int NR = aha::NR) {
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

// A micro-kernel computes the C tile [mr, nr] from kc steps of an MR-row A tile and an NR-wide packed B panel.
// Row r of the A tile is read at a + min(r, mr - 1) * rsa + k * csa: a packed panel is (rsa 1, csa MR); a row-major A
// read in place is (rsa lda, csa 1). Rows past mr repeat the last valid row (their results are never stored), so an
// unpacked A is never read past its last row.
using MicroKernel = void (*)(int64_t kc, const float* a, int64_t rsa, int64_t csa, const float* b, float* C,
                             int64_t ldc, int mr, int nr, float alpha, float beta);

// GCC / Clang vector extensions: plain C++ that maps to SSE2 on any x86-64 and NEON on arm64, no intrinsics.
typedef float v4f __attribute__((vector_size(16)));

void microPortable(int64_t kc, const float* a, int64_t rsa, int64_t csa, const float* b, float* C, int64_t ldc, int mr,
                   int nr, float alpha, float beta) {
  int64_t off[MR];
  for (int r = 0; r < MR; ++r) off[r] = std::min(r, mr - 1) * rsa;
  v4f acc[MR][NR / 4] = {};
  for (int64_t k = 0; k < kc; ++k, a += csa, b += NR) {
    v4f bv[NR / 4];
    std::memcpy(bv, b, sizeof(bv));
    for (int r = 0; r < MR; ++r) {
      const float ar = a[off[r]];
      for (int q = 0; q < NR / 4; ++q) acc[r][q] += ar * bv[q];
    }
  }
  float out[MR * NR];
  std::memcpy(out, acc, sizeof(out));
  storeTile(out, C, ldc, mr, nr, alpha, beta);
}

#if AHA_X86
// kPacked: the A offsets are compile-time constants (a packed panel), else computed from rsa / csa.
template <bool kPacked>
AHA_TARGET_AVX2 void microAvx2(int64_t kc, const float* a, int64_t rsa, int64_t csa, const float* b, float* C,
                               int64_t ldc, int mr, int nr, float alpha, float beta) {
  const int64_t cs = kPacked ? MR : csa;
  const int64_t o1 = kPacked ? 1 : std::min(1, mr - 1) * rsa, o2 = kPacked ? 2 : std::min(2, mr - 1) * rsa;
  const int64_t o3 = kPacked ? 3 : std::min(3, mr - 1) * rsa, o4 = kPacked ? 4 : std::min(4, mr - 1) * rsa;
  const int64_t o5 = kPacked ? 5 : std::min(5, mr - 1) * rsa;
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int64_t k = 0; k < kc; ++k, a += cs, b += NR) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    __m256 ar = _mm256_broadcast_ss(a);
    c00 = _mm256_fmadd_ps(ar, b0, c00), c01 = _mm256_fmadd_ps(ar, b1, c01);
    ar = _mm256_broadcast_ss(a + o1);
    c10 = _mm256_fmadd_ps(ar, b0, c10), c11 = _mm256_fmadd_ps(ar, b1, c11);
    ar = _mm256_broadcast_ss(a + o2);
    c20 = _mm256_fmadd_ps(ar, b0, c20), c21 = _mm256_fmadd_ps(ar, b1, c21);
    ar = _mm256_broadcast_ss(a + o3);
    c30 = _mm256_fmadd_ps(ar, b0, c30), c31 = _mm256_fmadd_ps(ar, b1, c31);
    ar = _mm256_broadcast_ss(a + o4);
    c40 = _mm256_fmadd_ps(ar, b0, c40), c41 = _mm256_fmadd_ps(ar, b1, c41);
    ar = _mm256_broadcast_ss(a + o5);
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

// packA for a transposed A with AVX2: the same walk (one contiguous run of storage per k), but each panel's MR
// values are one 8-wide load and store. The store spills 2 floats into the panel's next k, which that k then
// overwrites, so the last k and a panel whose load would pass the block's end go through the scalar code.
AHA_TARGET_AVX2 void packATransAvx2(const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t k0, int64_t kc,
                                    float* dst) {
  const int64_t panels = (mc + MR - 1) / MR;
  for (int64_t k = 0; k < kc; ++k) {
    const float* src = A + (k0 + k) * lda + i0;
    for (int64_t p = 0; p < panels; ++p) {
      float* dk = dst + p * MR * kc + k * MR;
      if (k + 1 < kc && p * MR + 8 <= mc) {
        _mm256_storeu_ps(dk, _mm256_loadu_ps(src + p * MR));
        continue;
      }
      const int rows = static_cast<int>(std::min<int64_t>(MR, mc - p * MR));
      for (int r = 0; r < rows; ++r) dk[r] = src[p * MR + r];
      for (int r = rows; r < MR; ++r) dk[r] = 0.f;
    }
  }
}

// A full kNR-wide panel of a transposed B (op(B)[k, j] = B[j * ldb + k]) -> [kc][NR]: 8x8 blocks transposed in
// registers, 8 contiguous loads and 8 contiguous stores per 64 elements instead of 64 scattered scalar stores.
template <int kNR>
AHA_TARGET_AVX2 void packBTransAvx2(const float* B, int64_t ldb, int64_t k0, int64_t kc, int64_t j0, float* d) {
  for (int h = 0; h < kNR; h += 8) {
    const float* s = B + (j0 + h) * ldb + k0;
    int64_t k = 0;
    for (; k + 8 <= kc; k += 8) {
      __m256 r0 = _mm256_loadu_ps(s + 0 * ldb + k), r1 = _mm256_loadu_ps(s + 1 * ldb + k);
      __m256 r2 = _mm256_loadu_ps(s + 2 * ldb + k), r3 = _mm256_loadu_ps(s + 3 * ldb + k);
      __m256 r4 = _mm256_loadu_ps(s + 4 * ldb + k), r5 = _mm256_loadu_ps(s + 5 * ldb + k);
      __m256 r6 = _mm256_loadu_ps(s + 6 * ldb + k), r7 = _mm256_loadu_ps(s + 7 * ldb + k);
      const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
      const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
      const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
      const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
      const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
      const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
      const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
      const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
      r0 = _mm256_permute2f128_ps(u0, u4, 0x20), r1 = _mm256_permute2f128_ps(u1, u5, 0x20);
      r2 = _mm256_permute2f128_ps(u2, u6, 0x20), r3 = _mm256_permute2f128_ps(u3, u7, 0x20);
      r4 = _mm256_permute2f128_ps(u0, u4, 0x31), r5 = _mm256_permute2f128_ps(u1, u5, 0x31);
      r6 = _mm256_permute2f128_ps(u2, u6, 0x31), r7 = _mm256_permute2f128_ps(u3, u7, 0x31);
      float* o = d + k * kNR + h;
      _mm256_storeu_ps(o + 0 * kNR, r0), _mm256_storeu_ps(o + 1 * kNR, r1);
      _mm256_storeu_ps(o + 2 * kNR, r2), _mm256_storeu_ps(o + 3 * kNR, r3);
      _mm256_storeu_ps(o + 4 * kNR, r4), _mm256_storeu_ps(o + 5 * kNR, r5);
      _mm256_storeu_ps(o + 6 * kNR, r6), _mm256_storeu_ps(o + 7 * kNR, r7);
    }
    for (; k < kc; ++k)
      for (int c = 0; c < 8; ++c) d[k * kNR + h + c] = s[c * ldb + k];
  }
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
// AVX-512F. The packed micro-kernel holds a 12x32 tile of C in 24 zmm registers (2 B loads per k, each A value a
// broadcast folded into its FMA as an embedded-broadcast memory operand): 24 FMAs per 14 loads, and 24 independent
// accumulators hide the FMA latency on two 512-bit pipes. 12 rows rather than 14 (28 accumulators) leave registers for
// the compiler; 12 divides MC. The in-place (direct) A kernel is 6x32: its 5 row offsets already use most of the
// general registers, as in the AVX2 kernel. KC is lowered to 192 so the 192x32 B panel (24 KiB) and a 12x192 A tile
// (9 KiB) fit a 48 KiB L1 together.
constexpr int kMR512 = 12, kMRDirect512 = 6, kNR512 = 32;
constexpr int64_t kKC512 = 192;

template <int R, bool kPacked>
AHA_TARGET_AVX512 void microAvx512(int64_t kc, const float* a, int64_t rsa, int64_t csa, const float* b, float* C,
                                   int64_t ldc, int mr, int nr, float alpha, float beta) {
  const int64_t cs = kPacked ? R : csa;
  int64_t off[R];
  for (int r = 0; r < R; ++r) off[r] = kPacked ? r : std::min(r, mr - 1) * rsa;
  __m512 c[R][2];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) c[r][0] = c[r][1] = _mm512_setzero_ps();
  for (int64_t k = 0; k < kc; ++k, a += cs, b += kNR512) {
    const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const __m512 ar = _mm512_set1_ps(a[off[r]]);
      c[r][0] = _mm512_fmadd_ps(ar, b0, c[r][0]);
      c[r][1] = _mm512_fmadd_ps(ar, b1, c[r][1]);
    }
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
  // Masked loads and stores cover a partial width; rows past mr are dropped.
  const uint32_t cols = nr >= kNR512 ? 0xFFFFFFFFu : (1u << nr) - 1;
  const __mmask16 m0 = static_cast<__mmask16>(cols), m1 = static_cast<__mmask16>(cols >> 16);
  for (int r = 0; r < R; ++r) {
    if (r >= mr) break;
    float* cr = C + r * ldc;
    __m512 lo = _mm512_mul_ps(va, c[r][0]), hi = _mm512_mul_ps(va, c[r][1]);
    if (beta != 0.f) {
      lo = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, cr), lo);
      hi = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, cr + 16), hi);
    }
    _mm512_mask_storeu_ps(cr, m0, lo);
    _mm512_mask_storeu_ps(cr + 16, m1, hi);
  }
}

// packA for a transposed A: per k, each panel's rows are one masked 16-wide load (no read past the block's end) and
// one masked store of exactly kMR512 floats, the rows past the block zeroed.
AHA_TARGET_AVX512 void packATransAvx512(const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t k0, int64_t kc,
                                        float* dst) {
  const int64_t panels = (mc + kMR512 - 1) / kMR512;
  const __mmask16 full = (1u << kMR512) - 1;
  for (int64_t k = 0; k < kc; ++k) {
    const float* src = A + (k0 + k) * lda + i0;
    for (int64_t p = 0; p < panels; ++p) {
      const int64_t rows = std::min<int64_t>(kMR512, mc - p * kMR512);
      const __mmask16 valid = static_cast<__mmask16>((1u << rows) - 1);
      _mm512_mask_storeu_ps(dst + p * kMR512 * kc + k * kMR512, full, _mm512_maskz_loadu_ps(valid, src + p * kMR512));
    }
  }
}

AHA_TARGET_AVX512 float dotAvx512(const float* x, const float* y, int64_t n) {
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps(), s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
  int64_t k = 0;
  for (; k + 64 <= n; k += 64) {
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + k), _mm512_loadu_ps(y + k), s0);
    s1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + k + 16), _mm512_loadu_ps(y + k + 16), s1);
    s2 = _mm512_fmadd_ps(_mm512_loadu_ps(x + k + 32), _mm512_loadu_ps(y + k + 32), s2);
    s3 = _mm512_fmadd_ps(_mm512_loadu_ps(x + k + 48), _mm512_loadu_ps(y + k + 48), s3);
  }
  for (; k + 16 <= n; k += 16) s0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + k), _mm512_loadu_ps(y + k), s0);
  if (k < n) {  // the tail as one masked step: lanes past n load 0
    const __mmask16 m = static_cast<__mmask16>((1u << (n - k)) - 1);
    s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x + k), _mm512_maskz_loadu_ps(m, y + k), s1);
  }
  // Lanes summed pairwise through memory (GCC 12's _mm512_reduce_add_ps trips -Wuninitialized in its own header).
  alignas(64) float l[16];
  _mm512_store_ps(l, _mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
  for (int w = 8; w > 0; w /= 2)
    for (int i = 0; i < w; ++i) l[i] += l[i + w];
  return l[0];
}

AHA_TARGET_AVX512 void axpyAvx512(float a, const float* x, float* y, int64_t n) {
  const __m512 va = _mm512_set1_ps(a);
  int64_t k = 0;
  for (; k + 16 <= n; k += 16)
    _mm512_storeu_ps(y + k, _mm512_fmadd_ps(va, _mm512_loadu_ps(x + k), _mm512_loadu_ps(y + k)));
  if (k < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - k)) - 1);
    _mm512_mask_storeu_ps(y + k, m,
                          _mm512_fmadd_ps(va, _mm512_maskz_loadu_ps(m, x + k), _mm512_maskz_loadu_ps(m, y + k)));
  }
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

using DotFn = float (*)(const float* x, const float* y, int64_t n);
using AxpyFn = void (*)(float a, const float* x, float* y, int64_t n);

// The least work per gemv task, in multiply-adds, once gemv is threaded at all.
constexpr int64_t kGemvTaskMacs = INT64_C(1) << 15;

// c[j * sc] = alpha * sum_k x[k * sx] * W(k, j) + beta * c[j * sc] for j < N, where W(k, j) = W[k * ldw + j]
// (kRows) or W[j * ldw + k]. The vector is copied to a contiguous buffer first when strided.
void gemv(int64_t K, int64_t N, float alpha, const float* x, int64_t sx, const float* W, int64_t ldw, bool kRows,
          float beta, float* c, int64_t sc, DotFn dot, AxpyFn axpy) {
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
  // Decode-time products are small (a 256 x 128 projection is 32K multiply-adds, a few microseconds): below
  // kMinParallelWork (parallel.h) the product runs inline, above it each task gets at least kGemvTaskMacs. The split
  // is along N only (every output is one whole dot / axpy chain), so results do not depend on the thread count.
  const int64_t work = N * K;
  auto run = [work](int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
    parallel_for_work(work, n, grain, fn);
  };
  if (!kRows) {  // each output is a dot product with a contiguous row of W
    run(N, std::max<int64_t>(1, kGemvTaskMacs / std::max<int64_t>(K, 1)), [&](int64_t b, int64_t e) {
      for (int64_t j = b; j < e; ++j) {
        emit(j, dot(x, W + j * ldw, K));
      }
    });
    return;
  }
  // Rows of W run along j: accumulate x[k] * W[k, block] over k for a block of columns that stays in L1.
  constexpr int64_t kBlock = 512;
  const int64_t blocks = (N + kBlock - 1) / kBlock;
  run(blocks, std::max<int64_t>(1, kGemvTaskMacs / std::max<int64_t>(kBlock * K, 1)), [&](int64_t b, int64_t e) {
    std::vector<float> acc(kBlock);
    for (int64_t blk = b; blk < e; ++blk) {
      const int64_t j0 = blk * kBlock, n = std::min(kBlock, N - j0);
      std::fill(acc.begin(), acc.begin() + n, 0.f);
      for (int64_t k = 0; k < K; ++k) {
        axpy(x[k], W + k * ldw + j0, acc.data(), n);
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
thread_local std::vector<std::atomic<uint8_t>> tlPanelState;

// Packing state of one shared B panel: whichever thread needs it first packs it, the others wait for kReady.
constexpr uint8_t kUnpacked = 0, kPacking = 1, kReady = 2;

void waitReady(const std::atomic<uint8_t>& state) {
  for (int spins = 0; state.load(std::memory_order_acquire) != kReady; ++spins) {
#if AHA_X86
    _mm_pause();
#endif
    if (spins > 4096) std::this_thread::yield();  // the packer lost its core: give it ours
  }
}

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
  [[maybe_unused]] const SimdLevel level = path == GemmPath::kAuto ? simd_level() : SimdLevel::kPortable;
  DotFn dot = dotPortable;
  AxpyFn axpy = axpyPortable;
#if AHA_X86
  if (level == SimdLevel::kAvx512) dot = dotAvx512, axpy = axpyAvx512;
  if (level == SimdLevel::kAvx2) dot = dotAvx2, axpy = axpyAvx2;
#endif
  if (M == 1) {  // C row = op(A) row @ op(B); op(B)(k, j) = B[k * ldb + j] unless transposed
    gemv(K, N, alpha, A, transA ? lda : 1, B, ldb, !transB, beta, C, 1, dot, axpy);
    return;
  }
  if (N == 1) {  // C column = op(A) @ op(B) column, i.e. the M == 1 case of C^T = op(B)^T op(A)^T
    gemv(K, M, alpha, B, transB ? 1 : ldb, A, lda, transA, beta, C, ldc, dot, axpy);
    return;
  }
  // A non-transposed A is read in place when N is small: its rows are contiguous runs of K, so the micro-kernel
  // streams 6 of them directly, and packing (one pass over the A block per NC block) would cost as much as the
  // product for small-N shapes such as attention's p·v. With N ≥ kPackAFromN the pass is amortised over many
  // panels, and packing wins: an A block read in place keeps its rows lda apart, and with lda a large power of two
  // (2048 floats = 8 KiB) they alias to a few L2 sets and evict each other. A transposed A is always packed: read
  // in place, every k of a tile would be a different cache line.
  constexpr int64_t kPackAFromN = 512;
  const bool directA = !transA && N < kPackAFromN;
  // The tile, K block and kernels of this call's level. Packing without a SIMD version falls back to the plain loops.
  int MR = aha::MR, NR = aha::NR;
  int64_t KC = aha::KC;
  MicroKernel micro = microPortable;
  using PackATrans = void (*)(const float*, int64_t, int64_t, int64_t, int64_t, int64_t, float*);
  using PackBTrans = void (*)(const float*, int64_t, int64_t, int64_t, int64_t, float*);
  PackATrans packATrans = nullptr;
  PackBTrans packBTrans = nullptr;
#if AHA_X86
  if (level == SimdLevel::kAvx2) {
    micro = directA ? microAvx2<false> : microAvx2<true>;
    packATrans = packATransAvx2;
    packBTrans = packBTransAvx2<aha::NR>;
  } else if (level == SimdLevel::kAvx512) {
    MR = directA ? kMRDirect512 : kMR512, NR = kNR512, KC = kKC512;
    micro = directA ? microAvx512<kMRDirect512, false> : microAvx512<kMR512, true>;
    packATrans = packATransAvx512;
    packBTrans = packBTransAvx2<kNR512>;
  }
#endif
  // Below kMinParallelWork multiply-adds handing work to the pool costs more than it saves: run the same loop nest
  // inline.
  const bool tiny = M * N * K < kMinParallelWork;
  const int threads = tiny ? 1 : num_threads();
  auto run = [tiny](int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
    if (tiny)
      fn(0, n);
    else
      parallel_for(n, 1, fn);
  };
  // Row blocks: as even as the MR tile allows, at most MC rows (the packed A block stays in L2).
  const int64_t mBlocks = (M + MC - 1) / MC;
  const int64_t mb = ((M + mBlocks - 1) / mBlocks + MR - 1) / MR * MR;
  const int64_t rowBlocks = (M + mb - 1) / mb;
  for (int64_t jc = 0; jc < N; jc += NC) {
    const int64_t nc = std::min(NC, N - jc);
    const int64_t nPanels = (nc + NR - 1) / NR;
    for (int64_t pc = 0; pc < K; pc += KC) {
      const int64_t kc = std::min(KC, K - pc);
      const float betaBlock = pc == 0 ? beta : 1.f;  // later K blocks add onto what the first one wrote
      // The B block [kc, nc] is packed once, into the caller's buffer, and shared by every thread: each panel is
      // packed by the first task that needs it (tasks on other row blocks start at other panels, so two threads
      // rarely want the same unpacked panel at once).
      std::vector<float>& bp = tlPackB;
      bp.resize(static_cast<size_t>(nPanels * NR * kc));
      float* bpData = bp.data();
      if (tlPanelState.size() < static_cast<size_t>(nPanels))
        tlPanelState = std::vector<std::atomic<uint8_t>>(static_cast<size_t>(nPanels));
      std::atomic<uint8_t>* state = tlPanelState.data();
      for (int64_t q = 0; q < nPanels; ++q) state[q].store(kUnpacked, std::memory_order_relaxed);
      auto panel = [&](int64_t q) -> const float* {
        float* d = bpData + q * NR * kc;
        if (state[q].load(std::memory_order_acquire) == kReady) return d;
        uint8_t expected = kUnpacked;
        if (state[q].compare_exchange_strong(expected, kPacking, std::memory_order_acq_rel)) {
          const int cols = static_cast<int>(std::min<int64_t>(NR, nc - q * NR));
          if (packBTrans && transB && cols == NR)
            packBTrans(B, ldb, pc, kc, jc + q * NR, d);
          else
            packBPanel(B, transB, ldb, pc, kc, jc + q * NR, cols, d, NR);
          state[q].store(kReady, std::memory_order_release);
        } else {
          waitReady(state[q]);
        }
        return d;
      };
      // Tasks: a row block x a run of panels, handed out one at a time by the pool (a late or descheduled worker
      // holds up one task, not a fixed share). Several tasks per thread; splitting the panels as well when there
      // are few row blocks costs nothing with an in-place A and one more packing of the A block otherwise.
      const int64_t target = threads == 1 ? 1 : std::min<int64_t>(threads * 8, M * nc * kc / (INT64_C(1) << 16));
      const int64_t minPanels = directA ? 1 : 8;
      const int64_t nSplit = std::max<int64_t>(1, std::min((target + rowBlocks - 1) / rowBlocks, nPanels / minPanels));
      const int64_t panelsPerSplit = (nPanels + nSplit - 1) / nSplit;
      run(rowBlocks * nSplit, [&](int64_t t0, int64_t t1) {
        std::vector<float>& ap = tlPackA;
        if (!directA) ap.resize(static_cast<size_t>(mb * kc));
        for (int64_t t = t0; t < t1; ++t) {
          // Consecutive tasks share a run of panels, so threads working side by side stream the same packed B.
          const int64_t js = t / rowBlocks, ib = t % rowBlocks;
          const int64_t i0 = ib * mb, mc = std::min(mb, M - i0);
          const int64_t q0 = js * panelsPerSplit, q1 = std::min(nPanels, q0 + panelsPerSplit);
          if (q0 >= q1) continue;
          if (!directA) {
            if (packATrans && transA)
              packATrans(A, lda, i0, mc, pc, kc, ap.data());
            else
              packA(A, transA, lda, i0, mc, pc, kc, ap.data(), MR);
          }
          const int64_t count = q1 - q0, rotate = threads > 1 ? (ib % threads) * count / threads : 0;
          for (int64_t step = 0; step < count; ++step) {
            const int64_t q = q0 + (step + rotate) % count;
            const int nr = static_cast<int>(std::min<int64_t>(NR, nc - q * NR));
            const float* bPanel = panel(q);
            float* cq = C + jc + q * NR;
            for (int64_t p = 0; p < mc; p += MR) {
              const int mr = static_cast<int>(std::min<int64_t>(MR, mc - p));
              if (directA)
                micro(kc, A + (i0 + p) * lda + pc, lda, 1, bPanel, cq + (i0 + p) * ldc, ldc, mr, nr, alpha, betaBlock);
              else
                micro(kc, ap.data() + p * kc, 1, MR, bPanel, cq + (i0 + p) * ldc, ldc, mr, nr, alpha, betaBlock);
            }
          }
        }
      });
    }
  }
}

}  // namespace aha
