#!/usr/bin/env bash
# ctest-timeout: 420
# Runs the manifests: renders k8s/overlays/dev, takes each finstream StatefulSet's container
# command, args and environment as the kubelet would resolve them (ConfigMaps, the PostgreSQL
# Secret read through --pg-file, downward-API pod name and annotation; test/k8s/manifests.py pod),
# and starts finstream-ingest-0 and finstream-compute-0/1 as processes against the test Kafka
# broker and PostgreSQL. Then: every pod's readiness probe answers 200; finstream-compute-1 carries
# the annotation finstream.io/roles=processor=3 and runs 3 processors (per-pod weights); during the
# backfill of a synthetic universe finstream-compute-1 is SIGKILLed and started again under the
# same name (static membership: same group.instance.id); at the end every row of
# technical_indicators equals what `finstream indicators` computes from the same bars.
# Test-only overrides (the "pods" share one host): the broker, the database, unique topic and
# group names, a metrics port per pod, the date range and the universe.
set -euo pipefail
# shellcheck source=test/k8s/lib.bash
. "$FINSTREAM_SOURCE_DIR/test/k8s/lib.bash"
k8s_init k8s_pods
declare -A port

"$kustomize" build "$src/k8s/overlays/dev" > "$work/dev.yaml"
k8s_create_db

from=2008-01-02
to=2024-06-28
symbols=$(for i in $(seq -w 1 24); do echo "K8S$i"; done)
k8s_overrides "$from" "$to" "$symbols"

# start POD: resolves the pod's spec (once per pod name, like a kubelet keeping its volumes) and
# starts its process.
start() {
  local name=$1
  shift
  if [ ! -f "$work/$name.json" ]; then
    port[$name]=$(free_port)
    k8s_pod_spec "$work/dev.yaml" "$name" "${port[$name]}" "$@"
  fi
  $manifests exec "$work/$name.json" "$bin" "$work/$name" >> "$work/$name.log" 2>&1 &
  pid[$name]=$!
}
http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:${port[$1]}$2" || true; }
wait_ready() { # POD
  local t0=$SECONDS
  until [ "$(http_code "$1" /readyz)" = 200 ]; do
    kill -0 "${pid[$1]}" 2> /dev/null || { cat "$work/$1.log" >&2; fail "$1 exited"; }
    [ $((SECONDS - t0)) -lt 90 ] || { tail -n 20 "$work/$1.log" >&2; fail "$1: /readyz not 200 after 90 s"; }
    sleep 0.5
  done
  [ "$(http_code "$1" /healthz)" = 200 ] || fail "$1: /healthz not 200"
}

# The spec the manifests give: pod identity, security settings the image must honour.
start finstream-compute-0
start finstream-compute-1 --annotation finstream.io/roles=processor=3
start finstream-ingest-0
python3 - "$work" <<'PY' || fail "pod specs differ from the manifests' intent"
import json, sys
w = sys.argv[1]
for name in ("finstream-ingest-0", "finstream-compute-0", "finstream-compute-1"):
    spec = json.load(open(f"{w}/{name}.json"))
    assert f"--client-id={name}" in spec["argv"], spec["argv"]
    assert spec["env"]["FINSTREAM_KAFKA_INSTANCE_ID"] == name, spec["env"]
    assert spec["readiness"] == "/readyz" and spec["liveness"] == "/healthz"
    assert spec["run_as_user"] and spec["run_as_user"] != 0 and spec["read_only_root"]
assert open(f"{w}/finstream-compute-1/etc/finstream/pod/roles").read() == "processor=3"
assert open(f"{w}/finstream-compute-0/etc/finstream/pod/roles").read() == ""
PY
t_start=$SECONDS
for p in finstream-ingest-0 finstream-compute-0 finstream-compute-1; do wait_ready "$p"; done
echo "ok: /readyz and /healthz 200 on every pod ($((SECONDS - t_start)) s after start)"
# Readiness answers as soon as PostgreSQL and Kafka do; the actors are up once "started" is logged.
for p in finstream-compute-0 finstream-compute-1; do
  t0=$SECONDS
  until grep -q 'event=started ' "$work/$p.log"; do
    [ $((SECONDS - t0)) -lt 60 ] || fail "$p: no started event after 60 s"
    sleep 0.2
  done
done
grep -q 'event=started .*processors=3' "$work/finstream-compute-1.log" ||
  fail "finstream-compute-1 does not run the 3 processors of its annotation: $(grep -m1 event=started "$work/finstream-compute-1.log")"
grep -q 'event=started .*processors=2' "$work/finstream-compute-0.log" ||
  fail "finstream-compute-0 does not run the StatefulSet's 2 processors: $(grep -m1 event=started "$work/finstream-compute-0.log")"
