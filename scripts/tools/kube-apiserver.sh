#!/usr/bin/env bash
# Builds a real kube-apiserver (Kubernetes v1.37.2) from the Go module proxy and installs etcd
# (Debian etcd-server), for the manifest dry-run test (test/k8s/apiserver_itest.sh, which talks to
# the REST API itself: no kubectl needed). Idempotent: a no-op when the binary is cached.
# First run: 13 min on 2 idle cores, ~45 min on 2 cores shared with 7 other builds.
set -euo pipefail
k8s_version=v1.37.2
staging_version=v0.37.2
cache=${FINSTREAM_CACHE:-$HOME/.cache/finstream}
bin=$cache/k8s/$k8s_version/bin
export GOMODCACHE=$cache/go/mod GOCACHE=$cache/go/build GOTOOLCHAIN=local GOFLAGS=-buildvcs=false

if ! command -v etcd > /dev/null; then
  echo "kube-apiserver.sh: installing etcd-server from apt" >&2
  apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends etcd-server >&2 ||
    { apt-get -o DPkg::Lock::Timeout=900 update >&2 &&
      apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends etcd-server >&2; }
fi
if [ -x "$bin/kube-apiserver" ]; then
  exit 0
fi
# k8s.io/kubernetes is not meant to be required as a module: its staging modules are replaced by
# local paths in its own go.mod. A wrapper module replaces each of them by its published version.
wrapper=$cache/k8s/$k8s_version/wrapper
mkdir -p "$wrapper" "$bin"
echo "kube-apiserver.sh: building kube-apiserver $k8s_version in $wrapper (13+ min on 2 cores)" >&2
k8s_gomod=$(go mod download -json "k8s.io/kubernetes@$k8s_version" | sed -n 's/^\s*"GoMod": "\(.*\)",$/\1/p')
{
  echo "module finstream.local/k8s-wrapper"
  echo
  echo "go $(sed -n 's/^go \(.*\)/\1/p' "$k8s_gomod")"
  echo
  echo "require k8s.io/kubernetes $k8s_version"
  echo
  sed -n "s#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/src/k8s.io/[a-z0-9-]*\$#replace \1 => \1 $staging_version#p" "$k8s_gomod"
} > "$wrapper/go.mod"
grep -q '^replace ' "$wrapper/go.mod" || { echo "kube-apiserver.sh: no staging replaces found in $k8s_gomod" >&2; exit 1; }
cd "$wrapper"
go build -mod=mod -trimpath -ldflags=-s -o "$bin/.tmp-kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
mv "$bin/.tmp-kube-apiserver" "$bin/kube-apiserver"
echo "kube-apiserver.sh: built $("$bin/kube-apiserver" --version)" >&2
