#!/usr/bin/env bash
# Tool for the monitoring manifest test: the prometheus-operator CRDs (PodMonitor, PrometheusRule)
# of the pinned release, from its Go module (the Go module proxy), copied to
# ${FINSTREAM_CACHE:-~/.cache/finstream}/prometheus-operator-crds. Idempotent: a no-op when there.
set -euo pipefail
version=v0.85.0
cache="${FINSTREAM_CACHE:-$HOME/.cache/finstream}"
out="$cache/prometheus-operator-crds/$version"
if [ -s "$out/monitoring.coreos.com_podmonitors.yaml" ] &&
  [ -s "$out/monitoring.coreos.com_prometheusrules.yaml" ]; then
  echo "tools/prometheus-operator-crds: $version (cached)" >&2
  exit 0
fi
command -v go > /dev/null || { echo "tools/prometheus-operator-crds: go is required" >&2; exit 1; }
export GOMODCACHE="$cache/go/mod" GOCACHE="$cache/go/build" GOFLAGS=-modcacherw
echo "tools/prometheus-operator-crds: go mod download github.com/prometheus-operator/prometheus-operator@$version" >&2
dir=$(cd "$(mktemp -d)" && go mod download -json "github.com/prometheus-operator/prometheus-operator@$version" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
mkdir -p "$out"
for crd in podmonitors prometheusrules; do
  cp "$dir/example/prometheus-operator-crd/monitoring.coreos.com_$crd.yaml" "$out/"
done
echo "tools/prometheus-operator-crds: CRDs in $out" >&2
