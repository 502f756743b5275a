// One 64×64 tile of C = alpha · A·Wᵀ + beta · C on tensor cores (WMMA bf16 → f32), shared by the dense GEMM
// (gemm_wmma.cu) and the grouped expert GEMM (moe_permute.cu). A [M, K] and W [N, K] are K-contiguous with row strides
// lda, ldw; C has row stride ldc. 4 warps (128 threads), each a 32×32 quarter as 2×2 fragments of 16×16×16; K in steps
// of 32 through shared memory, zero-filled past the edges so any M, N, K works; the accumulators pass through shared
// memory for the bounds-checked alpha/beta epilogue. Rows are padded by 8 bf16 (16 bytes, WMMA's ldm rule) against
// bank conflicts. Every thread of the block must call it (it holds barriers).
#pragma once

#include "common.cuh"

namespace aha_cuda {

constexpr int kWmmaBM = 64, kWmmaBN = 64, kWmmaBK = 32, kWmmaThreads = 128;

template <class TC>
__device__ void wmmaTile(const bf16* __restrict__ A, int64_t lda, const bf16* __restrict__ W, int64_t ldw,
                         TC* __restrict__ C, int64_t ldc, int M, int N, int K, int m0, int n0, float alpha,
                         float beta) {
  namespace wmma = nvcuda::wmma;
  constexpr int kLd = kWmmaBK + 8, kLdc = kWmmaBN + 4;
  __shared__ __align__(32) bf16 As[kWmmaBM * kLd];
  __shared__ __align__(32) bf16 Bs[kWmmaBN * kLd];
  __shared__ __align__(32) float Cs[kWmmaBM * kLdc];
  const int tid = threadIdx.x, warp = tid / 32, wm = warp / 2, wn = warp % 2;
  const bf16 zero = __float2bfloat16(0.f);
  wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[2][2];
  AHA_UNROLL for (int i = 0; i < 2; ++i) AHA_UNROLL for (int j = 0; j < 2; ++j) wmma::fill_fragment(acc[i][j], 0.f);
  for (int k0 = 0; k0 < K; k0 += kWmmaBK) {
    __syncthreads();  // the previous step's tiles (or a previous call's epilogue) are no longer read
    for (int idx = tid; idx < kWmmaBM * kWmmaBK; idx += kWmmaThreads) {
      const int r = idx / kWmmaBK, c = idx % kWmmaBK, k = k0 + c;
      As[r * kLd + c] = (m0 + r < M && k < K) ? A[(m0 + r) * lda + k] : zero;
      Bs[r * kLd + c] = (n0 + r < N && k < K) ? W[(n0 + r) * ldw + k] : zero;
    }
    __syncthreads();
    AHA_UNROLL for (int kk = 0; kk < kWmmaBK; kk += 16) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major> a[2];
      wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::col_major> b[2];  // (k, n) at Bs[n·kLd + k]
      AHA_UNROLL for (int i = 0; i < 2; ++i) wmma::load_matrix_sync(a[i], As + (wm * 32 + 16 * i) * kLd + kk, kLd);
      AHA_UNROLL for (int j = 0; j < 2; ++j) wmma::load_matrix_sync(b[j], Bs + (wn * 32 + 16 * j) * kLd + kk, kLd);
      AHA_UNROLL for (int i = 0; i < 2; ++i) AHA_UNROLL for (int j = 0; j < 2; ++j)
          wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
    }
  }
  AHA_UNROLL for (int i = 0; i < 2; ++i) AHA_UNROLL for (int j = 0; j < 2; ++j)
      wmma::store_matrix_sync(Cs + (wm * 32 + 16 * i) * kLdc + wn * 32 + 16 * j, acc[i][j], kLdc, wmma::mem_row_major);
  __syncthreads();
  for (int idx = tid; idx < kWmmaBM * kWmmaBN; idx += kWmmaThreads) {
    const int r = idx / kWmmaBN, c = idx % kWmmaBN, m = m0 + r, n = n0 + c;
    if (m >= M || n >= N) continue;
    const int64_t o = static_cast<int64_t>(m) * ldc + n;
    const float prev = beta != 0.f ? ld(C, o) : 0.f;  // beta 0 never reads C (it may be uninitialised)
    st(C, o, alpha * Cs[r * kLdc + c] + beta * prev);
  }
}

}  // namespace aha_cuda
