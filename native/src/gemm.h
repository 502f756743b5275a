// The internal single-precision GEMM every matmul / linear (forward and backward) runs on:
//   C[M, N] = alpha * op(A)[M, K] @ op(B)[K, N] + beta * C
// op(X) = X or X^T as set by the trans flags; leading dimensions are in elements and row-major (element (i, j) of a
// non-transposed A is A[i * lda + j], of a transposed A it is A[j * lda + i]), so a transposed view of a row-major
// tensor is passed as-is with the flag flipped, never copied. Follows the BLIS / GotoBLAS structure (packed A and B
// panels sized for the caches, a register-tiled micro-kernel); leaves out complex types, column-major and any
// auto-tuning: block sizes are fixed constants that suit current x86 caches.
#pragma once
#include <cstdint>

namespace aha {

enum class GemmPath {
  kAuto = 0,       // the process's SIMD level (cpu.h): AVX-512F or AVX2+FMA micro-kernels, else portable
  kPortable = 1,   // the packed, blocked path with the plain C++ micro-kernel (any CPU)
  kReference = 2,  // a plain triple loop in double: the yardstick tests compare the others against
};

// Threads over macro tiles with aha::parallel_for unless called from inside a parallel region (then serial).
// lda/ldb/ldc may be 0 for a dimension that is broadcast (every row reads the same memory). C must not alias A or B.
// beta == 0 overwrites C without reading it (NaN / garbage in C does not leak into the result), as BLAS does.
void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc, GemmPath path = GemmPath::kAuto);

}  // namespace aha
