// Dense GEMM on CUDA cores with shared-memory tiles: C[M, N] = alpha · A·B + beta · C, bf16 inputs read through
// strides (so linear's forward x·Wᵀ and both backward products are one kernel), f32 accumulation.
// A 64×64 tile of C per block of 256 threads, 4×4 outputs per thread, K in steps of 16 through shared memory (stored
// as f32, padded by one column against bank conflicts). This is the portable path; the tensor-core path (WMMA or
// mma.sync on bf16, needed for the issue's throughput target) is the next slice and will keep this one as its twin
// for the emulation.
#include "aha_cuda.h"

namespace aha_cuda {
namespace {

constexpr int kBM = 64, kBN = 64, kBK = 16, kThreads = 256;

template <class TC>
__global__ void __launch_bounds__(kThreads)
    gemmKernel(const bf16* __restrict__ A, int64_t sam, int64_t sak, const bf16* __restrict__ B, int64_t sbk,
               int64_t sbn, TC* __restrict__ C, int M, int N, int K, float alpha, float beta) {
  __shared__ float As[kBK][kBM + 1];
  __shared__ float Bs[kBK][kBN + 1];
  const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
  const int m0 = blockIdx.y * kBM, n0 = blockIdx.x * kBN;
  float acc[4][4] = {};
  for (int k0 = 0; k0 < K; k0 += kBK) {
    for (int l = 0; l < kBM * kBK / kThreads; ++l) {
      const int idx = tid + l * kThreads, mm = idx / kBK, kk = idx % kBK;
      const int m = m0 + mm, k = k0 + kk;
      As[kk][mm] = (m < M && k < K) ? ld(A, m * sam + k * sak) : 0.f;
    }
    for (int l = 0; l < kBN * kBK / kThreads; ++l) {
      const int idx = tid + l * kThreads, nn = idx % kBN, kk = idx / kBN;
      const int n = n0 + nn, k = k0 + kk;
      Bs[kk][nn] = (n < N && k < K) ? ld(B, k * sbk + n * sbn) : 0.f;
    }
    __syncthreads();
    for (int kk = 0; kk < kBK; ++kk) {
      float a[4], b[4];
      for (int i = 0; i < 4; ++i) a[i] = As[kk][ty + 16 * i];
      for (int j = 0; j < 4; ++j) b[j] = Bs[kk][tx + 16 * j];
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) acc[i][j] += a[i] * b[j];
    }
    __syncthreads();
  }
  for (int i = 0; i < 4; ++i) {
    const int m = m0 + ty + 16 * i;
    if (m >= M) continue;
    for (int j = 0; j < 4; ++j) {
      const int n = n0 + tx + 16 * j;
      if (n >= N) continue;
      const int64_t o = static_cast<int64_t>(m) * N + n;
      const float prev = beta != 0.f ? ld(C, o) : 0.f;  // beta 0 never reads C (it may be uninitialised)
      st(C, o, alpha * acc[i][j] + beta * prev);
    }
  }
}

template <class TC>
void launchGemm(const bf16* A, int64_t sam, int64_t sak, const bf16* B, int64_t sbk, int64_t sbn, TC* C, int M, int N,
                int K, float alpha, float beta, cudaStream_t s) {
  if (M <= 0 || N <= 0) return;
  const dim3 grid((N + kBN - 1) / kBN, (M + kBM - 1) / kBM);
  AHA_LAUNCH(gemmKernel<TC>, grid, dim3(kThreads), s, A, sam, sak, B, sbk, sbn, C, M, N, K, alpha, beta);
}

}  // namespace

void gemm(const bf16* A, int64_t sam, int64_t sak, const bf16* B, int64_t sbk, int64_t sbn, float* C, int M, int N,
          int K, float alpha, float beta, cudaStream_t s) {
  launchGemm(A, sam, sak, B, sbk, sbn, C, M, N, K, alpha, beta, s);
}

void gemm(const bf16* A, int64_t sam, int64_t sak, const bf16* B, int64_t sbk, int64_t sbn, bf16* C, int M, int N,
          int K, float alpha, float beta, cudaStream_t s) {
  launchGemm(A, sam, sak, B, sbk, sbn, C, M, N, K, alpha, beta, s);
}

}  // namespace aha_cuda
