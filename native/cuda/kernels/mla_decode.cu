// MLA decode over a paged latent KV cache with the absorbed weights (DeepSeek-V2/V3 inference; FlashMLA's setting):
// each cached token is one row [c (Dc latent) | k_rope (Dr)], shared by every head; a head's query is its absorbed
// latent query q_lat = q_nope·W_UK [Dc] and q_rope [Dr], so score_t = scale · (q_lat·c_t + q_rope·k_rope_t) and the
// output is the latent o_lat = Σ_t p_t c_t [Dc] (W_UV is applied after, as a GEMM). Memory-bound: the cache is read
// once per block of 8 heads, in tiles of 32 tokens through shared memory, located through the block table
// (page = blockTable[b, t / pageSize]); online softmax per head as in flash_attention.cu.
// Limits: Dc ≤ 512, Dr ≤ 64 (DeepSeek-V3: 512 and 64), seqLens[b] ≥ 1. Leaves out: split-KV across blocks for long
// sequences with few heads, tensor cores, FP8 caches — FlashMLA's remaining ideas, next slices.
#include "aha_cuda.h"

namespace aha_cuda {
namespace {

constexpr int kHeads = 8, kTok = 32, kMaxDc = 512, kMaxDr = 64, kMaxRow = kMaxDc + kMaxDr, kThreads = 64;
constexpr int kHeadsPerWarp = kHeads / (kThreads / 32), kLd = kMaxRow + 2;

__global__ void __launch_bounds__(kThreads)
    mlaDecodeKernel(const bf16* __restrict__ qLat, const bf16* __restrict__ qRope, const bf16* __restrict__ cache,
                    const int32_t* __restrict__ blockTable, const int32_t* __restrict__ seqLens, bf16* __restrict__ out,
                    float* __restrict__ lse, int H, int Dc, int Dr, int pageSize, int maxPages, float scale) {
  __shared__ bf16 Qs[kHeads][kMaxRow];
  __shared__ bf16 KVs[kTok][kLd];
  const int b = blockIdx.y, h0 = blockIdx.x * kHeads, lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int row = Dc + Dr, len = seqLens[b];
  for (int i = threadIdx.x; i < kHeads * row; i += blockDim.x) {
    const int h = i / row, d = i % row;
    const int64_t qh = static_cast<int64_t>(b) * H + h0 + h;
    Qs[h][d] = h0 + h >= H ? __float2bfloat16(0.f) : d < Dc ? qLat[qh * Dc + d] : qRope[qh * Dr + d - Dc];
  }
  float m[kHeadsPerWarp], l[kHeadsPerWarp], acc[kHeadsPerWarp][kMaxDc / 32];
  AHA_UNROLL for (int i = 0; i < kHeadsPerWarp; ++i) {
    m[i] = -INFINITY;
    l[i] = 0.f;
    AHA_UNROLL for (int c = 0; c < kMaxDc / 32; ++c) acc[i][c] = 0.f;
  }
  for (int t0 = 0; t0 < len; t0 += kTok) {
    __syncthreads();
    for (int i = threadIdx.x; i < kTok * row; i += blockDim.x) {
      const int j = i / row, d = i % row, t = t0 + j;
      bf16 v = __float2bfloat16(0.f);
      if (t < len) {
        const int64_t page = blockTable[static_cast<int64_t>(b) * maxPages + t / pageSize];
        v = cache[(page * pageSize + t % pageSize) * row + d];
      }
      KVs[j][d] = v;
    }
    __syncthreads();
    AHA_UNROLL for (int i = 0; i < kHeadsPerWarp; ++i) {
      const int h = warp * kHeadsPerWarp + i;
      if (h0 + h >= H) continue;  // uniform over the warp
      float s = -INFINITY;
      if (t0 + lane < len) {
        float dot = 0.f;
        for (int d = 0; d < row; ++d) dot += __bfloat162float(Qs[h][d]) * __bfloat162float(KVs[lane][d]);
        s = dot * scale;
      }
      const float mNew = fmaxf(m[i], warpMax(s));  // finite: token t0 < len is in every tile
      const float p = s == -INFINITY ? 0.f : __expf(s - mNew), corr = __expf(m[i] - mNew);
      l[i] = l[i] * corr + warpSum(p);
      AHA_UNROLL for (int c = 0; c < kMaxDc / 32; ++c) acc[i][c] *= corr;
      for (int j = 0; j < kTok; ++j) {
        const float pj = __shfl_sync(0xffffffffu, p, j);
        AHA_UNROLL for (int c = 0; c < kMaxDc / 32; ++c) if (lane + 32 * c < Dc) acc[i][c] +=
            pj * __bfloat162float(KVs[j][lane + 32 * c]);
      }
      m[i] = mNew;
    }
  }
  AHA_UNROLL for (int i = 0; i < kHeadsPerWarp; ++i) {
    const int h = h0 + warp * kHeadsPerWarp + i;
    if (h >= H) continue;
    const int64_t qh = static_cast<int64_t>(b) * H + h;
    const float inv = 1.f / l[i];
    AHA_UNROLL for (int c = 0; c < kMaxDc / 32; ++c) if (lane + 32 * c < Dc)
        st(out, qh * Dc + lane + 32 * c, acc[i][c] * inv);
    if (lane == 0) lse[qh] = m[i] + logf(l[i]);
  }
}

}  // namespace

void mlaDecode(const bf16* qLat, const bf16* qRope, const bf16* cache, const int32_t* blockTable,
               const int32_t* seqLens, bf16* out, float* lse, int B, int H, int Dc, int Dr, int pageSize, int maxPages,
               float scale, cudaStream_t s) {
  if (B <= 0 || H <= 0) return;
  const dim3 grid((H + kHeads - 1) / kHeads, B);
  AHA_LAUNCH(mlaDecodeKernel, grid, dim3(kThreads), s, qLat, qRope, cache, blockTable, seqLens, out, lse, H, Dc, Dr,
             pageSize, maxPages, scale);
}

}  // namespace aha_cuda
