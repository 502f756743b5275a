// Dense GEMM on CUDA cores with shared-memory tiles: C[M, N] = alpha · A·B + beta · C, bf16 inputs read through
// strides (so linear's forward x·Wᵀ and both backward products are one kernel), f32 accumulation.
// A 64×64 tile of C per block (gemm_tile.cuh). The portable path for any layout; linear's forward layout also has a
// tensor-core path (gemm_wmma.cu).
#include "aha_cuda.h"
#include "gemm_tile.cuh"

namespace aha_cuda {
namespace {

template <class TC>
__global__ void __launch_bounds__(kTileThreads)
    gemmKernel(const bf16* __restrict__ A, int64_t sam, int64_t sak, const bf16* __restrict__ B, int64_t sbk,
               int64_t sbn, TC* __restrict__ C, int M, int N, int K, float alpha, float beta) {
  gemmTile(A, sam, sak, B, sbk, sbn, C, N, M, N, K, blockIdx.y * kTileBM, blockIdx.x * kTileBN, alpha, beta);
}

template <class TC>
void launchGemm(const bf16* A, int64_t sam, int64_t sak, const bf16* B, int64_t sbk, int64_t sbn, TC* C, int M, int N,
                int K, float alpha, float beta, cudaStream_t s) {
  if (M <= 0 || N <= 0) return;
  const dim3 grid((N + kTileBN - 1) / kTileBN, (M + kTileBM - 1) / kTileBM);
  AHA_LAUNCH(gemmKernel<TC>, grid, dim3(kTileThreads), s, A, sam, sak, B, sbk, sbn, C, M, N, K, alpha, beta);
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
