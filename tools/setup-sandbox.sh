#!/usr/bin/env bash
# Installs bubblewrap (bwrap), the sandbox codeReward runs generated Python in, and checks that it can create its
# namespaces on this machine. `npm run setup:sandbox`; safe to run again. See docs/concepts/sandbox.md.
#   - installs the `bubblewrap` package with the system package manager (apt-get, dnf, yum, zypper, apk, pacman),
#     through `sudo -n` when not root;
#   - then runs a tiny sandbox (as `nobody` when root, as in codeReward) and, when that fails, prints the usual cause
#     (unprivileged user namespaces turned off) and the setting to change. It never changes kernel settings itself.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; fi
fi

if ! command -v bwrap >/dev/null 2>&1; then
  echo "setup-sandbox: installing bubblewrap"
  if command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
    $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends bubblewrap >/dev/null
  elif command -v dnf >/dev/null 2>&1; then $SUDO dnf install -y -q bubblewrap
  elif command -v yum >/dev/null 2>&1; then $SUDO yum install -y -q bubblewrap
  elif command -v zypper >/dev/null 2>&1; then $SUDO zypper --non-interactive install bubblewrap
  elif command -v apk >/dev/null 2>&1; then $SUDO apk add --no-cache bubblewrap
  elif command -v pacman >/dev/null 2>&1; then $SUDO pacman -S --noconfirm bubblewrap
  else
    echo "setup-sandbox: no known package manager; install bubblewrap (https://github.com/containers/bubblewrap) yourself" >&2
    exit 1
  fi
fi
echo "setup-sandbox: $(bwrap --version)"

# The same shape of sandbox codeReward uses (python-sandbox.ts bwrapArgs), running /usr/bin/env.
probe=(bwrap --unshare-user --unshare-pid --unshare-net --unshare-ipc --unshare-uts --die-with-parent --new-session
  --cap-drop ALL --clearenv --ro-bind /usr /usr)
for top in /bin /sbin /lib /lib32 /lib64 /libx32; do
  if [ -L "$top" ]; then probe+=(--symlink "$(readlink "$top")" "$top")
  elif [ -d "$top" ]; then probe+=(--ro-bind "$top" "$top"); fi
done
probe+=(--dev /dev --tmpfs /tmp /usr/bin/env)
as_nobody=()
if [ "$(id -u)" -eq 0 ]; then as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups); fi
err="$(mktemp)"
trap 'rm -f "$err"' EXIT
if "${as_nobody[@]}" "${probe[@]}" >/dev/null 2>"$err"; then
  echo "setup-sandbox: bubblewrap works here${as_nobody:+ (as nobody: process limits hold)}"
  exit 0
fi
echo "setup-sandbox: bubblewrap cannot create a sandbox here: $(tail -n1 "$err")" >&2
if [ "$(id -u)" -eq 0 ] && "${probe[@]}" >/dev/null 2>&1; then
  echo "setup-sandbox: it works as root, so codeReward will run, but without the process-count limit" >&2
fi
echo "setup-sandbox: unprivileged user namespaces are probably off. Usual fixes:" >&2
echo "  Debian/older kernels:  sysctl -w kernel.unprivileged_userns_clone=1" >&2
echo "  Ubuntu 24.04+:         sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (or an AppArmor profile for bwrap)" >&2
echo "  RHEL/Fedora:           sysctl -w user.max_user_namespaces=15000" >&2
echo "  containers:            run with --security-opt seccomp=unconfined or give the container user namespaces" >&2
exit 1
