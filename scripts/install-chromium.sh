#!/usr/bin/env bash
# Install Debian's chromium (headless browser for the dashboard tests in tests/dashboard),
# only when it is missing (Debian/Ubuntu, as root). Prints why and returns 1 when it cannot.
set -euo pipefail
command -v chromium > /dev/null && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get > /dev/null; then
  echo "chromium install: chromium is missing, and apt-get as root is not available" >&2
  exit 1
fi
log=$(mktemp /tmp/smartsim-apt.XXXXXX.log)
if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y \
       --no-install-recommends chromium fonts-dejavu-core; } > "$log" 2>&1; then
  tail -n 30 "$log" >&2
  echo "chromium install: apt-get install chromium failed (log: $log)" >&2
  exit 1
fi
rm -f "$log"
