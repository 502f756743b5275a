// DeepSeek-V3 MoE routing on the device (moe.ts selectExperts + DeepseekV3TopkRouter.forward), so the hot path reads
// nothing back to the host. One block per token, one thread per expert (blockDim = E rounded up to a warp):
//   score = σ(logit);  biased = score + bias (selection only);  group score = sum of the group's two largest biased
//   scores (in double, as the JS sums two float32 values in float64);  the topkGroup best groups are kept (ties → the
//   lower group), biased = 0 elsewhere (HF masked_fill);  expert e's rank = #experts with a larger biased score or an
//   equal one and a lower index;  rank < K → ids[rank] = e, weight = score;  weights /= (Σ + 1e-20) when normTopk,
//   × scaling.
// Ranking by counting is O(E) per thread (E ≤ 256 in DeepSeek-V3): no sort, no data-dependent barrier.
// The backward takes the weights' gradient through the normalisation and the sigmoid:
//   w_k = c·s_k/S (S = Σ_j s_j + 1e-20):  ∂L/∂s_k = c·(gw_k − Σ_j gw_j·s_j/S)/S,  ∂L/∂logit = ∂L/∂s · s·(1 − s).
#include "aha_cuda.h"

namespace aha_cuda {
namespace {

constexpr int kMaxExperts = 1024, kMaxGroups = 64, kMaxK = 64;

__global__ void moeRouteKernel(const float* __restrict__ logits, const float* __restrict__ bias,
                               float* __restrict__ scores, int32_t* __restrict__ ids, float* __restrict__ weights,
                               MoeRouting r) {
  __shared__ float biased[kMaxExperts];
  __shared__ double groupScore[kMaxGroups];
  __shared__ int kept[kMaxGroups];
  __shared__ float picked[kMaxK];
  const int64_t n = blockIdx.x;
  const int e = threadIdx.x, per = r.E / r.nGroup;
  float score = 0.f;
  if (e < r.E) {
    score = 1.f / (1.f + expf(-logits[n * r.E + e]));
    scores[n * r.E + e] = score;
    biased[e] = score + bias[e];
  }
  __syncthreads();
  if (e < r.nGroup) {
    float first = -INFINITY, second = -INFINITY;
    for (int j = e * per; j < (e + 1) * per; ++j) {
      const float v = biased[j];
      if (v > first) {
        second = first;
        first = v;
      } else if (v > second) {
        second = v;
      }
    }
    groupScore[e] = per >= 2 ? static_cast<double>(first) + static_cast<double>(second) : first;
  }
  __syncthreads();
  if (e < r.nGroup) {
    int rank = 0;
    for (int g = 0; g < r.nGroup; ++g)
      rank += groupScore[g] > groupScore[e] || (groupScore[g] == groupScore[e] && g < e);
    kept[e] = rank < r.topkGroup;
  }
  __syncthreads();
  float mine = 0.f;
  if (e < r.E) mine = kept[e / per] ? biased[e] : 0.f;
  __syncthreads();  // everyone has read biased before it is masked
  if (e < r.E) biased[e] = mine;
  __syncthreads();
  if (e < r.E) {
    int rank = 0;
    for (int j = 0; j < r.E; ++j) rank += biased[j] > mine || (biased[j] == mine && j < e);
    if (rank < r.K) {
      ids[n * r.K + rank] = e;
      picked[rank] = score;
    }
  }
  __syncthreads();
  if (e < r.K) {
    float sum = 0.f;
    for (int k = 0; k < r.K; ++k) sum += picked[k];
    const float w = r.normTopk ? picked[e] / (sum + 1e-20f) : picked[e];
    weights[n * r.K + e] = w * r.scaling;
  }
}

__global__ void moeRouteBackwardKernel(const float* __restrict__ gweights, const float* __restrict__ scores,
                                       const int32_t* __restrict__ ids, float* __restrict__ glogits, MoeRouting r) {
  const int64_t n = blockIdx.x;
  const int e = threadIdx.x;
  float S = 0.f, dot = 0.f;  // every thread recomputes the K-term sums: K is small
  for (int k = 0; k < r.K; ++k) {
    const float s = scores[n * r.E + ids[n * r.K + k]];
    S += s;
    dot += gweights[n * r.K + k] * s;
  }
  S += 1e-20f;
  if (e >= r.E) return;
  float gs = 0.f;
  for (int k = 0; k < r.K; ++k) {
    if (ids[n * r.K + k] != e) continue;
    const float gw = gweights[n * r.K + k];
    gs = r.normTopk ? r.scaling * (gw - dot / S) / S : r.scaling * gw;
  }
  const float s = scores[n * r.E + e];
  glogits[n * r.E + e] = gs * s * (1.f - s);
}

int threadsFor(int E) { return (E + 31) / 32 * 32; }

}  // namespace

void moeRoute(const float* logits, const float* bias, float* scores, int32_t* ids, float* weights, int N, MoeRouting r,
              cudaStream_t s) {
  if (N > 0) AHA_LAUNCH(moeRouteKernel, dim3(N), dim3(threadsFor(r.E)), s, logits, bias, scores, ids, weights, r);
}

void moeRouteBackward(const float* gweights, const float* scores, const int32_t* ids, float* glogits, int N,
                      MoeRouting r, cudaStream_t s) {
  if (N > 0) AHA_LAUNCH(moeRouteBackwardKernel, dim3(N), dim3(threadsFor(r.E)), s, gweights, scores, ids, glogits, r);
}

}  // namespace aha_cuda
