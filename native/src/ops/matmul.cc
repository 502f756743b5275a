// matmul / linear kernels: a batched sgemm over offsets computed in TypeScript (leading-dim broadcasting and NumPy's
// 1-d rules are resolved there; here a batch is just a list of (A, B, C) element offsets), plus the bias helpers of
// linear. Forward and both backward products (dA = dC @ B^T, dB = A^T @ dC) are this one kernel with other trans
// flags, so transposed views are never copied. Follows torch.matmul / F.linear semantics; leaves out integer types.
#include <string>

#include "args.h"
#include "gemm.h"
#include "parallel.h"
#include "registry.h"

namespace aha {
namespace {

// Elements a row-major matrix of `rows` x `cols` with leading dimension `ld` reaches from `offset` (exclusive end).
int64_t matReach(int64_t offset, int64_t rows, int64_t cols, int64_t ld) {
  return rows > 0 && cols > 0 ? addChecked(addChecked(offset, mulChecked(rows - 1, ld)), cols) : 0;
}

// (transA, transB, M, N, K, alpha, A, lda, aOffsets, B, ldb, bOffsets, beta, C, ldc, cOffsets, path, serial)
// For each batch b: C[cOff[b]..] = alpha * op(A[aOff[b]..]) @ op(B[bOff[b]..]) + beta * C. `serial` (1) when two
// batch entries write the same C (a gradient reduced over a broadcast batch dim): entries then run one after another,
// each using every thread; otherwise small products run one per thread.
Napi::Value BatchedGemm(const Napi::CallbackInfo& info) {
  const char* name = "batchedGemm";
  const bool transA = intArg(info, 0, name, 0, 1) != 0;
  const bool transB = intArg(info, 1, name, 0, 1) != 0;
  const int64_t M = intArg(info, 2, name), N = intArg(info, 3, name), K = intArg(info, 4, name);
  const float alpha = static_cast<float>(numArg(info, 5, name));
  const int64_t lda = intArg(info, 7, name);
  const auto aOff = intsArg(info, 8, name);
  const int64_t ldb = intArg(info, 10, name);
  const auto bOff = intsArg(info, 11, name);
  const float beta = static_cast<float>(numArg(info, 12, name));
  const int64_t ldc = intArg(info, 14, name);
  const auto cOff = intsArg(info, 15, name);
  const auto path = static_cast<GemmPath>(intArg(info, 16, name, 0, 2));
  const bool serial = intArg(info, 17, name, 0, 1) != 0;
  const size_t batch = cOff.size();
  if (aOff.size() != batch || bOff.size() != batch) {
    throw Napi::RangeError::New(info.Env(), "batchedGemm: offset lists differ in length");
  }
  int64_t aNeed = 0, bNeed = 0, cNeed = 0;
  for (size_t b = 0; b < batch; ++b) {
    aNeed = std::max(aNeed, transA ? matReach(aOff[b], K, M, lda) : matReach(aOff[b], M, K, lda));
    bNeed = std::max(bNeed, transB ? matReach(bOff[b], N, K, ldb) : matReach(bOff[b], K, N, ldb));
    cNeed = std::max(cNeed, matReach(cOff[b], M, N, ldc));
  }
  if (ldc < N && M > 1) throw Napi::RangeError::New(info.Env(), "batchedGemm: ldc is smaller than N");
  const float* A = f32Arg(info, 6, name, static_cast<size_t>(aNeed));
  const float* B = f32Arg(info, 9, name, static_cast<size_t>(bNeed));
  float* C = f32Arg(info, 13, name, static_cast<size_t>(cNeed));
  auto one = [&](size_t b) {
    sgemm(transA, transB, M, N, K, alpha, A + aOff[b], lda, B + bOff[b], ldb, beta, C + cOff[b], ldc, path);
  };
  const bool small = static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K) <= 96.0 * 96 * 96;
  if (!serial && batch > 1 && small) {
    // Inside parallel_for the nested sgemm runs single-threaded: one whole product per task.
    // The whole batch's work decides: decode's per-head products (batch = heads, M = 1) are too small to hand off.
    // (small bounds M·N·K, so the product cannot overflow.)
    const int64_t n = static_cast<int64_t>(batch);
    parallel_for_work(n * M * N * K, n, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) one(static_cast<size_t>(b));
    });
  } else {
    for (size_t b = 0; b < batch; ++b) one(b);
  }
  return info.Env().Undefined();
}

// (C, rows, cols, bias) -> every row of C [rows, cols] (contiguous) = bias [cols]: linear's bias, before a beta = 1
// gemm.
Napi::Value FillRows(const Napi::CallbackInfo& info) {
  const int64_t rows = intArg(info, 1, "fillRows"), cols = intArg(info, 2, "fillRows");
  float* C = f32Arg(info, 0, "fillRows", static_cast<size_t>(sizeOf(rows, cols)));
  const float* bias = f32Arg(info, 3, "fillRows", static_cast<size_t>(cols));
  parallel_for(rows, std::max<int64_t>(1, 65536 / std::max<int64_t>(cols, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) std::copy(bias, bias + cols, C + r * cols);
  });
  return info.Env().Undefined();
}

// (g, rows, cols, out) -> out[j] = sum_r g[r, j]: the bias gradient. Threads own column blocks, so no races.
Napi::Value SumRows(const Napi::CallbackInfo& info) {
  const int64_t rows = intArg(info, 1, "sumRows"), cols = intArg(info, 2, "sumRows");
  const float* g = f32Arg(info, 0, "sumRows", static_cast<size_t>(sizeOf(rows, cols)));
  float* out = f32Arg(info, 3, "sumRows", static_cast<size_t>(cols));
  constexpr int64_t block = 256;
  parallel_for((cols + block - 1) / block, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t j0 = b * block, j1 = std::min(cols, j0 + block);
      std::vector<double> acc(static_cast<size_t>(j1 - j0), 0.0);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t j = j0; j < j1; ++j) acc[j - j0] += g[r * cols + j];
      for (int64_t j = j0; j < j1; ++j) out[j] = static_cast<float>(acc[j - j0]);
    }
  });
  return info.Env().Undefined();
}

AHA_EXPORT("batchedGemm", BatchedGemm);
AHA_EXPORT("fillRows", FillRows);
AHA_EXPORT("sumRows", SumRows);

}  // namespace
}  // namespace aha
