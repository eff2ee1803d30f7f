#!/usr/bin/env bash
# Container tooling for the image test (test/k8s/image_itest.sh): podman, buildah, runc and
# debootstrap from apt, a podman configuration that works on these hosts (vfs storage, runc,
# explicit ulimits), and a local debian:bookworm-slim base image made with debootstrap (no image
# registry is reachable), cached as a tarball and imported into podman's store when missing.
# Idempotent. First run ~3 min (apt + debootstrap); later runs: a few seconds.
set -euo pipefail
cache=${FINSTREAM_CACHE:-$HOME/.cache/finstream}
base_tar=$cache/images/debian-bookworm-minbase.tar
base_ref=docker.io/library/debian:bookworm-slim

apt_install() {
  apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends "$@" >&2 ||
    { apt-get -o DPkg::Lock::Timeout=900 update >&2 &&
      apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends "$@" >&2; }
}
missing=()
for tool in podman buildah runc debootstrap; do
  command -v "$tool" > /dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "image-tools.sh: installing ${missing[*]} from apt" >&2
  apt_install podman buildah runc debootstrap uidmap fuse-overlayfs slirp4netns
fi

# crun (podman's default here) fails on setrlimit and on hybrid cgroups; vfs works everywhere.
conf_dir=/etc/containers
mkdir -p "$conf_dir"
if ! grep -q 'finstream image-tools' "$conf_dir/containers.conf" 2> /dev/null; then
  echo "image-tools.sh: writing $conf_dir/containers.conf and storage.conf (runc, vfs)" >&2
  [ -f "$conf_dir/containers.conf" ] && cp "$conf_dir/containers.conf" "$conf_dir/containers.conf.orig"
  cat > "$conf_dir/containers.conf" <<'CONF'
# finstream image-tools: runc and explicit ulimits (crun fails on setrlimit here)
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
runtime = "runc"
CONF
  [ -f "$conf_dir/storage.conf" ] && cp "$conf_dir/storage.conf" "$conf_dir/storage.conf.orig"
  cat > "$conf_dir/storage.conf" <<'CONF'
# finstream image-tools: vfs works on every host filesystem
[storage]
driver = "vfs"
runroot = "/run/containers/storage"
graphroot = "/var/lib/containers/storage"
CONF
fi

if [ ! -f "$base_tar" ]; then
  echo "image-tools.sh: debootstrap --variant=minbase bookworm (~70 s)" >&2
  mkdir -p "$(dirname "$base_tar")"
  rootfs=$(mktemp -d "$cache/images/rootfs.XXXXXX")
  trap 'rm -rf "$rootfs"' EXIT
  # The host's own Debian mirror (sources.list or deb822 debian.sources), else debootstrap's default.
  mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/debian.sources 2> /dev/null |
    sed -n -e 's#^deb \(http[^ ]*\) bookworm main.*#\1#p' -e 's#^URIs: \(http[^ ]*/debian\)/*$#\1#p' |
    head -n 1 || true)
  debootstrap --variant=minbase bookworm "$rootfs" ${mirror:+"$mirror"} >&2
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  chmod 755 "$rootfs" # mktemp made it 0700: it becomes the image's /, which every user must enter
  tar -C "$rootfs" -cf "$base_tar.tmp" .
  mv "$base_tar.tmp" "$base_tar"
fi
# Bases made before the chmod above had / at 0700 (no non-root user could run anything): repair
# the tarball's root entry and import it again.
if [ "$(tar -tvf "$base_tar" ./ 2> /dev/null | head -n 1 | cut -c1-10)" != drwxr-xr-x ]; then
  echo "image-tools.sh: repairing the mode of / in $base_tar" >&2
  python3 - "$base_tar" <<'PY'
import os, sys, tarfile
src = sys.argv[1]
with tarfile.open(src) as tin, tarfile.open(src + ".tmp", "w", format=tin.format) as tout:
    for m in tin:
        if m.name in (".", "./"):
            m.mode = 0o755
        tout.addfile(m, tin.extractfile(m) if m.isreg() else None)
os.replace(src + ".tmp", src)
PY
  podman rmi -f "$base_ref" > /dev/null 2>&1 || true
fi
if ! podman image exists "$base_ref"; then
  echo "image-tools.sh: importing $base_tar as $base_ref" >&2
  podman import "$base_tar" "$base_ref" >&2
fi
