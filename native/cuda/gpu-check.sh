#!/usr/bin/env bash
# On a machine with an NVIDIA GPU: builds the kernels and the harness for the visible device with nvcc (the harness
# as CUDA: the same tests as check.sh, launched on the GPU and compared with the CPU references), runs the tests,
# then the timings (cudaEvent; GB/s for the memory-bound kernels, TFLOPS for GEMM and attention).
# One command: `bash native/cuda/gpu-check.sh` (needs nvcc and a driver, no Node). Arch: $AHA_CUDA_ARCH (default
# `native`, the visible GPU). Exits non-zero when a test fails.
# Status: written and compiled on a machine with nvcc but no GPU; not yet run on a GPU.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
nvcc_bin="$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)"
[ -x "$nvcc_bin" ] || { echo "gpu-check: nvcc not found" >&2; exit 2; }
build="${AHA_CUDA_BUILD:-$(mktemp -d)}"
mkdir -p "$build"
arch="${AHA_CUDA_ARCH:-native}"
command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
"$nvcc_bin" -std=c++17 -O3 -arch="$arch" -Werror all-warnings -I "$here/kernels" \
  "$here"/kernels/*.cu "$here/test/emu_selftest.cu" -x cu "$here/test/harness.cc" -o "$build/harness-gpu"
"$build/harness-gpu" --bench
