// SwiGLU, the CUDA twin of native/src/ops/swiglu.cc: y = gate · σ(gate) · up, elementwise with a grid-stride loop;
// the backward recomputes σ(gate):  d gate = dy · up · σ · (1 + gate · (1 − σ)),  d up = dy · gate · σ.
#include "aha_cuda.h"

namespace aha_cuda {
namespace {

constexpr int kThreads = 256;

__device__ __forceinline__ float sigmoid(float x) { return __fdividef(1.f, 1.f + __expf(-x)); }

__global__ void swigluForwardKernel(const bf16* __restrict__ gate, const bf16* __restrict__ up, bf16* __restrict__ y,
                                    int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const float g = ld(gate, i);
    st(y, i, g * sigmoid(g) * ld(up, i));
  }
}

__global__ void swigluBackwardKernel(const bf16* __restrict__ dy, const bf16* __restrict__ gate,
                                     const bf16* __restrict__ up, bf16* __restrict__ gg, bf16* __restrict__ gu,
                                     int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const float g = ld(gate, i), d = ld(dy, i), sg = sigmoid(g);
    if (gg) st(gg, i, d * ld(up, i) * sg * (1.f + g * (1.f - sg)));
    if (gu) st(gu, i, d * g * sg);
  }
}

}  // namespace

void swigluForward(const bf16* gate, const bf16* up, bf16* y, int64_t n, cudaStream_t s) {
  if (n > 0) AHA_LAUNCH(swigluForwardKernel, dim3(blocksFor(n, kThreads)), dim3(kThreads), s, gate, up, y, n);
}

void swigluBackward(const bf16* dy, const bf16* gate, const bf16* up, bf16* gg, bf16* gu, int64_t n, cudaStream_t s) {
  if (n > 0) AHA_LAUNCH(swigluBackwardKernel, dim3(blocksFor(n, kThreads)), dim3(kThreads), s, dy, gate, up, gg, gu, n);
}

}  // namespace aha_cuda
