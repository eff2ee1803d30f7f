#!/usr/bin/env bash
# Installs everything finstream needs to build, test and run, from Debian's packages. Idempotent:
# packages already present are not touched, so a second run costs a second.
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build pkg-config ccache git python3 openssl ca-certificates tzdata
  # libraries (headers + shared objects); see CMakeLists.txt
  libcaf-dev librdkafka-dev libpq-dev libboost-dev libssl-dev libsimdjson-dev
  libspdlog-dev libcli11-dev libtomlplusplus-dev libhowardhinnant-date-dev catch2
)
# services: PostgreSQL for every mode; a JDK and Maven for the test Kafka broker.
# `install-deps.sh --build-only` (the image's build stage) leaves them out.
[ "${1:-}" = --build-only ] ||
  packages+=(postgresql postgresql-client openjdk-17-jre-headless maven)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps.sh: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "install-deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get -o DPkg::Lock::Timeout=900 update -q >&2
"${sudo[@]}" apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends "${missing[@]}" >&2
# Debian's postgresql package creates and starts a default cluster; finstream never uses it.
