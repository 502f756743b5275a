// RMSNorm (HF DeepseekV3RMSNorm), the CUDA twin of native/src/ops/rms_norm.cc: one block per row, the sum of squares
// reduced in f32 with warp shuffles (the CPU kernel uses double; the difference is far below bf16 rounding).
//   x̂ = x·r,  r = rsqrt(mean(x²) + eps),  y = x̂·w;   dx = r · (g·w − x̂ · mean(g·w·x̂)),  dw = Σ_rows g·x̂.
// dw is accumulated with one f32 atomic per element and row: fine for the sizes here, a per-block partial reduction is
// the later step for large row counts.
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
                          const float* __restrict__ rstd, bf16* __restrict__ gx, float* __restrict__ gw, int D) {
  const int64_t row = blockIdx.x;
  const bf16 *gr = g + row * D, *xr = x + row * D;
  const float r = rstd[row];
  float dot = 0.f;  // Σ g·w·x̂
  for (int j = threadIdx.x; j < D; j += blockDim.x) dot += ld(gr, j) * ld(w, j) * ld(xr, j) * r;
  dot = blockSum(dot);
  const float mean = dot / static_cast<float>(D);
  for (int j = threadIdx.x; j < D; j += blockDim.x) {
    const float gj = ld(gr, j), xh = ld(xr, j) * r;
    if (gx) st(gx + row * D, j, r * (gj * ld(w, j) - xh * mean));
    if (gw) atomicAdd(gw + j, gj * xh);
  }
}

}  // namespace

void rmsNormForward(const bf16* x, const bf16* w, bf16* y, float* rstd, int rows, int D, float eps, cudaStream_t s) {
  if (rows > 0) AHA_LAUNCH(rmsNormForwardKernel, dim3(rows), dim3(kThreads), s, x, w, y, rstd, D, eps);
}

void rmsNormBackward(const bf16* g, const bf16* x, const bf16* w, const float* rstd, bf16* gx, float* gw, int rows,
                     int D, cudaStream_t s) {
  if (rows > 0) AHA_LAUNCH(rmsNormBackwardKernel, dim3(rows), dim3(kThreads), s, g, x, w, rstd, gx, gw, D);
}

}  // namespace aha_cuda
