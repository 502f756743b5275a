// Shared by every kernel file: the CUDA headers on nvcc or the CPU emulation on g++ (emu/cuda_emu.h), the launch
// macro that hides the <<<>>> syntax g++ cannot parse, bf16 load/store helpers and warp/block reductions.
#pragma once

#include <cstdint>

#ifdef __CUDACC__
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <mma.h>
// Launches kernel over grid × block on stream with no dynamic shared memory.
#define AHA_LAUNCH(kernel, grid, block, stream, ...) kernel<<<(grid), (block), 0, (stream)>>>(__VA_ARGS__)
// Full unrolling of a loop with a constant trip count, so small per-thread arrays stay in registers.
#define AHA_UNROLL _Pragma("unroll")
#else
#include "../emu/cuda_emu.h"
#define AHA_LAUNCH(kernel, grid, block, stream, ...) \
  ((void)(stream), cuda_emu::launch((grid), (block), [&] { kernel(__VA_ARGS__); }))
#define AHA_UNROLL
#endif

namespace aha_cuda {

using bf16 = __nv_bfloat16;

__device__ __forceinline__ float ld(const bf16* p, int64_t i) { return __bfloat162float(p[i]); }
__device__ __forceinline__ float ld(const float* p, int64_t i) { return p[i]; }
__device__ __forceinline__ void st(bf16* p, int64_t i, float v) { p[i] = __float2bfloat16(v); }
__device__ __forceinline__ void st(float* p, int64_t i, float v) { p[i] = v; }

__device__ __forceinline__ float warpSum(float v) {
  for (int m = 16; m > 0; m >>= 1) v += __shfl_xor_sync(0xffffffffu, v, m);
  return v;
}
__device__ __forceinline__ float warpMax(float v) {
  for (int m = 16; m > 0; m >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, m));
  return v;
}

// Sum of v over the block (blockDim.x a multiple of 32, ≤ 1024), returned to every thread. Two barriers, so it can
// be called again right after (the shared slots are not reused before everyone has read them).
__device__ __forceinline__ float blockSum(float v) {
  __shared__ float part[32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, nw = blockDim.x / 32;
  v = warpSum(v);
  if (lane == 0) part[warp] = v;
  __syncthreads();
  float s = lane < nw ? part[lane] : 0.f;
  s = warpSum(s);
  __syncthreads();
  return s;
}
__device__ __forceinline__ float blockMax(float v) {
  __shared__ float part[32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, nw = blockDim.x / 32;
  v = warpMax(v);
  if (lane == 0) part[warp] = v;
  __syncthreads();
  float s = lane < nw ? part[lane] : -INFINITY;
  s = warpMax(s);
  __syncthreads();
  return s;
}

inline unsigned blocksFor(int64_t n, int threads) {
  const int64_t b = (n + threads - 1) / threads;
  return static_cast<unsigned>(b < 65535 ? b : 65535);  // grid-stride loops cover the rest
}

}  // namespace aha_cuda