echo "ok: per-pod weights: finstream-compute-1 runs processor=3 from its annotation, compute-0 the StatefulSet's processor=2"

# SIGKILL a compute pod while bars are being processed, start it again under the same name.
t0=$SECONDS
until [ "$(sql "SELECT count(*) FROM technical_indicators" 2> /dev/null || echo 0)" -gt 0 ]; do
  [ $((SECONDS - t0)) -lt 120 ] || fail "no row stored after 120 s"
  sleep 0.2
done
rows_at_kill=$(sql "SELECT count(*) FROM technical_indicators")
kill -9 "${pid[finstream-compute-1]}"
wait "${pid[finstream-compute-1]}" 2> /dev/null || true
start finstream-compute-1
wait_ready finstream-compute-1
echo "ok: finstream-compute-1 SIGKILLed with $rows_at_kill rows stored, restarted under the same name, ready"

# Wait for the backfill to finish: every symbol done and the row count stable.
total=$(echo "$symbols" | wc -l)
t0=$SECONDS
last=-1
while :; do
  done_n=$(sql "SELECT count(*) FROM symbol_state WHERE status = 'done'")
  rows=$(sql "SELECT count(*) FROM technical_indicators")
  if [ "$done_n" -eq "$total" ] && [ "$rows" -eq "$last" ]; then break; fi
  last=$rows
  for p in "${!pid[@]}"; do kill -0 "${pid[$p]}" 2> /dev/null || fail "$p exited: $(tail -n 5 "$work/$p.log")"; done
  [ $((SECONDS - t0)) -lt 240 ] || fail "backfill not finished after 240 s ($done_n/$total symbols done, $rows rows)"
  sleep 2
done
echo "ok: backfill of $total symbols done: $rows rows ($((SECONDS - t_start)) s after start)"
[ "$rows_at_kill" -lt "$rows" ] || echo "note: the kill came after the last row was stored"

# Every row equals `finstream indicators` over the same bars.
mkdir -p "$work/expected"
for s in $symbols; do
  "$bin" fetch "$s" --from "$from" --to "$to" --source synthetic --output "$work/expected/$s.csv" 2> /dev/null
  "$bin" indicators --input "$work/expected/$s.csv" --output "$work/expected/$s.ind.csv" 2> /dev/null
done
# The table's columns in the order of the CSV's: a CSV column is the table's name plus the
# indicator's parameters (rsi_14 -> rsi, bb_upper_20_2 -> bb_upper).
cols=$(head -n 1 "$work/expected/$(echo "$symbols" | head -n 1).ind.csv" |
  python3 -c 'import re, sys; print(",".join(re.sub(r"(_[0-9]+)+$", "", c) for c in sys.stdin.read().strip().split(",")[1:]))')
psql -qAt "$dsn" -c "COPY (SELECT symbol, date::text, $cols FROM technical_indicators) TO STDOUT WITH (FORMAT csv)" > "$work/table.csv"
python3 - "$work" <<'PY' || fail "technical_indicators differs from finstream indicators"
import csv, glob, math, os, sys
w = sys.argv[1]
def num(x):
    return math.nan if x == "" else float(x)
def same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b
table = {}
for row in csv.reader(open(f"{w}/table.csv")):
    table[(row[0], row[1])] = [num(x) for x in row[2:]]
expected = 0
for path in sorted(glob.glob(f"{w}/expected/*.ind.csv")):
    symbol = os.path.basename(path)[:-len(".ind.csv")]
    rows = list(csv.reader(open(path)))
    for row in rows[1:]:
        expected += 1
        got = table.get((symbol, row[0]))
        if got is None:
            sys.exit(f"missing row {symbol} {row[0]}")
        want = [num(x) for x in row[1:]]
        for i, (g, e) in enumerate(zip(got, want)):
            if not same(g, e):
                sys.exit(f"{symbol} {row[0]} {rows[0][i + 1]}: table {g!r} vs indicators {e!r}")
if expected != len(table):
    sys.exit(f"table has {len(table)} rows, finstream indicators {expected}")
print(f"ok: all {expected} rows equal finstream indicators")
PY
for p in "${!pid[@]}"; do [ "$(http_code "$p" /readyz)" = 200 ] || fail "$p not ready at the end"; done
for p in "${!pid[@]}"; do kill -TERM "${pid[$p]}"; done
for p in "${!pid[@]}"; do
  code=0
  wait "${pid[$p]}" || code=$?
  [ "$code" = 0 ] || fail "$p exited $code after SIGTERM"
done
pid=()
echo "ok: every pod stopped cleanly on SIGTERM"
