#!/usr/bin/env bash
# Soak: `finstream run` replicas on an accelerated calendar (--simulated-clock: a simulated day lasts
# a few seconds, so the daily update runs again and again), sampled for resident memory, open file
# descriptors, PostgreSQL connections and Kafka consumer lag per replica; prints each one's slope.
#
#   scripts/soak.sh MINUTES [--replicas N] [--symbols N] [--day-seconds S] [--warmup SECONDS]
#                           [--interval SECONDS] [--check] [--out DIR]
#
# Services: the PostgreSQL server of FINSTREAM_TEST_PG (an admin DSN: a scratch database is created
# and dropped) and the broker at FINSTREAM_TEST_KAFKA (unique topics and groups per run), e.g. from
# test/services/{pg,kafka}.sh. FINSTREAM_BINARY defaults to build/finstream.
#
# Output: DIR/samples.csv (time_s,replica,rss_kib,fds,pg_connections,lag_processors,lag_agents) and
# a summary: per replica and series, the value at the end of the warm-up, the maximum after it and
# the least-squares slope per minute after it. With --check, exits 1 unless after the warm-up every
# replica keeps its file descriptors and PostgreSQL connections at or below their warm-up values,
# its RSS within max(20 %, 16 MiB) of it, the processors' lag drains (0 at some sample after the
# warm-up), and the daily run advanced the target at least once per 3 simulated days.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

minutes=${1:?usage: scripts/soak.sh MINUTES [options]}
shift
replicas=2 symbols=40 day_seconds=4 warmup=60 interval=5 check=0 out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --replicas) replicas=$2; shift 2 ;;
    --symbols) symbols=$2; shift 2 ;;
    --day-seconds) day_seconds=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --interval) interval=$2; shift 2 ;;
    --check) check=1; shift ;;
    --out) out=$2; shift 2 ;;
    *) echo "soak: unknown option $1" >&2; exit 2 ;;
  esac
done
bin=${FINSTREAM_BINARY:-$root/build/finstream}
admin=${FINSTREAM_TEST_PG:?FINSTREAM_TEST_PG (admin DSN) is not set}
kafka=${FINSTREAM_TEST_KAFKA:?FINSTREAM_TEST_KAFKA (bootstrap servers) is not set}
for tool in psql python3; do
  command -v "$tool" > /dev/null || { echo "soak: $tool is missing" >&2; exit 1; }
done
[ -x "$bin" ] || { echo "soak: $bin is not an executable (build first)" >&2; exit 1; }

if [ -z "$out" ]; then out=$(mktemp -d /tmp/finstream-soak.XXXXXX); fi
mkdir -p "$out"
tag="soak_$$_$(date +%s)"
db="$tag"
dsn="${admin%/*}/$db"
pg_port=$(python3 -c 'import sys, urllib.parse as u; print(u.urlparse(sys.argv[1]).port or 5432)' "$admin")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2> /dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2> /dev/null || true; done
  psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" > /dev/null 2>&1 || true
}
trap cleanup EXIT
psql "$admin" -qc "CREATE DATABASE $db" > /dev/null

universe=$(python3 -c "print(','.join('SK%03d' % i for i in range(int('$symbols'))))")
# Simulated 2020-01-01 begins now; a year of history is backfilled first (inside the warm-up).
clock="2020-01-01@$(date +%s)/$day_seconds"
common=(run --pg "$dsn" --kafka "$kafka" --symbols "$universe" --from 2019-01-01
  --simulated-clock "$clock" --manager-poll-ms 200 --metrics-port 0 --partitions 6
  --task-topic "${tag}_tasks" --data-topic "${tag}_data" --agent-group "${tag}_agents"
  --processor-group "${tag}_processors" --log-level info)
ports=()
for i in $(seq 0 $((replicas - 1))); do
  "$bin" "${common[@]}" --roles manager=1,agent=1,processor=1 --client-id "soak-$i" \
    > "$out/replica-$i.log" 2>&1 &
  pids+=($!)
