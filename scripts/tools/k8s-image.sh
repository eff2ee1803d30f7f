#!/usr/bin/env bash
# Builds finstream's image (scripts/image.sh: Dockerfile build stage from Debian's dev packages,
# runtime stage on the local debian:bookworm-slim of image-tools.sh) for test/k8s/image_itest.sh,
# when no image of the current sources exists yet (label finstream.sources = hash of what the
# build copies). Runs after image-tools.sh (name order). First run ~15-25 min on 2 shared cores
# (apt in the build stage + a full compile; ccache in a build cache mount makes rebuilds cheaper).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
version=$(sed -n 's/^project(finstream VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
ref=localhost/finstream:$version
hash=$(cd "$root" && git ls-files -s CMakeLists.txt src config scripts/install-deps.sh Dockerfile | sha256sum | cut -c1-16)
# Uncommitted edits count too.
hash=$hash-$(cd "$root" && git diff HEAD -- CMakeLists.txt src config scripts/install-deps.sh Dockerfile | sha256sum | cut -c1-8)
if [ "$(podman image inspect --format '{{index .Labels "finstream.sources"}}' "$ref" 2> /dev/null || true)" = "$hash" ]; then
  exit 0
fi
echo "k8s-image.sh: building $ref for sources $hash" >&2
t0=$SECONDS
"$root/scripts/image.sh" --label "finstream.sources=$hash" > /dev/null
echo "k8s-image.sh: $ref built in $((SECONDS - t0)) s" >&2
