// Log-probabilities of target tokens over a vocab row (the GRPO / cross-entropy hot path): one block per row.
// Forward: an online (max, Σ exp) pair per thread in one pass over the row, merged across the warp with shuffles and
// across warps through shared memory; then lse = max + log Σ, logp = logit[target] − lse, and the entropy
// H = lse − Σ p·logit in a second pass. Backward: glogit = glogp · (onehot − softmax), softmax from the saved lse.
// Leaves out: fusing the LM-head GEMM (logits are materialised in bf16), a vocab split over several blocks.
#include "aha_cuda.h"

namespace aha_cuda {
namespace {

constexpr int kThreads = 256;

// Merges two (max, sum of exp(x − max)) pairs.
__device__ __forceinline__ void mergeMaxSum(float& m, float& s, float m2, float s2) {
  const float mx = fmaxf(m, m2);
  if (mx == -INFINITY) return;  // both empty
  s = s * __expf(m - mx) + s2 * __expf(m2 - mx);
  m = mx;
}

__global__ void __launch_bounds__(kThreads)
    logProbsForwardKernel(const bf16* __restrict__ logits, const int32_t* __restrict__ targets, float* __restrict__ lse,
                          float* __restrict__ logp, float* __restrict__ entropy, int V) {
  __shared__ float pm[32], ps[32];
  const int64_t row = blockIdx.x;
  const bf16* x = logits + row * V;
  float m = -INFINITY, s = 0.f;
  for (int j = threadIdx.x; j < V; j += blockDim.x) {
    const float v = ld(x, j);
    if (v > m) {
      s = s * __expf(m - v) + 1.f;
      m = v;
    } else {
      s += __expf(v - m);
    }
  }
  for (int o = 16; o > 0; o >>= 1) {
    const float m2 = __shfl_xor_sync(0xffffffffu, m, o), s2 = __shfl_xor_sync(0xffffffffu, s, o);
    mergeMaxSum(m, s, m2, s2);
  }
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, nw = blockDim.x / 32;
  if (lane == 0) {
    pm[warp] = m;
    ps[warp] = s;
  }
  __syncthreads();
  m = lane < nw ? pm[lane] : -INFINITY;
  s = lane < nw ? ps[lane] : 0.f;
  for (int o = 16; o > 0; o >>= 1) {
    const float m2 = __shfl_xor_sync(0xffffffffu, m, o), s2 = __shfl_xor_sync(0xffffffffu, s, o);
    mergeMaxSum(m, s, m2, s2);
  }
  const float L = m + logf(s);
  if (entropy) {
    float px = 0.f;  // Σ p·logit
    for (int j = threadIdx.x; j < V; j += blockDim.x) {
      const float v = ld(x, j);
      px += __expf(v - L) * v;
    }
    px = blockSum(px);
    if (threadIdx.x == 0) entropy[row] = L - px;
  }
  if (threadIdx.x == 0) {
    lse[row] = L;
    if (logp) logp[row] = ld(x, targets[row]) - L;
  }
}

__global__ void logProbsBackwardKernel(const bf16* __restrict__ logits, const int32_t* __restrict__ targets,
                                       const float* __restrict__ lse, const float* __restrict__ glogp,
                                       bf16* __restrict__ glogits, int V) {
  const int64_t row = blockIdx.x;
  const float L = lse[row], g = glogp[row];
  const int t = targets[row];
  for (int j = threadIdx.x; j < V; j += blockDim.x) {
    const float p = __expf(ld(logits, row * V + j) - L);
    st(glogits, row * V + j, g * ((j == t ? 1.f : 0.f) - p));
  }
}

}  // namespace

void logProbsForward(const bf16* logits, const int32_t* targets, float* lse, float* logp, float* entropy, int N, int V,
                     cudaStream_t s) {
  if (N > 0) AHA_LAUNCH(logProbsForwardKernel, dim3(N), dim3(kThreads), s, logits, targets, lse, logp, entropy, V);
}

void logProbsBackward(const bf16* logits, const int32_t* targets, const float* lse, const float* glogp, bf16* glogits,
                      int N, int V, cudaStream_t s) {
  if (N > 0) AHA_LAUNCH(logProbsBackwardKernel, dim3(N), dim3(kThreads), s, logits, targets, lse, glogp, glogits, V);
}

}  // namespace aha_cuda
