// Host launchers of aha's CUDA kernels (one .cu per op). Pointers are device pointers (host pointers under the
// emulation); launches are asynchronous on `stream`. Storage: activations bf16, accumulation f32, master weights,
// optimizer state and weight gradients f32. Shapes are row-major and contiguous unless a stride is given.
#pragma once

#include <cstdint>

#include "common.cuh"

namespace aha_cuda {

// y = x · rsqrt(mean(x²) + eps) · w over rows of D; rstd [rows] kept for the backward.
void rmsNormForward(const bf16* x, const bf16* w, bf16* y, float* rstd, int rows, int D, float eps, cudaStream_t s);
// gx [rows, D] (may be null); gw [D] f32 (may be null), reduced deterministically from per-chunk partials in
// workspace [rmsNormWorkspace(rows, D)] floats (no atomics: the same bits on every run).
void rmsNormBackward(const bf16* g, const bf16* x, const bf16* w, const float* rstd, bf16* gx, float* gw,
                     float* workspace, int rows, int D, cudaStream_t s);
int64_t rmsNormWorkspace(int rows, int D);

// y = silu(gate) · up elementwise, and its backward (gg / gu may be null).
void swigluForward(const bf16* gate, const bf16* up, bf16* y, int64_t n, cudaStream_t s);
void swigluBackward(const bf16* dy, const bf16* gate, const bf16* up, bf16* gg, bf16* gu, int64_t n, cudaStream_t s);

// Rotary embedding of x [N, T, D] (N = batch × heads) by cos/sin [T, D/2]; interleaved pairs (2i, 2i+1) or half
// pairs (i, i + D/2). sign = +1 forward, −1 backward (the inverse rotation).
void ropeApply(const bf16* x, const float* cos, const float* sin, bf16* y, int N, int T, int D, bool interleaved,
               float sign, cudaStream_t s);

// out [n, D] = table[ids[i]]; backward: gtable [V, D] f32 += g rows (atomics; the caller zeroes it).
void embeddingForward(const int32_t* ids, const bf16* table, bf16* out, int n, int D, cudaStream_t s);
void embeddingBackward(const int32_t* ids, const bf16* g, float* gtable, int n, int D, cudaStream_t s);

// torch.optim.AdamW at step t (1-based) over n f32 params in place; pbf16 (may be null) receives the bf16 copy.
struct AdamWParams {
  double lr, beta1, beta2, eps, weightDecay;  // double: the bias corrections are formed in double, as in PyTorch
  int step;
};
void adamwStep(float* p, const float* g, float* m, float* v, bf16* pbf16, int64_t n, AdamWParams h, cudaStream_t s);

// DeepSeek-V3 routing (HF DeepseekV3TopkRouter; moe.ts selectExperts): scores = sigmoid(logits) [N, E]; selection on
// scores + bias, group-limited (group score = sum of its top-2 biased scores, keep topkGroup groups, others' biased
// scores become 0), top-k with ties to the lower index; weights from the unbiased scores, normalised over the k when
// normTopk, times scaling. Limits (checked by the caller): E ≤ 1024, E divisible by nGroup, nGroup ≤ 64, K ≤ 64, K ≤
// topkGroup · E / nGroup.
struct MoeRouting {
  int E, K, nGroup, topkGroup;
  bool normTopk;
  float scaling;
};
void moeRoute(const float* logits, const float* bias, float* scores, int32_t* ids, float* weights, int N, MoeRouting r,
              cudaStream_t s);
// Gradient of the logits from the gradient of the weights [N, K] (through the normalisation and the sigmoid).
void moeRouteBackward(const float* gweights, const float* scores, const int32_t* ids, float* glogits, int N,
                      MoeRouting r, cudaStream_t s);

// MoE token permutation (the expert-parallel-free form of DeepEP's dispatch / combine): the N·K (token, slot) pairs
// of ids [N, K] sorted by expert, stably (by token, then slot, inside an expert), so results do not depend on timing.
// offsets [E + 1] (the rows of expert e are offsets[e] .. offsets[e+1]), rowToken [N·K] (the token of each sorted
// row), slotRow [N·K] (the sorted row of slot n·K + k). Ids must be in [0, E) (checked where they are made).
void moePermute(const int32_t* ids, int32_t* offsets, int32_t* rowToken, int32_t* slotRow, int N, int K, int E,
                cudaStream_t s);
// xs [N·K, D] = x[rowToken[r]] for each sorted row.
void moeGatherRows(const bf16* x, const int32_t* rowToken, bf16* xs, int rows, int D, cudaStream_t s);
// The grouped expert GEMM on tensor cores: ys[r] = xs[r] · W[e]ᵀ for the rows r of expert e; xs [rows, Din],
// W [E, Dout, Din], ys [rows, Dout]. offsets stay on the device (no read-back to size the launch).
void moeGroupedGemm(const bf16* xs, const bf16* W, const int32_t* offsets, bf16* ys, int rows, int E, int Din, int Dout,
                    cudaStream_t s);
// out [N, D] = Σ_k weights[n, k] · ys[slotRow[n·K + k]] (f32 sum in slot order, bf16 out).
void moeUnpermute(const bf16* ys, const int32_t* slotRow, const float* weights, bf16* out, int N, int K, int D,
                  cudaStream_t s);
// Backward of the dispatch, stage by stage (deterministic, no atomics):
//   moeUnpermuteBackward: dys[slotRow[n·K + k]] = weights[n, k] · dout[n]; dweights [N, K] = dout[n]·ys[row].
//   moeGroupedGemmBackward: dxs [rows, Din] = dys·W[e] for the rows of expert e; dW [E, Dout, Din] (f32) =
//     betaW · dW + dys_eᵀ·xs_e (an expert with no rows gets betaW · dW: no gradient).
//   moeGatherRowsBackward: dx [N, D] = Σ_k dxs[slotRow[n·K + k]].
void moeUnpermuteBackward(const bf16* dout, const bf16* ys, const int32_t* slotRow, const float* weights, bf16* dys,
                          float* dweights, int N, int K, int D, cudaStream_t s);
void moeGroupedGemmBackward(const bf16* xs, const bf16* W, const int32_t* offsets, const bf16* dys, bf16* dxs,
                            float* dW, int rows, int E, int Din, int Dout, float betaW, cudaStream_t s);
void moeGatherRowsBackward(const bf16* dxs, const int32_t* slotRow, bf16* dx, int N, int K, int D, cudaStream_t s);

// C[M, N] = alpha · Σ_k A(m, k) B(k, n) + beta · C, A(m, k) = A[m·sam + k·sak], B(k, n) = B[k·sbk + n·sbn] (strides
// express the transposes of linear forward / backward). bf16 inputs, f32 accumulation; C f32 or bf16.
void gemm(const bf16* A, int64_t sam, int64_t sak, const bf16* B, int64_t sbk, int64_t sbn, float* C, int M, int N,
          int K, float alpha, float beta, cudaStream_t s);
void gemm(const bf16* A, int64_t sam, int64_t sak, const bf16* B, int64_t sbk, int64_t sbn, bf16* C, int M, int N,
          int K, float alpha, float beta, cudaStream_t s);

// The same product on tensor cores (WMMA, sm_80+) for linear's forward layout: C[M, N] = alpha · A·Wᵀ + beta · C,
// A [M, K] and W [N, K] with row strides lda, ldw (K contiguous).
void gemmTensorCore(const bf16* A, int64_t lda, const bf16* W, int64_t ldw, float* C, int M, int N, int K, float alpha,
                    float beta, cudaStream_t s);
void gemmTensorCore(const bf16* A, int64_t lda, const bf16* W, int64_t ldw, bf16* C, int M, int N, int K, float alpha,
                    float beta, cudaStream_t s);

// Per row of logits [N, V]: lse, logp = logit[target] − lse, entropy = lse − Σ p·logit (each may be null except lse).
void logProbsForward(const bf16* logits, const int32_t* targets, float* lse, float* logp, float* entropy, int N, int V,
                     cudaStream_t s);
// glogits = glogp · (onehot(target) − softmax) per row.
void logProbsBackward(const bf16* logits, const int32_t* targets, const float* lse, const float* glogp, bf16* glogits,
                      int N, int V, cudaStream_t s);

// The LM head fused with the log-probs: h [N, Dm] · W [V, Dm]ᵀ walked in vocab chunks of `chunk`, never the full
// [N, V] logits. Outputs as logProbsForward (logp / entropy may be null). workspace: lmHeadWorkspace(N, chunk) floats.
// The backward (of logp) writes dh [N, Dm] and dW [V, Dm] in f32 (overwritten, not accumulated).
int64_t lmHeadWorkspace(int N, int chunk);
void lmHeadLogProbsForward(const bf16* h, const bf16* W, const int32_t* targets, float* lse, float* logp,
                           float* entropy, float* workspace, int N, int V, int Dm, int chunk, cudaStream_t s);
void lmHeadLogProbsBackward(const bf16* h, const bf16* W, const int32_t* targets, const float* lse, const float* glogp,
                            float* dh, float* dW, float* workspace, int N, int V, int Dm, int chunk, cudaStream_t s);

// Causal attention forward, flash style (key tiles, online softmax, no T × T matrix): q, k, v, o [BH, T, D] with
// D ≤ 128; lse [BH, T] kept for a backward.
void flashAttentionForward(const bf16* q, const bf16* k, const bf16* v, bf16* o, float* lse, int BH, int T, int D,
                           float scale, cudaStream_t s);
// Its backward from the forward's o and lse: dq, dk, dv [BH, T, D]; delta [BH, T] is f32 workspace (Σ dO·o per row).
void flashAttentionBackward(const bf16* q, const bf16* k, const bf16* v, const bf16* o, const float* lse,
                            const bf16* dO, bf16* dq, bf16* dk, bf16* dv, float* delta, int BH, int T, int D,
                            float scale, cudaStream_t s);

// MLA decode step over a paged latent cache [pages, pageSize, Dc + Dr] (rows [latent | rope], shared by all heads):
// for batch b, head h: o_lat [Dc] = softmax_t(scale · (qLat·c_t + qRope·kRope_t)) · c over t < seqLens[b] (≥ 1),
// tokens located by blockTable [B, maxPages]. qLat [B, H, Dc] (absorbed), qRope [B, H, Dr], out [B, H, Dc],
// lse [B, H]. Dc ≤ 512, Dr ≤ 64.
void mlaDecode(const bf16* qLat, const bf16* qRope, const bf16* cache, const int32_t* blockTable,
               const int32_t* seqLens, bf16* out, float* lse, int B, int H, int Dc, int Dr, int pageSize, int maxPages,
               float scale, cudaStream_t s);

}  // namespace aha_cuda
