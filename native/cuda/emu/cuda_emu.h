// A small CUDA execution-model emulation, so the same .cu kernel bodies compile with g++ and run on the CPU in tests
// (no machine here has a GPU). What it models:
//   - grid × block: blocks run one after another; the threads of a block are ucontext fibers on one host thread,
//     switched only at barriers, so a kernel's result does not depend on host scheduling.
//   - __syncthreads: a barrier over the block's threads; warp shuffles and votes: a barrier over the 32 lanes of a
//     warp (the last warp of a block may be partial), each lane posting its value and reading its source lane's.
//   - __shared__: a static local, shared by the fibers of the block that is running (blocks never overlap).
//   - atomics: plain read-modify-write (fibers are never preempted in the middle of one).
//   - __nv_bfloat16: 16-bit storage, float conversion rounding to nearest even like cuda_bf16.h (NaN kept quiet).
// Leaves out: dynamic shared memory (extern __shared__), streams and events (launches are synchronous), cooperative
// groups, warp-divergent shuffles with partial masks (every lane of the warp must take part; the mask is not read),
// inline PTX (a kernel using it needs a twin path), textures.
// WMMA (nvcuda::wmma) is modelled with each lane holding the whole tile in its fragment (the real per-lane element
// mapping is unspecified, so kernels may only touch fragments through the wmma calls or uniformly over x[]); every
// lane computes the full product, which is redundant but exact (f32 accumulation of bf16 products).
#pragma once

#include <math.h>
#include <ucontext.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <type_traits>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__ __restrict
#define __shared__ static
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))

struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
using uint3 = dim3;

typedef void* cudaStream_t;
typedef int cudaError_t;
constexpr cudaError_t cudaSuccess = 0;

// The indices of the running fiber: set by the scheduler before each switch into a fiber.
inline uint3 threadIdx, blockIdx;
inline dim3 blockDim, gridDim;
constexpr int warpSize = 32;

namespace cuda_emu {

struct Fiber {
  ucontext_t ctx;
  std::vector<char> stack;
  bool done = false;
  uint3 tid;
};

// A barrier over `count` fibers: arrivals are counted; the last one bumps the generation, the others yield until
// they see it change.
struct Barrier {
  int count = 0, arrived = 0;
  uint64_t gen = 0;
};

struct Block {
  std::vector<Fiber> fibers;
  ucontext_t sched;
  int current = -1;
  const std::function<void()>* body = nullptr;
  Barrier block;
  std::vector<Barrier> warps;
  uint64_t progress = 0;        // barriers opened + fibers finished, to detect a deadlock
  std::vector<uint64_t> lanes;  // one posted 64-bit value per thread, for shuffles and votes
};

inline Block& state() {
  static Block b;
  return b;
}

inline void yield() {
  Block& b = state();
  swapcontext(&b.fibers[b.current].ctx, &b.sched);
}

inline void wait(Barrier& bar) {
  if (++bar.arrived == bar.count) {
    bar.arrived = 0;
    ++bar.gen;
    ++state().progress;
    return;
  }
  const uint64_t gen = bar.gen;
  while (bar.gen == gen) yield();
}

inline int linearTid() { return (threadIdx.z * blockDim.y + threadIdx.y) * blockDim.x + threadIdx.x; }

inline void fiberEntry() {
  Block& b = state();
  (*b.body)();
  b.fibers[b.current].done = true;
  ++b.progress;
  // Returning goes to uc_link (the scheduler).
}

// Runs body once per CUDA thread of every block of the grid.
inline void launch(dim3 grid, dim3 block, const std::function<void()>& body) {
  const int n = static_cast<int>(block.x * block.y * block.z);
  if (n <= 0 || n > 1024) {
    std::fprintf(stderr, "cuda_emu: block of %d threads (must be 1..1024)\n", n);
    std::abort();
  }
  Block& b = state();
  constexpr size_t kStack = 128 * 1024;
  b.fibers.resize(static_cast<size_t>(n));
  for (auto& f : b.fibers)
    if (f.stack.size() != kStack) f.stack.resize(kStack);
  b.body = &body;
  b.block = Barrier{n, 0, 0};
  const int nwarps = (n + warpSize - 1) / warpSize;
  b.warps.assign(static_cast<size_t>(nwarps), Barrier{});
  for (int w = 0; w < nwarps; ++w) b.warps[w].count = std::min(warpSize, n - w * warpSize);
  b.lanes.assign(static_cast<size_t>(n), 0);
  gridDim = grid;
  blockDim = block;
  for (unsigned bz = 0; bz < grid.z; ++bz)
    for (unsigned by = 0; by < grid.y; ++by)
      for (unsigned bx = 0; bx < grid.x; ++bx) {
        blockIdx = uint3(bx, by, bz);
        for (int i = 0; i < n; ++i) {
          Fiber& f = b.fibers[i];
          f.done = false;
          f.tid = uint3(i % block.x, (i / block.x) % block.y, i / (block.x * block.y));
          getcontext(&f.ctx);
          f.ctx.uc_stack.ss_sp = f.stack.data();
          f.ctx.uc_stack.ss_size = f.stack.size();
          f.ctx.uc_link = &b.sched;
          makecontext(&f.ctx, fiberEntry, 0);
        }
        for (int live = n; live > 0;) {
          live = 0;
          const uint64_t before = b.progress;
          for (int i = 0; i < n; ++i) {
            Fiber& f = b.fibers[i];
            if (f.done) continue;
            b.current = i;
            threadIdx = f.tid;
            swapcontext(&b.sched, &f.ctx);
            if (!f.done) ++live;
          }
          // A round in which no barrier opened and no fiber finished is a deadlock (a barrier some threads of the
          // block or warp never reach: undefined behaviour on a GPU).
          if (live > 0 && b.progress == before) {
            std::fprintf(stderr, "cuda_emu: deadlock: a barrier or warp op not reached by every thread\n");
            std::abort();
          }
        }
      }
  b.current = -1;
}

// Posts v for this lane, waits for the warp, returns the value posted by srcLane (its own if out of range), then
// waits again so the slots can be reused.
template <class T>
T exchange(T v, int srcLane) {
  static_assert(sizeof(T) <= 8, "shuffle of a type wider than 64 bits");
  Block& b = state();
  const int t = linearTid(), w = t / warpSize;
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  b.lanes[t] = bits;
  wait(b.warps[w]);
  const int width = b.warps[w].count;
  T out = v;
  if (srcLane >= 0 && srcLane < width) std::memcpy(&out, &b.lanes[w * warpSize + srcLane], sizeof(T));
  wait(b.warps[w]);
  return out;
}

// Every lane's predicate as a bit mask.
inline unsigned ballot(bool p) {
  Block& b = state();
  const int t = linearTid(), w = t / warpSize;
  b.lanes[t] = p ? 1 : 0;
  wait(b.warps[w]);
  unsigned mask = 0;
  for (int l = 0; l < b.warps[w].count; ++l)
    if (b.lanes[w * warpSize + l]) mask |= 1u << l;
  wait(b.warps[w]);
  return mask;
}

}  // namespace cuda_emu

