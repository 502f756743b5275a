// Overflow-checked size arithmetic. Every size, stride extent or offset that native code computes from JS-supplied
// values goes through these helpers: plain int64 products of sizes up to 2^40 wrap silently, and a wrapped extent
// makes a bounds check pass for a view that reads far outside its buffer (crafted strides → SIGSEGV) or walks a view
// of 2^64-ish elements as if it were small. On overflow they throw SizeOverflow, which the export wrapper in addon.cc
// turns into a JS RangeError.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace aha {

struct SizeOverflow : std::overflow_error {
  using std::overflow_error::overflow_error;
};

inline int64_t addChecked(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) {
    throw SizeOverflow("aha native: " + std::to_string(a) + " + " + std::to_string(b) + " overflows int64");
  }
  return r;
}

inline int64_t mulChecked(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) {
    throw SizeOverflow("aha native: " + std::to_string(a) + " × " + std::to_string(b) + " overflows int64");
  }
  return r;
}

// a · b · c · …, checked: the element count of a block of those sizes.
inline int64_t sizeOf(int64_t a) { return a; }
template <class... Rest>
inline int64_t sizeOf(int64_t a, int64_t b, Rest... rest) {
  return sizeOf(mulChecked(a, b), rest...);
}

// The element count of a shape, checked.
inline int64_t product(const std::vector<int64_t>& shape) {
  int64_t p = 1;
  for (auto s : shape) p = mulChecked(p, s);
  return p;
}

// The exclusive end of the storage a strided view (non-negative sizes and strides) touches: offset + Σ (size − 1) ·
// stride + 1, or 0 for an empty view (it touches nothing), checked. The element count is checked too, so a view that
// passes has a walk whose every intermediate offset fits in int64.
inline int64_t viewReach(const std::vector<int64_t>& shape, const std::vector<int64_t>& strides, int64_t offset) {
  if (strides.size() != shape.size()) throw SizeOverflow("aha native: a view's strides and shape differ in rank");
  if (product(shape) == 0) return 0;
  int64_t reach = offset;
  for (size_t d = 0; d < shape.size(); ++d) reach = addChecked(reach, mulChecked(shape[d] - 1, strides[d]));
  return addChecked(reach, 1);
}

}  // namespace aha
