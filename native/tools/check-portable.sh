#!/usr/bin/env bash
# Proves the portable (non-x86) path builds: compiles every native source for aarch64 with Debian's cross compiler
# (g++-aarch64-linux-gnu), the same flags as binding.gyp. The AVX2 kernels sit behind x86 `#if`s and target
# attributes, so this is the check that nothing x86-only leaked out of them. Compile only: nothing runs (no arm64
# Node here). Skips with a message when the cross compiler is absent (tools/ci/apt-install.sh installs it in CI).
set -euo pipefail
cd "$(dirname "$0")/.."

CXX=aarch64-linux-gnu-g++
if ! command -v "$CXX" >/dev/null 2>&1; then
  echo "check-portable: $CXX not found; the aarch64 build check is SKIPPED" >&2
  exit 0
fi
node_include="$(node -p "require('path').resolve(process.execPath, '../../include/node')")"
if [ ! -f "$node_include/node_api.h" ]; then
  echo "check-portable: Node headers not found at $node_include; the aarch64 build check is SKIPPED" >&2
  exit 0
fi
addon_include="$(node -p "JSON.parse(require('node-addon-api').include)")"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
count=0
for src in $(node -p "require('./tools/sources.cjs')"); do
  "$CXX" -std=c++17 -O2 -fexceptions -fno-math-errno -pthread -Wall -Werror -Wno-unused-function \
    -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS -I"$node_include" -I"$addon_include" -Isrc \
    -c "$src" -o "$out/$(basename "$src").o"
  count=$((count + 1))
done
echo "check-portable: $count native sources compile for aarch64"
