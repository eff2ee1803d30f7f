#!/usr/bin/env bash
# ctest-timeout: 400
# Validates every overlay under k8s/overlays on a real kube-apiserver (v1.37.2 with etcd from
# Debian, both from scripts/tools/kube-apiserver.sh), through its REST API (test/k8s/apply.py does
# what `kubectl apply --server-side` does): installs the CRDs of the operators the
# manifests use (KEDA v2.17.2; prometheus-operator v0.85.0 for the monitoring component), creates
# each overlay's namespaces, then runs a server-side apply with dryRun=All and strict field
# validation of every rendered object. Broken copies (a string where a number goes, an unknown
# field, a bad enum value) must be refused. No controllers or kubelet run: nothing is scheduled.
set -euo pipefail
src=${FINSTREAM_SOURCE_DIR:?}
cache=${FINSTREAM_CACHE:-$HOME/.cache/finstream}
bin=$cache/k8s/v1.37.2/bin
kustomize=$cache/bin/kustomize
for tool in "$bin/kube-apiserver" "$kustomize" "$(command -v etcd || echo etcd)"; do
  [ -x "$tool" ] || { echo "FAIL: $tool missing (scripts/tools/kube-apiserver.sh, k8s-tools.sh)" >&2; exit 1; }
done
crds=("$cache/crds/keda-v2.17.2" "$cache/crds/prometheus-operator-v0.85.0")
for d in "${crds[@]}"; do
  [ -f "$d/.complete" ] || { echo "FAIL: CRDs missing in $d (scripts/tools/k8s-tools.sh)" >&2; exit 1; }
done

work=$(mktemp -d)
pids=()
cleanup() {
  # Scratch servers: no graceful shutdown to wait for (kube-apiserver's takes minutes).
  for p in "${pids[@]}"; do kill -9 "$p" 2> /dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2> /dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
etcd_port=$(free_port); peer_port=$(free_port); api_port=$(free_port)

etcd --name finstream-test --data-dir "$work/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
  --initial-cluster "finstream-test=http://127.0.0.1:$peer_port" > "$work/etcd.log" 2>&1 &
pids+=($!)

openssl genrsa -out "$work/sa.key" 2048 2> /dev/null
token=$(openssl rand -hex 16)
echo "$token,admin,admin,system:masters" > "$work/tokens.csv"
"$bin/kube-apiserver" --etcd-servers="http://127.0.0.1:$etcd_port" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$api_port" \
  --cert-dir="$work/certs" --service-account-issuer=https://kubernetes.default.svc \
  --service-account-key-file="$work/sa.key" --service-account-signing-key-file="$work/sa.key" \
  --token-auth-file="$work/tokens.csv" --authorization-mode=RBAC \
  --service-cluster-ip-range=10.96.0.0/16 --endpoint-reconciler-type=none > "$work/apiserver.log" 2>&1 &
pids+=($!)
server=https://127.0.0.1:$api_port
apply() { python3 "$src/test/k8s/apply.py" "$server" "$token" "$@"; }
get() { curl -sk --max-time 5 -H "Authorization: Bearer $token" "$server$1"; }

t0=$SECONDS
until [ "$(get /readyz)" = ok ]; do
  if [ $((SECONDS - t0)) -gt 120 ] || ! kill -0 "${pids[1]}" 2> /dev/null; then
    echo "FAIL: kube-apiserver not ready" >&2; tail -n 30 "$work/apiserver.log" "$work/etcd.log" >&2; exit 1
  fi
  sleep 1
done
echo "ok: kube-apiserver $(get /version | python3 -c 'import json,sys; print(json.load(sys.stdin)["gitVersion"])') ready in $((SECONDS - t0)) s"

apply "${crds[@]}" --wait-crds > "$work/crds.out" || { cat "$work/crds.out" >&2; echo "FAIL: CRDs not installed" >&2; exit 1; }
echo "ok: $(grep -c ': applied' "$work/crds.out") CRDs established (KEDA, prometheus-operator) ($SECONDS s)"

dry_run() { apply "$1" --dry-run; }
overlays=0
for dir in "$src"/k8s/overlays/*/; do
  name=$(basename "$dir")
  "$kustomize" build "$dir" > "$work/$name.yaml"
  # Namespaces are created for real (a dry-run object cannot be the namespace of the others).
  python3 - "$work/$name.yaml" > "$work/$name.ns.yaml" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
names = {d["metadata"]["name"] for d in docs if d["kind"] == "Namespace"}
names |= {d["metadata"]["namespace"] for d in docs if d["metadata"].get("namespace")}
print(yaml.safe_dump_all([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}} for n in sorted(names)]))
PY
  apply "$work/$name.ns.yaml" > /dev/null
  if ! dry_run "$work/$name.yaml" > "$work/$name.out" 2>&1; then
    echo "FAIL: k8s/overlays/$name refused by the API server:" >&2; cat "$work/$name.out" >&2; exit 1
  fi
  objects=$(grep -c '^kind:' "$work/$name.yaml")
  accepted=$(grep -c ': applied (dry run)$' "$work/$name.out" || true)
  [ "$accepted" -eq "$objects" ] || { echo "FAIL: $name: $accepted of $objects objects applied" >&2; cat "$work/$name.out" >&2; exit 1; }
  echo "ok: k8s/overlays/$name: $objects objects pass server-side apply dryRun=All ($SECONDS s)"
  overlays=$((overlays + 1))
done
[ "$overlays" -ge 3 ] || { echo "FAIL: expected at least 3 overlays" >&2; exit 1; }

# Broken manifests must be refused by the server (schema of core objects and of KEDA's CRD).
# expect_refused DESCRIPTION KIND PYTHON: PYTHON edits `o` (each object of KIND in the dev overlay;
# the first one it changes is kept broken, the rest is sent unchanged).
expect_refused() {
  python3 - "$work/dev.yaml" "$2" "$3" > "$work/broken.yaml" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
for o in docs:
    if o["kind"] == sys.argv[2]:
        exec(sys.argv[3])
        break
else:
    sys.exit("no " + sys.argv[2])
print(yaml.safe_dump_all(docs))
PY
  if dry_run "$work/broken.yaml" > "$work/broken.out" 2>&1; then
    echo "FAIL: API server accepted $1" >&2; exit 1
  fi
  grep -q "^$2/.*: refused (" "$work/broken.out" || { echo "FAIL: $1: not refused by the server:" >&2; cat "$work/broken.out" >&2; exit 1; }
  echo "ok: refused $1: $(grep -m1 "^$2/.*: refused (" "$work/broken.out" | cut -c1-220)"
}
expect_refused "a string for ScaledObject maxReplicaCount" ScaledObject 'o["spec"]["maxReplicaCount"] = "fifteen"'
expect_refused "an unknown field in a container" StatefulSet 'o["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRootFS"] = True'
expect_refused "a string for containerPort" StatefulSet 'o["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "metrics-port"'
expect_refused "an unknown field in a KEDA trigger" ScaledObject 'o["spec"]["triggers"][-1]["lagThreshold"] = "5"'
expect_refused "a negative PodDisruptionBudget maxUnavailable" PodDisruptionBudget 'o["spec"]["maxUnavailable"] = -1'
echo "apiserver test: $SECONDS s"
