// Embedding lookup and its backward: out[i] = table[ids[i]]; gtable[ids[i]] += g[i] with f32 atomics (repeated ids
// in a batch are common, so the backward cannot be a plain store). One block per token, threads over D.
// Ids are not range-checked here: the caller validates them on the host before upload (a bad id is a typed error
// there, not a GPU fault).
#include "aha_cuda.h"

namespace aha_cuda {
namespace {

constexpr int kThreads = 128;

__global__ void embeddingForwardKernel(const int32_t* __restrict__ ids, const bf16* __restrict__ table,
                                       bf16* __restrict__ out, int D) {
  const int64_t i = blockIdx.x, row = ids[i];
  for (int j = threadIdx.x; j < D; j += blockDim.x) out[i * D + j] = table[row * D + j];
}

__global__ void embeddingBackwardKernel(const int32_t* __restrict__ ids, const bf16* __restrict__ g,
                                        float* __restrict__ gtable, int D) {
  const int64_t i = blockIdx.x, row = ids[i];
  for (int j = threadIdx.x; j < D; j += blockDim.x) atomicAdd(gtable + row * D + j, ld(g, i * D + j));
}

}  // namespace

void embeddingForward(const int32_t* ids, const bf16* table, bf16* out, int n, int D, cudaStream_t s) {
  if (n > 0) AHA_LAUNCH(embeddingForwardKernel, dim3(n), dim3(kThreads), s, ids, table, out, D);
}

void embeddingBackward(const int32_t* ids, const bf16* g, float* gtable, int n, int D, cudaStream_t s) {
  if (n > 0) AHA_LAUNCH(embeddingBackwardKernel, dim3(n), dim3(kThreads), s, ids, g, gtable, D);
}

}  // namespace aha_cuda