inline void __syncthreads() { cuda_emu::wait(cuda_emu::state().block); }
inline void __syncwarp(unsigned = 0xffffffffu) {
  cuda_emu::Block& b = cuda_emu::state();
  cuda_emu::wait(b.warps[cuda_emu::linearTid() / warpSize]);
}
inline int laneOf() { return cuda_emu::linearTid() % warpSize; }

template <class T>
T __shfl_sync(unsigned, T v, int src, int width = warpSize) {
  const int lane = laneOf();
  return cuda_emu::exchange(v, (lane / width) * width + src % width);
}
template <class T>
T __shfl_xor_sync(unsigned, T v, int m, int width = warpSize) {
  const int lane = laneOf(), src = lane ^ m;
  return cuda_emu::exchange(v, (src / width == lane / width) ? src : lane);
}
template <class T>
T __shfl_down_sync(unsigned, T v, unsigned d, int width = warpSize) {
  const int lane = laneOf(), src = lane + static_cast<int>(d);
  return cuda_emu::exchange(v, (src / width == lane / width) ? src : lane);
}
template <class T>
T __shfl_up_sync(unsigned, T v, unsigned d, int width = warpSize) {
  const int lane = laneOf(), src = lane - static_cast<int>(d);
  return cuda_emu::exchange(v, (src >= 0 && src / width == lane / width) ? src : lane);
}
inline unsigned __ballot_sync(unsigned, int p) { return cuda_emu::ballot(p != 0); }
inline int __any_sync(unsigned m, int p) { return __ballot_sync(m, p) != 0; }
inline int __all_sync(unsigned m, int p) {
  cuda_emu::Block& b = cuda_emu::state();
  const int w = cuda_emu::linearTid() / warpSize, n = b.warps[w].count;
  const unsigned full = n == 32 ? 0xffffffffu : ((1u << n) - 1);
  return __ballot_sync(m, p) == full;
}

