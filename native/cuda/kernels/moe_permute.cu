// MoE dispatch on one device: sort the (token, slot) pairs by expert, gather the rows, run every expert's GEMM in one
// launch on tensor cores, and combine the weighted results per token (moe_experts.cc's sort / grouped GEMM /
// weighted un-permute, DeepEP's dispatch-combine without the all-to-all).
// The sort is deterministic without atomics: a block per expert counts its slots, one block scans the counts, then a
// block per expert writes its slots in order, a chunk of 256 slots at a time, each thread's place given by a warp
// ballot + popcount prefix and a prefix over the block's warps.
// The grouped GEMM launches ceil(rows/64) + E row tiles (an upper bound on Σ_e ceil(count_e/64)), each block finding
// its expert and tile from the offsets on the device; surplus blocks exit at once.
// The backward runs the stages in reverse: the un-permute's gradient (rows scaled by the weights, a dot per slot for
// the weights), the grouped products dxs = dys·W_e and dW_e = dys_eᵀ·xs_e on CUDA cores (gemm_tile.cuh: transposed
// operands through strides, K = an expert's row count read on the device), the gather's gradient summed per token in
// slot order.
// Leaves out: tensor cores for the backward products, capacity limits, fusing SwiGLU into the GEMM epilogue.
#include "aha_cuda.h"
#include "gemm_tile.cuh"
#include "wmma_tile.cuh"

