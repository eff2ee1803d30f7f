#!/usr/bin/env bash
# tflint (core rules; the google ruleset plugin cannot be downloaded here), built with `go install`
# into the cache: GOBIN, GOMODCACHE and GOCACHE all live under it. Pinned: v0.64.0 (~3.5 min first
# build on 2 cores, a no-op afterwards).
set -euo pipefail
version=v0.64.0
cache=${FINSTREAM_CACHE:-$HOME/.cache/finstream}
export GOBIN=$cache/go/bin GOMODCACHE=$cache/go/mod GOCACHE=$cache/go/build
stamp=$cache/go/tflint.version
if [ -x "$GOBIN/tflint" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then
  exit 0
fi
command -v go >/dev/null || { echo "tflint.sh: go is not installed (needed to build tflint)" >&2; exit 1; }
echo "tflint.sh: go install github.com/terraform-linters/tflint@$version into $GOBIN" >&2
mkdir -p "$GOBIN"
go install "github.com/terraform-linters/tflint@$version" >&2
echo "$version" > "$stamp"
