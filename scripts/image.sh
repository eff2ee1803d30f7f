#!/usr/bin/env bash
# Builds finstream's container image with podman (or docker), tagged with the binary's version:
#   scripts/image.sh [--push REGISTRY] [--tag TAG] [--base IMAGE] [--label KEY=VALUE]
# Prints the image reference (localhost/finstream:<version>) on stdout. The version is what
# `finstream --version` prints: the project version of CMakeLists.txt.
# --push REGISTRY: also tags REGISTRY/finstream:<version> and pushes it.
# Without a registry: `podman save localhost/finstream:<version> | ...` into the cluster's nodes
# (kind load image-archive, k3s ctr images import, minikube image load): see k8s/README.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
push=""
tag=""
base=docker.io/library/debian:bookworm-slim
labels=()
while [ $# -gt 0 ]; do
  case "$1" in
    --push) push=${2:?--push needs a registry}; shift 2 ;;
    --tag) tag=${2:?}; shift 2 ;;
    --base) base=${2:?}; shift 2 ;;
    --label) labels+=(--label "${2:?}"); shift 2 ;;
    *) echo "usage: scripts/image.sh [--push REGISTRY] [--tag TAG] [--base IMAGE] [--label KEY=VALUE]" >&2; exit 2 ;;
  esac
done
if command -v podman > /dev/null; then
  engine=podman
elif command -v docker > /dev/null && docker info > /dev/null 2>&1; then
  engine=docker
else
  echo "image.sh: neither podman nor a working docker found" >&2
  exit 1
fi
# The binary's version, from the same place `finstream --version` takes it.
version=$(sed -n 's/^project(finstream VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
[ -n "$version" ] || { echo "image.sh: no project version in CMakeLists.txt" >&2; exit 1; }
ref=localhost/finstream:${tag:-$version}
echo "image.sh: building $ref with $engine (base $base)" >&2
network=()
[ "$engine" = podman ] && network=(--network host)
"$engine" build "${network[@]}" --build-arg "BASE=$base" --build-arg "VERSION=$version" \
  --label "org.opencontainers.image.revision=$(git -C "$root" rev-parse HEAD 2> /dev/null || echo unknown)" \
  "${labels[@]}" -t "$ref" -f "$root/Dockerfile" "$root" >&2
# The image must say the version it is tagged with.
inside=$("$engine" run --rm "$ref" --version)
[ "$inside" = "finstream $version" ] || { echo "image.sh: image says '$inside', expected finstream $version" >&2; exit 1; }
if [ -n "$push" ]; then
  remote=$push/finstream:${tag:-$version}
  "$engine" tag "$ref" "$remote"
  "$engine" push "$remote" >&2
  echo "image.sh: pushed $remote" >&2
fi
echo "$ref"
