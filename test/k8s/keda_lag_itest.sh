#!/usr/bin/env bash
# ctest-timeout: 360
# KEDA sees the lag: KEDA's own Kafka scaler (kedacore/keda/v2 v2.17.2 pkg/scalers, driven by
# test/k8s/keda built by scripts/tools/keda-scaler.sh) with the trigger metadata of every
# ScaledObject of every overlay, against the real broker, while pods made from the dev overlay's
# manifests (test/k8s/manifests.py) work through a synthetic backfill:
#   1. the manager alone has published the tasks (ingest pod annotated finstream.io/roles=manager=1)
#      and nobody has committed yet: the agents' trigger reports lag above lagThreshold and wants
#      more than one replica (the first-backlog case, offsetResetPolicy earliest);
#   2. an agents-only pod (annotation agent=2) drained the tasks, no processor runs: the agents'
#      lag is zero, the processors' trigger reports lag above the threshold, wants > 1 replica;
#   3. a compute pod drained the bars: every trigger reports zero lag.
# Group and topic names are made unique to the test in the rendered copy (pods and triggers alike).
set -euo pipefail
# shellcheck source=test/k8s/lib.bash
. "$FINSTREAM_SOURCE_DIR/test/k8s/lib.bash"
k8s_init k8s_keda
key=$(cat "$src/test/k8s/keda/go.mod" "$src/test/k8s/keda/go.sum" "$src"/test/k8s/keda/*.go | sha256sum | cut -c1-16)
keda_lag=$cache/keda-lag/$key/keda-lag
[ -x "$keda_lag" ] || fail "$keda_lag missing (scripts/tools/keda-scaler.sh)"

# Every overlay, with the test's unique names for the groups and topics.
rename=(-e "s/finstream-agents/${uniq}_agents/g" -e "s/finstream-processors/${uniq}_processors/g"
        -e "s/stock_data_topic/${uniq}_bars/g" -e "s/stock_topic/${uniq}_tasks/g")
for dir in "$src"/k8s/overlays/*/; do
  "$kustomize" build "$dir" | sed "${rename[@]}" > "$work/$(basename "$dir").yaml"
done
k8s_create_db

symbols=$(for i in $(seq -w 1 60); do echo "KEDA$i"; done)
k8s_overrides 2015-01-02 2024-06-28 "$symbols"
start() { # POD ROLES(annotation)
  local name=$1
  k8s_pod_spec "$work/dev.yaml" "$name" "$(free_port)" --annotation "finstream.io/roles=$2"
  $manifests exec "$work/$name.json" "$bin" "$work/$name" >> "$work/$name.log" 2>&1 &
  pid[$name]=$!
}
stop() { kill -TERM "${pid[$1]}"; wait "${pid[$1]}" || fail "$1 did not stop cleanly"; unset "pid[$1]"; }

# measure STEP: KEDA's scaler on every overlay's ScaledObjects -> $work/STEP.jsonl
measure() {
  : > "$work/$1.jsonl"
  for f in "$work"/*.yaml; do
    grep -q 'kind: ScaledObject' "$f" || continue
    # KEDA polls; a transient broker answer (a leader moving right after topic creation) is
    # retried like its next poll would.
    local try=1
    until "$keda_lag" -manifests "$f" -bootstrap "$FINSTREAM_TEST_KAFKA" > "$work/$1.out" 2> "$work/$1.err"; do
      [ $try -lt 5 ] || fail "KEDA's scaler failed 5 times: $(cat "$work/$1.err")"
      try=$((try + 1))
      sleep 2
    done
    sed "s/^{/{\"overlay\":\"$(basename "$f" .yaml)\",/" "$work/$1.out" >> "$work/$1.jsonl"
  done
  sed 's/^/  /' "$work/$1.jsonl"
}
# expect STEP GROUP-SUFFIX above|zero: every trigger on that group in every overlay.
expect() {
  python3 - "$work/$1.jsonl" "${uniq}_$2" "$3" <<'PY' || fail "step $1: KEDA's view of $2 is not '$3'"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
rows = [r for r in rows if r["consumerGroup"] == sys.argv[2]]
assert rows, "no trigger on " + sys.argv[2]
for r in rows:
    if sys.argv[3] == "above":
        assert r["lag"] > r["lagThreshold"] and r["active"] and r["desiredReplicas"] > 1, r
    else:
        assert r["lag"] == 0 and r["desiredReplicas"] == max(r["minReplicaCount"], 1), r
PY
}

# 1. Tasks published, no agent has consumed or committed anything.
start finstream-ingest-0 manager=1
total=$(echo "$symbols" | wc -l)
t0=$SECONDS
until [ "$(sql "SELECT count(*) FROM symbol_state WHERE status = 'planned'" 2> /dev/null || echo 0)" -ge "$total" ]; do
  [ $((SECONDS - t0)) -lt 90 ] || fail "the manager did not plan $total symbols in 90 s: $(tail -n 5 "$work/finstream-ingest-0.log")"
  sleep 0.5
done
sleep 2
echo "step 1: $total tasks published, no agent yet"
measure 1
expect 1 agents above
expect 1 processors zero

# until_lag STEP GROUP-SUFFIX: measures until every trigger on that group reports zero lag (120 s).
until_zero() {
  local t0=$SECONDS
  while :; do
    measure "$1" > /dev/null
    python3 - "$work/$1.jsonl" "${uniq}_$2" <<'PY' && break
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if all(r["lag"] == 0 for r in rows if r["consumerGroup"] == sys.argv[2]) else 1)
PY
    [ $((SECONDS - t0)) -lt 120 ] || fail "$2 lag not drained in 120 s"
    for p in "${!pid[@]}"; do kill -0 "${pid[$p]}" 2> /dev/null || fail "$p exited: $(tail -n 5 "$work/$p.log")"; done
    sleep 2
  done
  sed 's/^/  /' "$work/$1.jsonl"
}

# 2. An agents-only ingest pod drains the tasks; no processor yet: the bars wait in the data topic.
start finstream-ingest-1 agent=2
until_zero 2 agents
echo "step 2: tasks drained by the agents, no processor yet"
expect 2 agents zero
expect 2 processors above

# 3. A compute pod (the StatefulSet's own weights) drains the bars.
start finstream-compute-0 ""
until_zero 3 processors
echo "step 3: bars drained by the processors"
expect 3 agents zero
expect 3 processors zero
[ "$(sql "SELECT count(*) FROM symbol_state WHERE status = 'done'")" -eq "$total" ] ||
  echo "note: $(sql "SELECT count(*) FROM symbol_state WHERE status = 'done'")/$total symbols done when the lag reached zero"
for p in finstream-compute-0 finstream-ingest-1 finstream-ingest-0; do stop "$p"; done
echo "ok: KEDA's Kafka scaler saw the backlogs of both groups above lagThreshold (wanting > 1 replica) and zero after the drain"
