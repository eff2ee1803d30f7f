#!/usr/bin/env bash
# Renders every overlay under k8s/overlays with kustomize (scripts/tools/k8s-tools.sh) and checks
# the deployment rules on each (test/k8s/manifests.py check): KEDA on the groups and topics the pods
# use, caps and thresholds from finstream-topology, probes, security context. Then proves the check
# can fail: broken copies of a rendered overlay must be rejected.
set -euo pipefail
src=${FINSTREAM_SOURCE_DIR:?}
cache=${FINSTREAM_CACHE:-$HOME/.cache/finstream}
kustomize=$cache/bin/kustomize
[ -x "$kustomize" ] || { echo "FAIL: kustomize missing (scripts/tools/k8s-tools.sh)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
check="python3 $src/test/k8s/manifests.py check"

overlays=0
for dir in "$src"/k8s/overlays/*/; do
  name=$(basename "$dir")
  "$kustomize" build "$dir" > "$work/$name.yaml" || { echo "FAIL: kustomize build k8s/overlays/$name" >&2; exit 1; }
  $check "$work/$name.yaml" || { echo "FAIL: k8s/overlays/$name breaks a deployment rule" >&2; exit 1; }
  echo "ok: k8s/overlays/$name ($(grep -c '^kind:' "$work/$name.yaml") objects)"
  overlays=$((overlays + 1))
done
[ "$overlays" -ge 3 ] || { echo "FAIL: expected dev, all-in-one and external overlays" >&2; exit 1; }

# Each broken copy must fail the check (a check that cannot fail proves nothing).
expect_rejected() { # description sed-expression
  sed -e "$2" "$work/dev.yaml" > "$work/broken.yaml"
  cmp -s "$work/dev.yaml" "$work/broken.yaml" && { echo "FAIL: mutation '$1' changed nothing" >&2; exit 1; }
  if $check "$work/broken.yaml" > "$work/broken.out"; then
    echo "FAIL: broken manifest accepted: $1" >&2; exit 1
  fi
  echo "ok: rejected $1: $(head -n 1 "$work/broken.out")"
}
expect_rejected "maxReplicaCount above partitions/actors" 's/maxReplicaCount: 15/maxReplicaCount: 16/'
expect_rejected "a consumer group the pods do not use" 's/consumerGroup: finstream-processors/consumerGroup: processors/'
expect_rejected "lagThreshold not from finstream-topology" '0,/lagThreshold: "10"/s//lagThreshold: "11"/'
expect_rejected "offsetResetPolicy latest" '0,/offsetResetPolicy: earliest/s//offsetResetPolicy: latest/'
expect_rejected "a writable root filesystem" '0,/readOnlyRootFilesystem: true/s//readOnlyRootFilesystem: false/'
expect_rejected "readiness on /healthz" '0,/path: \/readyz/s//path: \/healthz/'
