// Causal attention backward, flash style (FlashAttention-2's recomputation): with P = exp(scale·q·k − lse) rebuilt
// tile by tile from the forward's lse, and δ_i = Σ_d dO_i·O_i,
//   dP_ij = dO_i·v_j,  dS_ij = P_ij·(dP_ij − δ_i),  dq_i = scale·Σ_j dS_ij k_j,  dk_j = scale·Σ_i dS_ij q_i,
//   dv_j = Σ_i P_ij dO_i.
// Three kernels, no atomics and no T × T matrix: δ per row (one warp a row); dq over key tiles for 16 query rows a
// block; dk, dv over query tiles for 16 key rows a block (lane = the query, the sums broadcast lane by lane with
// shuffles, as in the forward). D ≤ 128; the tiles streamed past a block are kept in shared memory as bf16 (the inputs'
// own precision) to stay under 48 KB.
#include "aha_cuda.h"

namespace aha_cuda {
namespace {

constexpr int kRows = 16, kTile = 32, kMaxD = 128, kThreads = 128, kRowsPerWarp = kRows / (kThreads / 32);
constexpr int kLdT = kMaxD + 2;  // bf16 tile rows, padded

__global__ void deltaKernel(const bf16* __restrict__ o, const bf16* __restrict__ dO, float* __restrict__ delta,
                            int64_t rows, int D) {
  const int64_t row = blockIdx.x * static_cast<int64_t>(blockDim.x / 32) + threadIdx.x / 32;
  if (row >= rows) return;  // uniform over the warp
  float s = 0.f;
  for (int d = threadIdx.x % 32; d < D; d += 32) s += ld(o, row * D + d) * ld(dO, row * D + d);
  s = warpSum(s);
  if (threadIdx.x % 32 == 0) delta[row] = s;
}

__global__ void __launch_bounds__(kThreads)
    dqKernel(const bf16* __restrict__ q, const bf16* __restrict__ k, const bf16* __restrict__ v,
             const bf16* __restrict__ dO, const float* __restrict__ lse, const float* __restrict__ delta,
             bf16* __restrict__ dq, int T, int D, float scale) {
  __shared__ float Qs[kRows][kMaxD], dOs[kRows][kMaxD];
  __shared__ bf16 Ks[kTile][kLdT], Vs[kTile][kLdT];
  const int64_t base = static_cast<int64_t>(blockIdx.y) * T * D, rowBase = static_cast<int64_t>(blockIdx.y) * T;
  const int q0 = blockIdx.x * kRows, lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  for (int i = threadIdx.x; i < kRows * D; i += blockDim.x) {
    const int r = i / D, d = i % D;
    const bool in = q0 + r < T;
    Qs[r][d] = in ? ld(q, base + static_cast<int64_t>(q0 + r) * D + d) : 0.f;
    dOs[r][d] = in ? ld(dO, base + static_cast<int64_t>(q0 + r) * D + d) : 0.f;
  }
  float acc[kRowsPerWarp][kMaxD / 32];
  AHA_UNROLL for (int i = 0; i < kRowsPerWarp; ++i) AHA_UNROLL for (int c = 0; c < kMaxD / 32; ++c) acc[i][c] = 0.f;
  const int keyEnd = min(T, q0 + kRows);
  for (int k0 = 0; k0 < keyEnd; k0 += kTile) {
    __syncthreads();
    for (int i = threadIdx.x; i < kTile * D; i += blockDim.x) {
      const int j = i / D, d = i % D;
      const bool in = k0 + j < T;
      Ks[j][d] = in ? k[base + static_cast<int64_t>(k0 + j) * D + d] : __float2bfloat16(0.f);
      Vs[j][d] = in ? v[base + static_cast<int64_t>(k0 + j) * D + d] : __float2bfloat16(0.f);
    }
    __syncthreads();
    AHA_UNROLL for (int i = 0; i < kRowsPerWarp; ++i) {
      const int r = warp * kRowsPerWarp + i, qi = q0 + r, j = k0 + lane;
      if (qi >= T) continue;  // uniform over the warp
      float ds = 0.f;
      if (j <= qi) {
        float s = 0.f, dp = 0.f;
        for (int d = 0; d < D; ++d) {
          s += Qs[r][d] * __bfloat162float(Ks[lane][d]);
          dp += dOs[r][d] * __bfloat162float(Vs[lane][d]);
        }
        const float p = __expf(s * scale - lse[rowBase + qi]);
        ds = p * (dp - delta[rowBase + qi]);
      }
      for (int jj = 0; jj < kTile; ++jj) {
        const float dsj = __shfl_sync(0xffffffffu, ds, jj);
        AHA_UNROLL for (int c = 0; c < kMaxD / 32; ++c) if (lane + 32 * c < D) acc[i][c] +=
            dsj * __bfloat162float(Ks[jj][lane + 32 * c]);
      }
    }
  }
  AHA_UNROLL for (int i = 0; i < kRowsPerWarp; ++i) {
    const int qi = q0 + warp * kRowsPerWarp + i;
    if (qi >= T) continue;
    AHA_UNROLL for (int c = 0; c < kMaxD / 32; ++c) if (lane + 32 * c < D)
        st(dq, base + static_cast<int64_t>(qi) * D + lane + 32 * c, acc[i][c] * scale);
  }
}

__global__ void __launch_bounds__(kThreads)
    dkvKernel(const bf16* __restrict__ q, const bf16* __restrict__ k, const bf16* __restrict__ v,
              const bf16* __restrict__ dO, const float* __restrict__ lse, const float* __restrict__ delta,
              bf16* __restrict__ dk, bf16* __restrict__ dv, int T, int D, float scale) {
  __shared__ float Ks[kRows][kMaxD], Vs[kRows][kMaxD];
  __shared__ bf16 Qs[kTile][kLdT], dOs[kTile][kLdT];
  __shared__ float lseS[kTile], deltaS[kTile];
  const int64_t base = static_cast<int64_t>(blockIdx.y) * T * D, rowBase = static_cast<int64_t>(blockIdx.y) * T;
  const int j0 = blockIdx.x * kRows, lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  for (int i = threadIdx.x; i < kRows * D; i += blockDim.x) {
    const int r = i / D, d = i % D;
    const bool in = j0 + r < T;
    Ks[r][d] = in ? ld(k, base + static_cast<int64_t>(j0 + r) * D + d) : 0.f;
    Vs[r][d] = in ? ld(v, base + static_cast<int64_t>(j0 + r) * D + d) : 0.f;
  }
  float gk[kRowsPerWarp][kMaxD / 32], gv[kRowsPerWarp][kMaxD / 32];
  AHA_UNROLL for (int i = 0; i < kRowsPerWarp; ++i) AHA_UNROLL for (int c = 0; c < kMaxD / 32; ++c) {
    gk[i][c] = 0.f;
    gv[i][c] = 0.f;
  }
  for (int q0 = j0; q0 < T; q0 += kTile) {  // causal: queries before the block's first key see none of its keys
    __syncthreads();
    for (int i = threadIdx.x; i < kTile * D; i += blockDim.x) {
      const int r = i / D, d = i % D;
      const bool in = q0 + r < T;
      Qs[r][d] = in ? q[base + static_cast<int64_t>(q0 + r) * D + d] : __float2bfloat16(0.f);
      dOs[r][d] = in ? dO[base + static_cast<int64_t>(q0 + r) * D + d] : __float2bfloat16(0.f);
    }
    if (threadIdx.x < kTile) {
      const int t = static_cast<int>(threadIdx.x);
      const bool in = q0 + t < T;
      lseS[t] = in ? lse[rowBase + q0 + t] : 0.f;
      deltaS[t] = in ? delta[rowBase + q0 + t] : 0.f;
    }
    __syncthreads();
    AHA_UNROLL for (int i = 0; i < kRowsPerWarp; ++i) {
      const int r = warp * kRowsPerWarp + i, kj = j0 + r, qi = q0 + lane;
      if (kj >= T) continue;  // uniform over the warp
      float p = 0.f, ds = 0.f;
      if (qi < T && qi >= kj) {
        float s = 0.f, dp = 0.f;
        for (int d = 0; d < D; ++d) {
          s += __bfloat162float(Qs[lane][d]) * Ks[r][d];
          dp += __bfloat162float(dOs[lane][d]) * Vs[r][d];
        }
        p = __expf(s * scale - lseS[lane]);
        ds = p * (dp - deltaS[lane]);
      }
      for (int ii = 0; ii < kTile; ++ii) {
        const float pi = __shfl_sync(0xffffffffu, p, ii), dsi = __shfl_sync(0xffffffffu, ds, ii);
        AHA_UNROLL for (int c = 0; c < kMaxD / 32; ++c) if (lane + 32 * c < D) {
          gv[i][c] += pi * __bfloat162float(dOs[ii][lane + 32 * c]);
          gk[i][c] += dsi * __bfloat162float(Qs[ii][lane + 32 * c]);
        }
      }
    }
  }
  AHA_UNROLL for (int i = 0; i < kRowsPerWarp; ++i) {
    const int kj = j0 + warp * kRowsPerWarp + i;
    if (kj >= T) continue;
    AHA_UNROLL for (int c = 0; c < kMaxD / 32; ++c) if (lane + 32 * c < D) {
      const int64_t o = base + static_cast<int64_t>(kj) * D + lane + 32 * c;
      st(dk, o, gk[i][c] * scale);
      st(dv, o, gv[i][c]);
    }
  }
}

}  // namespace

void flashAttentionBackward(const bf16* q, const bf16* k, const bf16* v, const bf16* o, const float* lse,
                            const bf16* dO, bf16* dq, bf16* dk, bf16* dv, float* delta, int BH, int T, int D,
                            float scale, cudaStream_t s) {
  if (BH <= 0 || T <= 0) return;
  const int64_t rows = static_cast<int64_t>(BH) * T;
  AHA_LAUNCH(deltaKernel, dim3(static_cast<unsigned>((rows + 3) / 4)), dim3(128), s, o, dO, delta, rows, D);
  const dim3 grid((T + kRows - 1) / kRows, BH);
  AHA_LAUNCH(dqKernel, grid, dim3(kThreads), s, q, k, v, dO, lse, delta, dq, T, D, scale);
  AHA_LAUNCH(dkvKernel, grid, dim3(kThreads), s, q, k, v, dO, lse, delta, dk, dv, T, D, scale);
}

}  // namespace aha_cuda
