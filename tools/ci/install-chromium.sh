#!/usr/bin/env bash
# Installs Debian's chromium for the report's real-browser test (packages/pipeline/src/report/report.browser.test.ts)
# when it is missing; without it that test skips with a message.
set -euo pipefail
bash "$(dirname "$0")/apt-install.sh" /usr/bin/chromium chromium "the report browser test"
if [ -x /usr/bin/chromium ]; then /usr/bin/chromium --version >/dev/null; fi
