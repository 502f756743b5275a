// Shared by gather / scatterAdd / indexSelect / topk: an index-shaped iteration space split into "lines" along one
// dim. Line L is the pair (outer multi-index over dims < dim, inner multi-index over dims > dim); each line is walked
// along `dim`. Two different lines touch disjoint slabs of the tensor they scatter into, so threads own whole lines
// and accumulation needs no atomics.
#pragma once
#include <cstdint>
#include <vector>

namespace aha {

struct LineSpace {
  int64_t nOuter = 1, len = 1, nInner = 1;
};

inline LineSpace lineSpace(const std::vector<int64_t>& shape, int dim) {
  LineSpace s;
  for (int d = 0; d < static_cast<int>(shape.size()); ++d) {
    if (d < dim)
      s.nOuter *= shape[d];
    else if (d == dim)
      s.len = shape[d];
    else
      s.nInner *= shape[d];
  }
  return s;
}

// Element offset (through `strides`) of line `line`'s first element, i.e. with the coordinate along `dim` at 0.
inline int64_t lineOffset(const std::vector<int64_t>& shape, int dim, const std::vector<int64_t>& strides, int64_t line,
                          int64_t nInner) {
  int64_t inner = line % nInner, outer = line / nInner, offset = 0;
  for (int d = static_cast<int>(shape.size()) - 1; d > dim; --d) {
    offset += (inner % shape[d]) * strides[d];
    inner /= shape[d];
  }
  for (int d = dim - 1; d >= 0; --d) {
    offset += (outer % shape[d]) * strides[d];
    outer /= shape[d];
  }
  return offset;
}

}  // namespace aha