template <class T>
T atomicAdd(T* p, T v) {
  const T old = *p;
  *p = old + v;
  return old;
}
inline int atomicMax(int* p, int v) {
  const int old = *p;
  if (v > old) *p = v;
  return old;
}
inline unsigned atomicMax(unsigned* p, unsigned v) {
  const unsigned old = *p;
  if (v > old) *p = v;
  return old;
}
inline int atomicCAS(int* p, int cmp, int v) {
  const int old = *p;
  if (old == cmp) *p = v;
  return old;
}
inline unsigned atomicCAS(unsigned* p, unsigned cmp, unsigned v) {
  const unsigned old = *p;
  if (old == cmp) *p = v;
  return old;
}

inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline float __frcp_rn(float x) { return 1.0f / x; }
inline float __int_as_float(int i) {
  float f;
  std::memcpy(&f, &i, 4);
  return f;
}
inline int __float_as_int(float f) {
  int i;
  std::memcpy(&i, &f, 4);
  return i;
}

// bf16: the high 16 bits of a float, rounded to nearest even.
struct __nv_bfloat16 {
  uint16_t x;
};
inline __nv_bfloat16 __float2bfloat16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return __nv_bfloat16{static_cast<uint16_t>((u >> 16) | 0x40)};  // quiet NaN
  u += 0x7fffu + ((u >> 16) & 1u);
  return __nv_bfloat16{static_cast<uint16_t>(u >> 16)};
}
inline float __bfloat162float(__nv_bfloat16 h) {
  const uint32_t u = static_cast<uint32_t>(h.x) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// Host-side runtime stand-ins: device memory is host memory, launches are synchronous.
inline cudaError_t cudaGetLastError() { return cudaSuccess; }
inline cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }
inline const char* cudaGetErrorString(cudaError_t) { return "no error"; }

// ---- WMMA: whole-tile fragments (see the note at the top) ----
namespace nvcuda {
namespace wmma {
struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
enum layout_t { mem_row_major, mem_col_major };

template <class Use, int M, int N, int K, class T, class Layout = void>
struct fragment {
  static constexpr int rows = std::is_same<Use, matrix_b>::value ? K : M;
  static constexpr int cols = std::is_same<Use, matrix_a>::value ? K : N;
  static constexpr int num_elements = rows * cols;
  T x[num_elements];  // logical [rows][cols], row-major
};

inline float toFloat(float v) { return v; }
inline float toFloat(__nv_bfloat16 v) { return __bfloat162float(v); }
template <class T>
T fromFloat(float v);
template <>
inline float fromFloat<float>(float v) {
  return v;
}
template <>
inline __nv_bfloat16 fromFloat<__nv_bfloat16>(float v) {
  return __float2bfloat16(v);
}

template <class Use, int M, int N, int K, class T, class L>
void fill_fragment(fragment<Use, M, N, K, T, L>& f, float v) {
  for (auto& e : f.x) e = fromFloat<T>(v);
}
template <class Use, int M, int N, int K, class T, class L>
void load_matrix_sync(fragment<Use, M, N, K, T, L>& f, const T* p, unsigned ldm) {
  using F = fragment<Use, M, N, K, T, L>;
  for (int r = 0; r < F::rows; ++r)
    for (int c = 0; c < F::cols; ++c)
      f.x[r * F::cols + c] = std::is_same<L, col_major>::value ? p[c * ldm + r] : p[r * ldm + c];
}
template <int M, int N, int K>
void load_matrix_sync(fragment<accumulator, M, N, K, float>& f, const float* p, unsigned ldm, layout_t l) {
  for (int r = 0; r < M; ++r)
    for (int c = 0; c < N; ++c) f.x[r * N + c] = l == mem_col_major ? p[c * ldm + r] : p[r * ldm + c];
}
template <int M, int N, int K>
void store_matrix_sync(float* p, const fragment<accumulator, M, N, K, float>& f, unsigned ldm, layout_t l) {
  for (int r = 0; r < M; ++r)
    for (int c = 0; c < N; ++c) (l == mem_col_major ? p[c * ldm + r] : p[r * ldm + c]) = f.x[r * N + c];
}
template <int M, int N, int K, class T, class LA, class LB>
void mma_sync(fragment<accumulator, M, N, K, float>& d, const fragment<matrix_a, M, N, K, T, LA>& a,
              const fragment<matrix_b, M, N, K, T, LB>& b, const fragment<accumulator, M, N, K, float>& c) {
  float out[M * N];
  for (int m = 0; m < M; ++m)
    for (int n = 0; n < N; ++n) {
      float s = c.x[m * N + n];
      for (int k = 0; k < K; ++k) s += toFloat(a.x[m * K + k]) * toFloat(b.x[k * N + n]);
      out[m * N + n] = s;
    }
  for (int i = 0; i < M * N; ++i) d.x[i] = out[i];
}
}  // namespace wmma
}  // namespace nvcuda
