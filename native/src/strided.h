// Walking N-d strided views. A view is (pointer, shape, strides in elements); broadcasting is a stride of 0.
// StridedIndex keeps the running offsets of several operands as the flat output index advances, so kernels over
// non-contiguous or broadcast inputs stay O(1) per element.
#pragma once
#include <cstdint>
#include <vector>

namespace aha {

template <int N>
struct StridedIndex {
  const std::vector<int64_t>& shape;
  std::vector<int64_t> idx;
  const std::vector<int64_t>* strides[N];
  int64_t offset[N];

  StridedIndex(const std::vector<int64_t>& shape_, const std::vector<int64_t>* const (&strides_)[N],
               const int64_t (&base)[N], int64_t flatStart)
      : shape(shape_), idx(shape_.size(), 0) {
    for (int k = 0; k < N; ++k) {
      strides[k] = strides_[k];
      offset[k] = base[k];
    }
    // Decompose flatStart into a multi-index (row-major) and add its offsets.
    int64_t rem = flatStart;
    for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {
      int64_t s = shape[d];
      idx[d] = s ? rem % s : 0;
      rem = s ? rem / s : 0;
      for (int k = 0; k < N; ++k) offset[k] += idx[d] * (*strides[k])[d];
    }
  }

  void next() {
    for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {
      if (++idx[d] < shape[d]) {
        for (int k = 0; k < N; ++k) offset[k] += (*strides[k])[d];
        return;
      }
      for (int k = 0; k < N; ++k) offset[k] -= (idx[d] - 1) * (*strides[k])[d];
      idx[d] = 0;
    }
  }
};

inline std::vector<int64_t> contiguousStrides(const std::vector<int64_t>& shape) {
  std::vector<int64_t> s(shape.size());
  int64_t acc = 1;
  for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

}  // namespace aha