done
for i in $(seq 0 $((replicas - 1))); do
  port=""
  for _ in $(seq 1 300); do
    port=$(grep -o 'event=started.*metrics_port=[0-9]*' "$out/replica-$i.log" 2> /dev/null |
      grep -o '[0-9]*$' | head -n 1 || true)
    [ -n "$port" ] && break
    kill -0 "${pids[$i]}" 2> /dev/null || { tail -n 20 "$out/replica-$i.log" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$port" ] || { echo "soak: replica $i did not start" >&2; exit 1; }
  ports+=("$port")
done
echo "soak: $replicas replicas, $symbols symbols, a simulated day every $day_seconds s, $minutes min" \
  "(warm-up $warmup s), logs and samples in $out" >&2

# One CSV line per replica: T,REPLICA,rss_kib,fds,pg_connections,lag_processors,lag_agents. PostgreSQL
# connections are the process's sockets (/proc/PID/fd) established to the server's port
# (/proc/net/tcp*); the lags are the sums of finstream_kafka_consumer_lag per group (/metrics).
sample() {
  python3 - "$@" << 'PY'
import os, re, sys, urllib.request
t, pg_port, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
replicas = [a.split(":") for a in sys.argv[4:]]  # index:pid:metrics_port
to_pg = set()  # inodes of established TCP sockets to the server
for table in ("/proc/net/tcp", "/proc/net/tcp6"):
    try:
        lines = open(table).read().splitlines()[1:]
    except OSError:
        continue
    for line in lines:
        f = line.split()
        if f[3] == "01" and int(f[2].rsplit(":", 1)[1], 16) == pg_port:
            to_pg.add(f[9])
for i, pid, port in replicas:
    rss = next(l.split()[1] for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS:"))
    fds = os.listdir(f"/proc/{pid}/fd")
    pg = 0
    for fd in fds:
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        m = re.fullmatch(r"socket:\[(\d+)\]", link)
        if m and m.group(1) in to_pg:
            pg += 1
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    lag = {}
    for line in text.splitlines():
        m = re.match(r'finstream_kafka_consumer_lag\{.*group="([^"]*)".*\} (\S+)$', line)
        if m:
            lag[m.group(1)] = lag.get(m.group(1), 0) + float(m.group(2))
    print(f"{t},{i},{rss},{len(fds)},{pg},{lag.get(tag + '_processors', 0):.0f},"
          f"{lag.get(tag + '_agents', 0):.0f}")
PY
}

echo "time_s,replica,rss_kib,fds,pg_connections,lag_processors,lag_agents" > "$out/samples.csv"
start=$SECONDS
end=$((start + minutes * 60))
while [ $SECONDS -lt $end ]; do
  targets=()
  for i in $(seq 0 $((replicas - 1))); do
    pid=${pids[$i]}
    if ! kill -0 "$pid" 2> /dev/null; then
      echo "soak: replica $i (pid $pid) died" >&2
      tail -n 30 "$out/replica-$i.log" >&2
      exit 1
    fi
    targets+=("$i:$pid:${ports[$i]}")
  done
  sample "$((SECONDS - start))" "$pg_port" "$tag" "${targets[@]}" >> "$out/samples.csv"
  sleep "$interval"
done
schedules=$(cat "$out"/replica-*.log | grep -c 'event=schedule' || true)
rows=$(psql "$dsn" -Atc "SELECT count(*) || ' rows through ' || coalesce(max(date)::text, '-') FROM technical_indicators")
echo "soak: daily runs (target moves) $schedules; table: $rows" >&2

python3 - "$out/samples.csv" "$warmup" "$check" "$schedules" "$minutes" "$day_seconds" << 'PY'
import csv, sys
path, warmup, check, schedules = sys.argv[1], float(sys.argv[2]), sys.argv[3] == "1", int(sys.argv[4])
minutes, day_seconds = float(sys.argv[5]), float(sys.argv[6])
series = ["rss_kib", "fds", "pg_connections", "lag_processors", "lag_agents"]
rows = list(csv.DictReader(open(path)))
failures = []
def slope(points):  # least squares, per minute
    n = len(points)
    if n < 2: return 0.0
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return 60.0 * sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else 0.0
print(f"{'replica':>7} {'series':>15} {'at warm-up':>11} {'max after':>10} {'slope/min':>10}")
for r in sorted({row["replica"] for row in rows}, key=int):
    mine = [row for row in rows if row["replica"] == r]
    before = [row for row in mine if float(row["time_s"]) <= warmup]
    after = [row for row in mine if float(row["time_s"]) > warmup]
    if not before or len(after) < 3:
        failures.append(f"replica {r}: too few samples around the warm-up"); continue
    for s in series:
        base = float(before[-1][s])
        top = max(float(row[s]) for row in after)
        k = slope([(float(row["time_s"]), float(row[s])) for row in after])
        print(f"{r:>7} {s:>15} {base:>11.0f} {top:>10.0f} {k:>10.2f}")
        if not check: continue
        if s in ("fds", "pg_connections") and top > base:
            failures.append(f"replica {r}: {s} rose from {base:.0f} to {top:.0f} after the warm-up")
        if s == "rss_kib" and top > base + max(0.2 * base, 16 * 1024):
            failures.append(f"replica {r}: RSS rose from {base:.0f} to {top:.0f} KiB (margin max(20 %, 16 MiB))")
    if check and not any(float(row["lag_processors"]) == 0 for row in after):
        failures.append(f"replica {r}: the processors' lag never drained after the warm-up")
sim_days = minutes * 60 / day_seconds
if check and schedules < sim_days / 3:
    failures.append(f"only {schedules} daily runs in {sim_days:.0f} simulated days")
for f in failures: print("soak: FAIL " + f, file=sys.stderr)
sys.exit(1 if failures else 0)
PY
