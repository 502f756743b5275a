// AdamW, the CUDA twin of native/src/ops/optim.cc (torch.optim.AdamW, decoupled weight decay, f32 state):
//   p ← p·(1 − lr·λ);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  p ← p − (lr/(1−β1^t)) · m / (√v/√(1−β2^t) + ε)
// with the same float constants, formed in double on the host. Optionally writes the bf16 copy of the updated
// master weight that the forward reads. Leaves out: amsgrad, multi-tensor (one launch per parameter).
#include <cmath>

#include "aha_cuda.h"

namespace aha_cuda {
namespace {

constexpr int kThreads = 256;

struct AdamWConst {
  float decay, beta1, beta2, oneMinusBeta1, oneMinusBeta2, eps, stepSize, invSqrtBc2;
};

__global__ void adamwKernel(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ m,
                            float* __restrict__ v, bf16* __restrict__ pb, int64_t n, AdamWConst h) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const float gi = g[i];
    const float mi = h.beta1 * m[i] + h.oneMinusBeta1 * gi;
    const float vi = h.beta2 * v[i] + h.oneMinusBeta2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    const float pi = p[i] * h.decay - h.stepSize * mi / (sqrtf(vi) * h.invSqrtBc2 + h.eps);
    p[i] = pi;
    if (pb) st(pb, i, pi);
  }
}

}  // namespace

void adamwStep(float* p, const float* g, float* m, float* v, bf16* pbf16, int64_t n, AdamWParams a, cudaStream_t s) {
  const double bc1 = 1.0 - std::pow(a.beta1, a.step), bc2 = 1.0 - std::pow(a.beta2, a.step);
  AdamWConst h;
  h.decay = static_cast<float>(1.0 - a.lr * a.weightDecay);
  h.beta1 = static_cast<float>(a.beta1);
  h.beta2 = static_cast<float>(a.beta2);
  h.oneMinusBeta1 = static_cast<float>(1.0 - a.beta1);
  h.oneMinusBeta2 = static_cast<float>(1.0 - a.beta2);
  h.eps = static_cast<float>(a.eps);
  h.stepSize = static_cast<float>(a.lr / bc1);
  h.invSqrtBc2 = static_cast<float>(1.0 / std::sqrt(bc2));
  if (n > 0) AHA_LAUNCH(adamwKernel, dim3(blocksFor(n, kThreads)), dim3(kThreads), s, p, g, m, v, pbf16, n, h);
}

}  // namespace aha_cuda
