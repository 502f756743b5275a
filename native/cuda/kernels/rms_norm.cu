// RMSNorm (HF DeepseekV3RMSNorm), the CUDA twin of native/src/ops/rms_norm.cc: one block per row, the sum of squares
// reduced in f32 with warp shuffles (the CPU kernel uses double; the difference is far below bf16 rounding).
//   x̂ = x·r,  r = rsqrt(mean(x²) + eps),  y = x̂·w;   dx = r · (g·w − x̂ · mean(g·w·x̂)),  dw = Σ_rows g·x̂.
// dw = Σ_rows g·x̂ is reduced without atomics, as the CPU kernel does: the rows are split into at most 64 fixed
// chunks, a thread per column sums its chunk (adjacent threads read adjacent columns), then a second pass adds the
// chunks in order — so the result does not depend on scheduling.
#include "aha_cuda.h"

namespace aha_cuda {
namespace {

constexpr int kThreads = 256;

__global__ void __launch_bounds__(kThreads)
    rmsNormForwardKernel(const bf16* __restrict__ x, const bf16* __restrict__ w, bf16* __restrict__ y,
                         float* __restrict__ rstd, int D, float eps) {
  const int64_t row = blockIdx.x;
  const bf16* xr = x + row * D;
  float ss = 0.f;
  for (int j = threadIdx.x; j < D; j += blockDim.x) {
    const float v = ld(xr, j);
    ss += v * v;
  }
  ss = blockSum(ss);
  const float r = rsqrtf(ss / static_cast<float>(D) + eps);
  if (threadIdx.x == 0) rstd[row] = r;
  for (int j = threadIdx.x; j < D; j += blockDim.x) st(y + row * D, j, ld(xr, j) * r * ld(w, j));
}

__global__ void __launch_bounds__(kThreads)
    rmsNormBackwardKernel(const bf16* __restrict__ g, const bf16* __restrict__ x, const bf16* __restrict__ w,
                          const float* __restrict__ rstd, bf16* __restrict__ gx, int D) {
  const int64_t row = blockIdx.x;
  const bf16 *gr = g + row * D, *xr = x + row * D;
  const float r = rstd[row];
  float dot = 0.f;  // Σ g·w·x̂
  for (int j = threadIdx.x; j < D; j += blockDim.x) dot += ld(gr, j) * ld(w, j) * ld(xr, j) * r;
  dot = blockSum(dot);
  const float mean = dot / static_cast<float>(D);
  if (gx)
    for (int j = threadIdx.x; j < D; j += blockDim.x)
      st(gx + row * D, j, r * (ld(gr, j) * ld(w, j) - ld(xr, j) * r * mean));
}

constexpr int kChunks = 64;

int chunksFor(int rows) { return rows < kChunks ? rows : kChunks; }

// partial[c, j] = Σ over the rows of chunk c of g·x·rstd.
__global__ void dwPartialKernel(const bf16* __restrict__ g, const bf16* __restrict__ x, const float* __restrict__ rstd,
                                float* __restrict__ partial, int rows, int D) {
  const int j = blockIdx.x * blockDim.x + threadIdx.x, c = blockIdx.y, chunks = gridDim.y;
  if (j >= D) return;
  const int64_t r0 = static_cast<int64_t>(rows) * c / chunks, r1 = static_cast<int64_t>(rows) * (c + 1) / chunks;
  float s = 0.f;
  for (int64_t r = r0; r < r1; ++r) s += ld(g, r * D + j) * ld(x, r * D + j) * rstd[r];
  partial[static_cast<int64_t>(c) * D + j] = s;
}

__global__ void dwReduceKernel(const float* __restrict__ partial, float* __restrict__ gw, int chunks, int D) {
  const int j = blockIdx.x * blockDim.x + threadIdx.x;
  if (j >= D) return;
  float s = 0.f;
  for (int c = 0; c < chunks; ++c) s += partial[static_cast<int64_t>(c) * D + j];
  gw[j] = s;
}

}  // namespace

void rmsNormForward(const bf16* x, const bf16* w, bf16* y, float* rstd, int rows, int D, float eps, cudaStream_t s) {
  if (rows > 0) AHA_LAUNCH(rmsNormForwardKernel, dim3(rows), dim3(kThreads), s, x, w, y, rstd, D, eps);
}

int64_t rmsNormWorkspace(int rows, int D) { return static_cast<int64_t>(chunksFor(rows)) * D; }

void rmsNormBackward(const bf16* g, const bf16* x, const bf16* w, const float* rstd, bf16* gx, float* gw,
                     float* workspace, int rows, int D, cudaStream_t s) {
  if (rows <= 0) return;
  if (gx) AHA_LAUNCH(rmsNormBackwardKernel, dim3(rows), dim3(kThreads), s, g, x, w, rstd, gx, D);
  if (gw) {
    const unsigned cols = static_cast<unsigned>((D + kThreads - 1) / kThreads);
    const int chunks = chunksFor(rows);
    AHA_LAUNCH(dwPartialKernel, dim3(cols, chunks), dim3(kThreads), s, g, x, rstd, workspace, rows, D);
    AHA_LAUNCH(dwReduceKernel, dim3(cols), dim3(kThreads), s, workspace, gw, chunks, D);
  }
}

}  // namespace aha_cuda
