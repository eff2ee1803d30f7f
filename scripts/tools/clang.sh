#!/usr/bin/env bash
# clang with libFuzzer and the sanitizer runtimes, for scripts/fuzz.sh: Debian 12's clang-14 and
# libclang-rt-14-dev (pinned major version; a no-op when installed).
set -euo pipefail
packages=(clang-14 libclang-rt-14-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "clang.sh: ${packages[*]} installed" >&2
  exit 0
fi
echo "clang.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=900 update -q >&2
apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends "${missing[@]}" >&2
