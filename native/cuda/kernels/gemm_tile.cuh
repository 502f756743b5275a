// One 64×64 tile of C = alpha · op(A)·op(B) + beta · C on CUDA cores, operands read through strides (A(m, k) =
// A[m·sam + k·sak], B(k, n) = B[k·sbk + n·sbn]) so any transpose is the same code; C has row stride ldc. 256 threads,
// 4×4 outputs each, K in steps of 16 through shared memory (f32, padded by one column against bank conflicts). Shared
// by the dense GEMM (gemm.cu) and the grouped backward products of the MoE dispatch (moe_permute.cu), where K (an
// expert's row count) is known only on the device. Every thread of the block must call it (it holds barriers).
#pragma once

#include "common.cuh"

namespace aha_cuda {

constexpr int kTileBM = 64, kTileBN = 64, kTileBK = 16, kTileThreads = 256;

template <class TA, class TB, class TC>
__device__ void gemmTile(const TA* __restrict__ A, int64_t sam, int64_t sak, const TB* __restrict__ B, int64_t sbk,
                         int64_t sbn, TC* __restrict__ C, int64_t ldc, int M, int N, int K, int m0, int n0, float alpha,
                         float beta) {
  __shared__ float As[kTileBK][kTileBM + 1];
  __shared__ float Bs[kTileBK][kTileBN + 1];
  const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
  float acc[4][4] = {};
  for (int k0 = 0; k0 < K; k0 += kTileBK) {
    __syncthreads();  // the previous step's tiles are no longer read
    for (int l = 0; l < kTileBM * kTileBK / kTileThreads; ++l) {
      const int idx = tid + l * kTileThreads, mm = idx / kTileBK, kk = idx % kTileBK;
      const int m = m0 + mm, k = k0 + kk;
      As[kk][mm] = (m < M && k < K) ? ld(A, m * sam + k * sak) : 0.f;
    }
    for (int l = 0; l < kTileBN * kTileBK / kTileThreads; ++l) {
      const int idx = tid + l * kTileThreads, nn = idx % kTileBN, kk = idx / kTileBN;
      const int n = n0 + nn, k = k0 + kk;
      Bs[kk][nn] = (n < N && k < K) ? ld(B, k * sbk + n * sbn) : 0.f;
    }
    __syncthreads();
    for (int kk = 0; kk < kTileBK; ++kk) {
      float a[4], b[4];
      AHA_UNROLL for (int i = 0; i < 4; ++i) a[i] = As[kk][ty + 16 * i];
      AHA_UNROLL for (int j = 0; j < 4; ++j) b[j] = Bs[kk][tx + 16 * j];
      AHA_UNROLL for (int i = 0; i < 4; ++i) AHA_UNROLL for (int j = 0; j < 4; ++j) acc[i][j] += a[i] * b[j];
    }
  }
  AHA_UNROLL for (int i = 0; i < 4; ++i) {
    const int m = m0 + ty + 16 * i;
    if (m >= M) continue;
    AHA_UNROLL for (int j = 0; j < 4; ++j) {
      const int n = n0 + tx + 16 * j;
      if (n >= N) continue;
      const int64_t o = static_cast<int64_t>(m) * ldc + n;
      const float prev = beta != 0.f ? ld(C, o) : 0.f;  // beta 0 never reads C (it may be uninitialised)
      st(C, o, alpha * acc[i][j] + beta * prev);
    }
  }
}

}  // namespace aha_cuda