namespace aha_cuda {
namespace {

constexpr int kThreads = 256;

__global__ void countKernel(const int32_t* __restrict__ ids, int32_t* __restrict__ counts, int n) {
  const int e = blockIdx.x;
  float c = 0.f;  // exact: counts stay far below 2^24
  for (int i = threadIdx.x; i < n; i += blockDim.x) c += ids[i] == e ? 1.f : 0.f;
  c = blockSum(c);
  if (threadIdx.x == 0) counts[e] = static_cast<int32_t>(c);
}

__global__ void scanKernel(int32_t* offsets, int E) {  // offsets[1..E] hold the counts on entry
  if (threadIdx.x != 0) return;
  offsets[0] = 0;
  for (int e = 1; e <= E; ++e) offsets[e] += offsets[e - 1];
}

__global__ void fillKernel(const int32_t* __restrict__ ids, const int32_t* __restrict__ offsets,
                           int32_t* __restrict__ rowToken, int32_t* __restrict__ slotRow, int n, int K) {
  __shared__ int warpCount[kThreads / 32];
  const int e = blockIdx.x, lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  int base = offsets[e];
  for (int c0 = 0; c0 < n; c0 += kThreads) {
    const int i = c0 + static_cast<int>(threadIdx.x);
    const bool mine = i < n && ids[i] == e;
    const unsigned mask = __ballot_sync(0xffffffffu, mine);
    if (lane == 0) warpCount[warp] = __popc(mask);
    __syncthreads();
    int before = __popc(mask & ((1u << lane) - 1u)), total = 0;
    for (int w = 0; w < kThreads / 32; ++w) {
      before += w < warp ? warpCount[w] : 0;
      total += warpCount[w];
    }
    if (mine) {
      rowToken[base + before] = i / K;
      slotRow[i] = base + before;
    }
    base += total;
    __syncthreads();  // warpCount is rewritten by the next chunk
  }
}

__global__ void gatherKernel(const bf16* __restrict__ x, const int32_t* __restrict__ rowToken, bf16* __restrict__ xs,
                             int D) {
  const int64_t r = blockIdx.x, t = rowToken[r];
  for (int j = threadIdx.x; j < D; j += blockDim.x) xs[r * D + j] = x[t * D + j];
}

__global__ void __launch_bounds__(kWmmaThreads)
    groupedGemmKernel(const bf16* __restrict__ xs, const bf16* __restrict__ W, const int32_t* __restrict__ offsets,
                      bf16* __restrict__ ys, int E, int Din, int Dout) {
  // Row tile blockIdx.y of the concatenation of every expert's ceil(count/64) tiles.
  int tile = blockIdx.y, e = 0;
  for (; e < E; ++e) {
    const int tiles = (offsets[e + 1] - offsets[e] + kWmmaBM - 1) / kWmmaBM;
    if (tile < tiles) break;
    tile -= tiles;
  }
  if (e == E) return;  // a surplus block: uniform over the block, before any barrier
  const int start = offsets[e], count = offsets[e + 1] - start;
  wmmaTile(xs + static_cast<int64_t>(start) * Din, Din, W + static_cast<int64_t>(e) * Dout * Din, Din,
           ys + static_cast<int64_t>(start) * Dout, Dout, count, Dout, Din, tile * kWmmaBM, blockIdx.x * kWmmaBN, 1.f,
           0.f);
}

__global__ void unpermuteKernel(const bf16* __restrict__ ys, const int32_t* __restrict__ slotRow,
                                const float* __restrict__ weights, bf16* __restrict__ out, int K, int D) {
  const int64_t n = blockIdx.x;
  for (int j = threadIdx.x; j < D; j += blockDim.x) {
    float s = 0.f;
    for (int k = 0; k < K; ++k) s += weights[n * K + k] * ld(ys, static_cast<int64_t>(slotRow[n * K + k]) * D + j);
    st(out, n * D + j, s);
  }
}

__global__ void unpermuteBackwardKernel(const bf16* __restrict__ dout, const bf16* __restrict__ ys,
                                        const int32_t* __restrict__ slotRow, const float* __restrict__ weights,
                                        bf16* __restrict__ dys, float* __restrict__ dweights, int K, int D) {
  const int64_t n = blockIdx.x;
  for (int k = 0; k < K; ++k) {
    const int64_t r = slotRow[n * K + k];
    const float w = weights[n * K + k];
    float dot = 0.f;
    for (int j = threadIdx.x; j < D; j += blockDim.x) {
      const float g = ld(dout, n * D + j);
      st(dys, r * D + j, w * g);
      dot += g * ld(ys, r * D + j);
    }
    dot = blockSum(dot);
    if (threadIdx.x == 0) dweights[n * K + k] = dot;
  }
}

// Finds expert e and row tile `tile` of flat row tile t (as in the forward); false for a surplus block.
__device__ bool expertTile(const int32_t* offsets, int E, int t, int& e, int& tile) {
  for (e = 0; e < E; ++e) {
    const int tiles = (offsets[e + 1] - offsets[e] + kTileBM - 1) / kTileBM;
    if (t < tiles) {
      tile = t;
      return true;
    }
    t -= tiles;
  }
  return false;
}

__global__ void __launch_bounds__(kTileThreads)
    groupedDxKernel(const bf16* __restrict__ W, const int32_t* __restrict__ offsets, const bf16* __restrict__ dys,
                    bf16* __restrict__ dxs, int E, int Din, int Dout) {
  int e = 0, tile = 0;
  if (!expertTile(offsets, E, blockIdx.y, e, tile)) return;  // uniform over the block
  const int start = offsets[e], count = offsets[e + 1] - start;
  // dxs_e [count, Din] = dys_e [count, Dout] · W_e [Dout, Din]
  gemmTile(dys + static_cast<int64_t>(start) * Dout, Dout, 1, W + static_cast<int64_t>(e) * Dout * Din, Din, 1,
           dxs + static_cast<int64_t>(start) * Din, Din, count, Din, Dout, tile * kTileBM, blockIdx.x * kTileBN, 1.f,
           0.f);
}

__global__ void __launch_bounds__(kTileThreads)
    groupedDwKernel(const bf16* __restrict__ xs, const int32_t* __restrict__ offsets, const bf16* __restrict__ dys,
                    float* __restrict__ dW, int Din, int Dout, float betaW) {
  const int e = blockIdx.z, start = offsets[e], count = offsets[e + 1] - start;
  // dW_e [Dout, Din] = dys_eᵀ [Dout, count] · xs_e [count, Din]
  gemmTile(dys + static_cast<int64_t>(start) * Dout, 1, Dout, xs + static_cast<int64_t>(start) * Din, Din, 1,
           dW + static_cast<int64_t>(e) * Dout * Din, Din, Dout, Din, count, blockIdx.y * kTileBM, blockIdx.x * kTileBN,
           1.f, betaW);
}

__global__ void gatherBackwardKernel(const bf16* __restrict__ dxs, const int32_t* __restrict__ slotRow,
                                     bf16* __restrict__ dx, int K, int D) {
  const int64_t n = blockIdx.x;
  for (int j = threadIdx.x; j < D; j += blockDim.x) {
    float s = 0.f;
    for (int k = 0; k < K; ++k) s += ld(dxs, static_cast<int64_t>(slotRow[n * K + k]) * D + j);
    st(dx, n * D + j, s);
  }
}

}  // namespace

void moeUnpermuteBackward(const bf16* dout, const bf16* ys, const int32_t* slotRow, const float* weights, bf16* dys,
                          float* dweights, int N, int K, int D, cudaStream_t s) {
  if (N > 0)
    AHA_LAUNCH(unpermuteBackwardKernel, dim3(N), dim3(128), s, dout, ys, slotRow, weights, dys, dweights, K, D);
}

void moeGroupedGemmBackward(const bf16* xs, const bf16* W, const int32_t* offsets, const bf16* dys, bf16* dxs,
                            float* dW, int rows, int E, int Din, int Dout, float betaW, cudaStream_t s) {
  if (E <= 0 || Din <= 0 || Dout <= 0) return;
  if (rows > 0) {
    const dim3 gx((Din + kTileBN - 1) / kTileBN, (rows + kTileBM - 1) / kTileBM + E);
    AHA_LAUNCH(groupedDxKernel, gx, dim3(kTileThreads), s, W, offsets, dys, dxs, E, Din, Dout);
  }
  const dim3 gw((Din + kTileBN - 1) / kTileBN, (Dout + kTileBM - 1) / kTileBM, E);
  AHA_LAUNCH(groupedDwKernel, gw, dim3(kTileThreads), s, xs, offsets, dys, dW, Din, Dout, betaW);
}

void moeGatherRowsBackward(const bf16* dxs, const int32_t* slotRow, bf16* dx, int N, int K, int D, cudaStream_t s) {
  if (N > 0) AHA_LAUNCH(gatherBackwardKernel, dim3(N), dim3(128), s, dxs, slotRow, dx, K, D);
}

void moePermute(const int32_t* ids, int32_t* offsets, int32_t* rowToken, int32_t* slotRow, int N, int K, int E,
                cudaStream_t s) {
  const int n = N * K;
  AHA_LAUNCH(countKernel, dim3(E), dim3(kThreads), s, ids, offsets + 1, n);
  AHA_LAUNCH(scanKernel, dim3(1), dim3(32), s, offsets, E);
  AHA_LAUNCH(fillKernel, dim3(E), dim3(kThreads), s, ids, offsets, rowToken, slotRow, n, K);
}

void moeGatherRows(const bf16* x, const int32_t* rowToken, bf16* xs, int rows, int D, cudaStream_t s) {
  if (rows > 0) AHA_LAUNCH(gatherKernel, dim3(rows), dim3(128), s, x, rowToken, xs, D);
}

void moeGroupedGemm(const bf16* xs, const bf16* W, const int32_t* offsets, bf16* ys, int rows, int E, int Din, int Dout,
                    cudaStream_t s) {
  if (rows <= 0 || Dout <= 0) return;
  const dim3 grid((Dout + kWmmaBN - 1) / kWmmaBN, (rows + kWmmaBM - 1) / kWmmaBM + E);
  AHA_LAUNCH(groupedGemmKernel, grid, dim3(kWmmaThreads), s, xs, W, offsets, ys, E, Din, Dout);
}

void moeUnpermute(const bf16* ys, const int32_t* slotRow, const float* weights, bf16* out, int N, int K, int D,
                  cudaStream_t s) {
  if (N > 0) AHA_LAUNCH(unpermuteKernel, dim3(N), dim3(128), s, ys, slotRow, weights, out, K, D);
}

}  // namespace aha_cuda
