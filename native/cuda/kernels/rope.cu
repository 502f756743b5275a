// RoPE, the CUDA twin of native/src/ops/rope.cc for contiguous x [N, T, D]: pair i of row (n, t) rotates by the
// angle whose cos/sin are at [t, i]; pairs are (2i, 2i+1) ('interleaved', DeepSeek inference) or (i, i + D/2) ('half',
// HF rotate_half). sign −1 is the inverse rotation, i.e. the backward. One thread per pair.
#include "aha_cuda.h"

namespace aha_cuda {
namespace {

constexpr int kThreads = 256;

__global__ void ropeKernel(const bf16* __restrict__ x, const float* __restrict__ cs, const float* __restrict__ sn,
                           bf16* __restrict__ y, int64_t pairs, int T, int D, int interleaved, float sign) {
  const int half = D / 2;
  for (int64_t p = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; p < pairs;
       p += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int i = static_cast<int>(p % half);
    const int64_t row = p / half;  // n·T + t
    const int t = static_cast<int>(row % T);
    const int64_t a = row * D + (interleaved ? 2 * i : i), b = a + (interleaved ? 1 : half);
    const float c = cs[static_cast<int64_t>(t) * half + i], s = sign * sn[static_cast<int64_t>(t) * half + i];
    const float xa = ld(x, a), xb = ld(x, b);
    st(y, a, xa * c - xb * s);
    st(y, b, xa * s + xb * c);
  }
}

}  // namespace

void ropeApply(const bf16* x, const float* cos, const float* sin, bf16* y, int N, int T, int D, bool interleaved,
               float sign, cudaStream_t s) {
  const int64_t pairs = static_cast<int64_t>(N) * T * (D / 2);
  if (pairs > 0)
    AHA_LAUNCH(ropeKernel, dim3(blocksFor(pairs, kThreads)), dim3(kThreads), s, x, cos, sin, y, pairs, T, D,
               interleaved ? 1 : 0, sign < 0 ? -1.f : 1.f);
}

}  // namespace aha_cuda
