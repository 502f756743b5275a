#!/usr/bin/env bash
# Installs one Debian package for a CI check when the file it provides is missing:
#   tools/ci/apt-install.sh <path it provides> <package> <what is skipped without it>
# Idempotent and quiet: does nothing when the path exists; prints one line otherwise. Needs root (CI containers run
# as root) or passwordless sudo, and the Debian apt repositories; without them it warns and exits 0. What the check
# that needs the package does then is its own choice: most skip with a message, the bubblewrap sandbox tests fail.
set -euo pipefail

provides="$1"
package="$2"
skipped="$3"
if [ -x "$provides" ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "apt-install: apt-get not found; $skipped will be skipped" >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
    echo "apt-install: not root and no sudo; $skipped will be skipped" >&2
    exit 0
  fi
fi
echo "apt-install: installing $package with apt-get"
export DEBIAN_FRONTEND=noninteractive
# Another apt run may hold the lock (shared machines): wait for it rather than fail.
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$package" >/dev/null
