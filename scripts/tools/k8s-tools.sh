#!/usr/bin/env bash
# kustomize (render the k8s/ overlays) and the CRDs the manifests and their tests use: KEDA's
# (kedacore/keda/v2 module, config/crd/bases) and prometheus-operator's (PodMonitor,
# PrometheusRule, ... from its module's example/prometheus-operator-crd), both from the Go module
# proxy, offline afterwards. Also python3-yaml for test/k8s/pods.py. Idempotent; first run ~1 min.
set -euo pipefail
cache=${FINSTREAM_CACHE:-$HOME/.cache/finstream}
export GOMODCACHE=$cache/go/mod GOCACHE=$cache/go/build GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
kustomize_version=v5.8.2
keda_version=v2.17.2
prometheus_operator_version=v0.85.0
bin=$cache/bin
mkdir -p "$bin"

if ! python3 -c 'import yaml' 2> /dev/null; then
  echo "k8s-tools.sh: installing python3-yaml from apt" >&2
  apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends python3-yaml >&2 ||
    { apt-get -o DPkg::Lock::Timeout=900 update >&2 &&
      apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends python3-yaml >&2; }
fi
if [ ! -x "$bin/kustomize-$kustomize_version" ]; then
  echo "k8s-tools.sh: go install kustomize $kustomize_version" >&2
  GOBIN=$bin/.kustomize-tmp go install "sigs.k8s.io/kustomize/kustomize/v5@$kustomize_version"
  mv "$bin/.kustomize-tmp/kustomize" "$bin/kustomize-$kustomize_version"
  rmdir "$bin/.kustomize-tmp"
fi
ln -sf "kustomize-$kustomize_version" "$bin/kustomize"

# CRDs: one folder per operator under $cache/crds, filled from the module (read-only in GOMODCACHE).
crds=$cache/crds
if [ ! -f "$crds/keda-$keda_version/.complete" ]; then
  dir=$(go mod download -json "github.com/kedacore/keda/v2@$keda_version" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
  mkdir -p "$crds/keda-$keda_version"
  cp "$dir"/config/crd/bases/*.yaml "$crds/keda-$keda_version/"
  touch "$crds/keda-$keda_version/.complete"
fi
if [ ! -f "$crds/prometheus-operator-$prometheus_operator_version/.complete" ]; then
  dir=$(go mod download -json "github.com/prometheus-operator/prometheus-operator@$prometheus_operator_version" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
  mkdir -p "$crds/prometheus-operator-$prometheus_operator_version"
  cp "$dir"/example/prometheus-operator-crd/*.yaml "$crds/prometheus-operator-$prometheus_operator_version/"
  touch "$crds/prometheus-operator-$prometheus_operator_version/.complete"
fi
