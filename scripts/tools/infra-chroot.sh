#!/usr/bin/env bash
# A Debian bookworm root filesystem (debootstrap minbase + python3) as a cached tarball, the target of
# the real Ansible run in test/infra/ansible_chroot_test.sh (which unpacks a fresh copy each time).
# Needs root or sudo (debootstrap) and infra-apt.sh's debootstrap. ~70 s the first time, a no-op afterwards.
set -euo pipefail
cache=${FINSTREAM_CACHE:-$HOME/.cache/finstream}
tarball=$cache/chroot/bookworm-minbase-python3.tar.gz
mirror=${FINSTREAM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
[ -s "$tarball" ] && exit 0
sudo=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "infra-chroot.sh: debootstrap needs root or sudo" >&2; exit 1; }
  sudo=(sudo)
fi
[ -x /usr/sbin/debootstrap ] || { echo "infra-chroot.sh: debootstrap missing (scripts/tools/infra-apt.sh)" >&2; exit 1; }
mkdir -p "$cache/chroot"
work=$(mktemp -d "$cache/chroot/build.XXXXXX")
trap '"${sudo[@]}" rm -rf "$work"' EXIT
echo "infra-chroot.sh: debootstrap bookworm from $mirror into $work" >&2
"${sudo[@]}" /usr/sbin/debootstrap --variant=minbase --include=python3,ca-certificates bookworm "$work/root" "$mirror" >&2
"${sudo[@]}" rm -rf "$work/root/var/cache/apt/archives/"*.deb
"${sudo[@]}" tar -C "$work/root" -czf "$work/rootfs.tar.gz" .
"${sudo[@]}" chown "$(id -u):$(id -g)" "$work/rootfs.tar.gz"
mv "$work/rootfs.tar.gz" "$tarball"
echo "infra-chroot.sh: wrote $tarball ($(du -h "$tarball" | cut -f1))" >&2
