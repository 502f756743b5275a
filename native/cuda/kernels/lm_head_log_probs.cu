// The LM head fused with the log-prob / entropy reduction (the GRPO and SFT hot path): logits = h·Wᵀ over a vocab of
// V never exist in full. The vocab is walked in chunks of `chunk` rows of W: a tensor-core GEMM (gemm_wmma.cu) fills
// an [N, chunk] f32 workspace, then one block per row folds the chunk into a running state (max m, Σ e^{x−m},
// Σ e^{x−m}·x, the target's logit), merged exactly like the online softmax. At the end: lse = m + log s,
// logp = x_target − lse, entropy = lse − (Σ e^{x−m}·x)/s.
// Backward (of logp only): per chunk, the logits are recomputed, d logits = glogp·(onehot − e^{x−lse}) is stored in
// bf16, then dh += dlogits·W_chunk and dW_chunk = dlogitsᵀ·h on the strided CUDA-core GEMM. Memory: O(N·chunk), not
// O(N·V). Leaves out: the entropy's gradient, tensor cores in the backward products, fusing the reduction into the
// GEMM epilogue (the workspace round trip is the next thing to remove).
#include "aha_cuda.h"

namespace aha_cuda {
namespace {

constexpr int kThreads = 256;

// state [N, 4]: m, s, t, target logit.
__global__ void initKernel(float* state, int N) {
  const int n = blockIdx.x * blockDim.x + threadIdx.x;
  if (n >= N) return;
  state[n * 4 + 0] = -INFINITY;
  state[n * 4 + 1] = 0.f;
  state[n * 4 + 2] = 0.f;
  state[n * 4 + 3] = 0.f;
}

__global__ void __launch_bounds__(kThreads)
    foldKernel(const float* __restrict__ logits, const int32_t* __restrict__ targets, float* __restrict__ state, int c0,
               int vc) {
  const int64_t n = blockIdx.x;
  const float* x = logits + n * vc;
  float mc = -INFINITY;
  for (int j = threadIdx.x; j < vc; j += blockDim.x) mc = fmaxf(mc, x[j]);
  mc = blockMax(mc);
  float sc = 0.f, tc = 0.f;
  for (int j = threadIdx.x; j < vc; j += blockDim.x) {
    const float e = __expf(x[j] - mc);
    sc += e;
    tc += e * x[j];
  }
  sc = blockSum(sc);
  tc = blockSum(tc);
  if (threadIdx.x == 0) {
    float* st4 = state + n * 4;
    const float m = fmaxf(st4[0], mc), a = __expf(st4[0] - m), b = __expf(mc - m);  // a = 0 on the first chunk
    st4[1] = st4[1] * a + sc * b;
    st4[2] = st4[2] * a + tc * b;
    st4[0] = m;
    const int t = targets[n] - c0;
    if (t >= 0 && t < vc) st4[3] = x[t];
  }
}

__global__ void finishKernel(const float* __restrict__ state, float* __restrict__ lse, float* __restrict__ logp,
                             float* __restrict__ entropy, int N) {
  const int n = blockIdx.x * blockDim.x + threadIdx.x;
  if (n >= N) return;
  const float* st4 = state + n * 4;
  const float L = st4[0] + logf(st4[1]);
  lse[n] = L;
  if (logp) logp[n] = st4[3] - L;
  if (entropy) entropy[n] = L - st4[2] / st4[1];
}

__global__ void dlogitsKernel(const float* __restrict__ logits, const int32_t* __restrict__ targets,
                              const float* __restrict__ lse, const float* __restrict__ glogp, bf16* __restrict__ dl,
                              int c0, int vc) {
  const int64_t n = blockIdx.x;
  const float L = lse[n], g = glogp[n];
  const int t = targets[n] - c0;
  for (int j = threadIdx.x; j < vc; j += blockDim.x)
    st(dl, n * vc + j, g * ((j == t ? 1.f : 0.f) - __expf(logits[n * vc + j] - L)));
}

}  // namespace

int64_t lmHeadWorkspace(int N, int chunk) { return static_cast<int64_t>(N) * chunk * 2 + static_cast<int64_t>(N) * 4; }

void lmHeadLogProbsForward(const bf16* h, const bf16* W, const int32_t* targets, float* lse, float* logp,
                           float* entropy, float* workspace, int N, int V, int Dm, int chunk, cudaStream_t s) {
  if (N <= 0) return;
  float *logits = workspace, *state = workspace + static_cast<int64_t>(N) * chunk * 2;
  AHA_LAUNCH(initKernel, dim3((N + 255) / 256), dim3(256), s, state, N);
  for (int c0 = 0; c0 < V; c0 += chunk) {
    const int vc = V - c0 < chunk ? V - c0 : chunk;
    gemmTensorCore(h, Dm, W + static_cast<int64_t>(c0) * Dm, Dm, logits, N, vc, Dm, 1.f, 0.f, s);
    AHA_LAUNCH(foldKernel, dim3(N), dim3(kThreads), s, logits, targets, state, c0, vc);
  }
  AHA_LAUNCH(finishKernel, dim3((N + 255) / 256), dim3(256), s, state, lse, logp, entropy, N);
}

void lmHeadLogProbsBackward(const bf16* h, const bf16* W, const int32_t* targets, const float* lse, const float* glogp,
                            float* dh, float* dW, float* workspace, int N, int V, int Dm, int chunk, cudaStream_t s) {
  if (N <= 0) return;
  float* logits = workspace;
  bf16* dl = reinterpret_cast<bf16*>(workspace + static_cast<int64_t>(N) * chunk);
  for (int c0 = 0; c0 < V; c0 += chunk) {
    const int vc = V - c0 < chunk ? V - c0 : chunk;
    const bf16* Wc = W + static_cast<int64_t>(c0) * Dm;
    gemmTensorCore(h, Dm, Wc, Dm, logits, N, vc, Dm, 1.f, 0.f, s);
    AHA_LAUNCH(dlogitsKernel, dim3(N), dim3(kThreads), s, logits, targets, lse, glogp, dl, c0, vc);
    // dh [N, Dm] (+)= dl [N, vc] · W_c [vc, Dm];  dW_c [vc, Dm] = dlᵀ · h
    gemm(dl, vc, 1, Wc, Dm, 1, dh, N, Dm, vc, 1.f, c0 == 0 ? 0.f : 1.f, s);
    gemm(dl, 1, vc, h, Dm, 1, dW + static_cast<int64_t>(c0) * Dm, vc, Dm, N, 1.f, 0.f, s);
  }
}

}  // namespace aha_cuda
