// Launchers of the primitive checks in emu_selftest.cu (used by harness.cc).
#pragma once

namespace aha_cuda {
void selftestBarrier(int* out, int blocks, int threads);
void selftestWarp(int* out, int threads);  // out [threads × 8]; threads a multiple of 32
void selftestAtomics(float* fsum, int* isum, int* imax);
}  // namespace aha_cuda
