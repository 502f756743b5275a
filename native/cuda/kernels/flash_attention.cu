// Causal attention forward, flash style (Dao et al., FlashAttention): keys and values stream through shared memory in
// tiles of 32, each query row keeps a running max m, a running sum l and an unnormalised output, so no T × T matrix
// exists. A block takes 16 query rows of one (batch, head); each of its 4 warps owns 4 rows, lane j of a warp scores
// key j of the tile, the warp's max / sum come from shuffles and the output accumulates with the probabilities
// broadcast lane by lane (lane owns dims lane, lane + 32, … < D ≤ 128). Out: o bf16, lse f32 (m + log l) for a
// backward.
// This is the portable CUDA-core path for the MLA training forward (q·k on the concatenated nope + rope dims); the
// tensor-core tiles, the backward and the paged-latent decode (FlashMLA) are later slices.
#include "aha_cuda.h"

namespace aha_cuda {
namespace {

constexpr int kRows = 16, kKeys = 32, kMaxD = 128, kThreads = 128, kRowsPerWarp = kRows / (kThreads / 32);

__global__ void __launch_bounds__(kThreads)
    flashForwardKernel(const bf16* __restrict__ q, const bf16* __restrict__ k, const bf16* __restrict__ v,
                       bf16* __restrict__ o, float* __restrict__ lse, int T, int D, float scale) {
  __shared__ float Qs[kRows][kMaxD];
  __shared__ float Ks[kKeys][kMaxD + 1];
  __shared__ float Vs[kKeys][kMaxD];
  const int64_t base = static_cast<int64_t>(blockIdx.y) * T * D;
  const int q0 = blockIdx.x * kRows, lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  for (int i = threadIdx.x; i < kRows * D; i += blockDim.x) {
    const int r = i / D, d = i % D;
    Qs[r][d] = q0 + r < T ? ld(q, base + static_cast<int64_t>(q0 + r) * D + d) : 0.f;
  }
  float m[kRowsPerWarp], l[kRowsPerWarp], acc[kRowsPerWarp][kMaxD / 32];
  AHA_UNROLL for (int i = 0; i < kRowsPerWarp; ++i) {
    m[i] = -INFINITY;
    l[i] = 0.f;
    AHA_UNROLL for (int c = 0; c < kMaxD / 32; ++c) acc[i][c] = 0.f;
  }
  const int keyEnd = min(T, q0 + kRows);  // causal: no query of this block sees a key past its last row
  for (int k0 = 0; k0 < keyEnd; k0 += kKeys) {
    __syncthreads();  // the previous tile is no longer read (and Qs is written, on the first pass)
    for (int i = threadIdx.x; i < kKeys * D; i += blockDim.x) {
      const int j = i / D, d = i % D;
      const bool in = k0 + j < T;
      Ks[j][d] = in ? ld(k, base + static_cast<int64_t>(k0 + j) * D + d) : 0.f;
      Vs[j][d] = in ? ld(v, base + static_cast<int64_t>(k0 + j) * D + d) : 0.f;
    }
    __syncthreads();
    AHA_UNROLL for (int i = 0; i < kRowsPerWarp; ++i) {
      const int r = warp * kRowsPerWarp + i, qi = q0 + r, j = k0 + lane;
      if (qi >= T) continue;  // uniform over the warp
      float s = -INFINITY;
      if (j <= qi) {
        float dot = 0.f;
        for (int d = 0; d < D; ++d) dot += Qs[r][d] * Ks[lane][d];
        s = dot * scale;
      }
      const float mNew = fmaxf(m[i], warpMax(s));  // finite: key 0 ≤ qi is in the first tile
      const float p = s == -INFINITY ? 0.f : __expf(s - mNew);
      const float corr = __expf(m[i] - mNew);  // 0 on the first tile (m = −∞)
      l[i] = l[i] * corr + warpSum(p);
      AHA_UNROLL for (int c = 0; c < kMaxD / 32; ++c) acc[i][c] *= corr;
      for (int jj = 0; jj < kKeys; ++jj) {
        const float pj = __shfl_sync(0xffffffffu, p, jj);
        AHA_UNROLL for (int c = 0; c < kMaxD / 32; ++c) if (lane + 32 * c < D) acc[i][c] += pj * Vs[jj][lane + 32 * c];
      }
      m[i] = mNew;
    }
  }
  AHA_UNROLL for (int i = 0; i < kRowsPerWarp; ++i) {
    const int qi = q0 + warp * kRowsPerWarp + i;
    if (qi >= T) continue;
    const float inv = 1.f / l[i];
    AHA_UNROLL for (int c = 0; c < kMaxD / 32; ++c) if (lane + 32 * c < D)
        st(o, base + static_cast<int64_t>(qi) * D + lane + 32 * c, acc[i][c] * inv);
    if (lane == 0) lse[static_cast<int64_t>(blockIdx.y) * T + qi] = m[i] + logf(l[i]);
  }
}

}  // namespace

void flashAttentionForward(const bf16* q, const bf16* k, const bf16* v, bf16* o, float* lse, int BH, int T, int D,
                           float scale, cudaStream_t s) {
  if (BH <= 0 || T <= 0) return;
  const dim3 grid((T + kRows - 1) / kRows, BH);
  AHA_LAUNCH(flashForwardKernel, grid, dim3(kThreads), s, q, k, v, o, lse, T, D, scale);
}

}  // namespace aha_cuda
