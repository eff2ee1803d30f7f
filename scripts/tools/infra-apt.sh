#!/usr/bin/env bash
# Debian packages the infra tests need (test/infra/): shellcheck, yamllint, nix-bin (nix-instantiate),
# debootstrap (the bookworm chroot Ansible runs against) and python3-venv (the linters' venvs); and
# iproute2 + iptables for the network-fault test (test/e2e/network_fault_itest.cpp: ip netns, veth,
# DROP rules; tc netem would need the kernel's sch_netem module, absent here).
# Idempotent: packages already installed are not touched.
set -euo pipefail
packages=(shellcheck yamllint nix-bin debootstrap python3-venv iproute2 iptables)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "infra-apt.sh: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "infra-apt.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get -o DPkg::Lock::Timeout=900 update -q >&2
"${sudo[@]}" apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends "${missing[@]}" >&2
