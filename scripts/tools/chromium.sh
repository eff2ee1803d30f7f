#!/usr/bin/env bash
# Installs Debian's headless-capable Chromium for the chart page's browser test (test/ui). Idempotent:
# nothing is done when the package is installed. Debian's security archive replaces Chromium's
# version in place (old builds are withdrawn), so the package is pinned by name, not by version.
set -euo pipefail
if dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q "install ok installed"; then
  echo "chromium.sh: $(chromium --version 2>/dev/null || echo chromium) already installed" >&2
  exit 0
fi
sudo=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "chromium.sh: need root or sudo to install chromium" >&2; exit 1; }
  sudo=(sudo)
fi
echo "chromium.sh: installing Debian package chromium (apt)" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get -o DPkg::Lock::Timeout=900 update -q >&2
"${sudo[@]}" apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends chromium fonts-dejavu-core >&2
echo "chromium.sh: $(chromium --version) installed" >&2
