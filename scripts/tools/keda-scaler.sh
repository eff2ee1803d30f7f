#!/usr/bin/env bash
# Builds keda-lag (test/k8s/keda: KEDA v2.17.2's own Kafka scaler driven by our ScaledObjects) and
# downloads the KEDA module, whose config/crd/bases the API-server test installs.
# Idempotent: the binary is cached under a hash of the module's sources. First run ~7 min.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cache=${FINSTREAM_CACHE:-$HOME/.cache/finstream}
export GOMODCACHE=$cache/go/mod GOCACHE=$cache/go/build GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
src=$root/test/k8s/keda
key=$(cat "$src/go.mod" "$src/go.sum" "$src"/*.go | sha256sum | cut -c1-16)
out=$cache/keda-lag/$key/keda-lag
if [ -x "$out" ]; then
  exit 0
fi
echo "keda-lag: building KEDA's Kafka scaler test driver into $out (~7 min on 2 cores)" >&2
mkdir -p "$(dirname "$out")"
(cd "$src" && go build -mod=readonly -trimpath -o "$out.tmp" .)
mv "$out.tmp" "$out"
