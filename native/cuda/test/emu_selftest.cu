// Kernels that exercise the CUDA execution-model primitives the op kernels rely on, so the harness can check the
// emulation (and, on a GPU, the hardware gives the same answers): a block-wide barrier between a shared-memory write
// and a read of another thread's slot, warp shuffles (indexed, xor, down, up), votes (ballot, any, all, with a partial
// last warp), atomics from many blocks, and 2-D/3-D grid and block indices.
#include "aha_cuda.h"
#include "emu_selftest.h"

namespace aha_cuda {
namespace {

// out[t] = the value thread (t + 1) % n wrote to shared memory before the barrier.
__global__ void barrierKernel(int* out) {
  __shared__ int s[1024];
  const int n = blockDim.x, t = threadIdx.x;
  s[t] = t * 7 + static_cast<int>(blockIdx.x);
  __syncthreads();
  out[blockIdx.x * n + t] = s[(t + 1) % n];
}

// Per thread, 8 results: shfl(lane 3), shfl_xor 5, shfl_down 2, shfl_up 1, ballot(odd lane), any(lane == 7),
// all(lane < 40), warpSum(lane).
__global__ void warpKernel(int* out) {
  const int t = threadIdx.x, lane = t % 32;
  int* o = out + t * 8;
  o[0] = __shfl_sync(0xffffffffu, t, 3);
  o[1] = __shfl_xor_sync(0xffffffffu, t, 5);
  o[2] = __shfl_down_sync(0xffffffffu, t, 2);
  o[3] = __shfl_up_sync(0xffffffffu, t, 1);
  o[4] = static_cast<int>(__ballot_sync(0xffffffffu, lane % 2 == 1));
  o[5] = __any_sync(0xffffffffu, lane == 7);
  o[6] = __all_sync(0xffffffffu, lane < 40);
  o[7] = static_cast<int>(warpSum(static_cast<float>(lane)));
}

__global__ void atomicKernel(float* fsum, int* isum, int* imax) {
  const int id = (blockIdx.z * gridDim.y + blockIdx.y) * gridDim.x + blockIdx.x;
  const int tid = (threadIdx.z * blockDim.y + threadIdx.y) * blockDim.x + threadIdx.x;
  atomicAdd(fsum, 0.5f);
  atomicAdd(isum, 1);
  atomicMax(imax, id * 1000 + tid);
}

}  // namespace

void selftestBarrier(int* out, int blocks, int threads) {
  AHA_LAUNCH(barrierKernel, dim3(blocks), dim3(threads), nullptr, out);
}
void selftestWarp(int* out, int threads) { AHA_LAUNCH(warpKernel, dim3(1), dim3(threads), nullptr, out); }
void selftestAtomics(float* fsum, int* isum, int* imax) {
  AHA_LAUNCH(atomicKernel, dim3(3, 2, 2), dim3(5, 3, 2), nullptr, fsum, isum, imax);
}

}  // namespace aha_cuda
