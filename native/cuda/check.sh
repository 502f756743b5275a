#!/usr/bin/env bash
# The CUDA check run by .ci/run (no GPU there): compiles every kernel with nvcc for sm_80 and sm_90 with warnings as
# errors and register spills as errors, then builds the test harness with g++ against the CPU emulation of the CUDA
# execution model (emu/cuda_emu.h) and runs it; its last line is `N passed, N failed`. Where nvcc is missing it says
# so, skips the compile step and still runs the emulated harness. Exits non-zero on any failure.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT
jobs="${AHA_CUDA_JOBS:-2}"

nvcc_bin="$(command -v nvcc || true)"
if [ -z "$nvcc_bin" ] && [ -x /usr/local/cuda/bin/nvcc ]; then nvcc_bin=/usr/local/cuda/bin/nvcc; fi
if [ -n "$nvcc_bin" ]; then
  echo "cuda check: $("$nvcc_bin" --version | tail -1)"
  export nvcc_bin build
  # One nvcc per file, both architectures in it; two files at a time.
  ls "$here"/kernels/*.cu | xargs -P "$jobs" -I{} sh -c '
    "$nvcc_bin" -std=c++17 -O3 -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
      -Werror all-warnings -Xptxas -warn-spills,-Werror -Xcompiler -Wall,-Wextra,-Werror \
      -c "{}" -o "$build/$(basename "{}" .cu).o" || { echo "cuda check: nvcc failed on {}" >&2; exit 255; }'
  echo "cuda check: nvcc compiled $(ls "$here"/kernels/*.cu | wc -l) kernel files for sm_80 and sm_90"
else
  echo "cuda check: nvcc not found — the kernels were NOT compiled for a GPU; running the emulated harness only"
fi

g++ -std=c++17 -O1 -Wall -Wextra -Werror -I "$here/kernels" -x c++ "$here"/kernels/*.cu \
  "$here/test/emu_selftest.cu" "$here/test/harness.cc" \
  -o "$build/harness"
"$build/harness"
