#!/usr/bin/env bash
# ctest-timeout: 300
# The chart page in a real browser (Debian's headless Chromium) after a local backfill: drawn series
# and the page's JSON equal the database, an unknown symbol is a clear 404 page, a query stuck on a
# locked table is cancelled by the page's statement timeout while /healthz (the operations
# listener) and the page's other requests keep answering at once. Screenshots are kept in
# $FINSTREAM_BUILD_DIR/test-artifacts/ui/.
set -euo pipefail
: "${FINSTREAM_BINARY:?}" "${FINSTREAM_SOURCE_DIR:?}" "${FINSTREAM_BUILD_DIR:?}"
: "${FINSTREAM_TEST_PG:?FINSTREAM_TEST_PG is not set: run through scripts/test.sh}"
command -v chromium >/dev/null || { echo "chart: chromium is missing (scripts/tools/chromium.sh)" >&2; exit 1; }
command -v psql >/dev/null || { echo "chart: psql is missing" >&2; exit 1; }

work=$(mktemp -d /tmp/finstream-ui-test.XXXXXX)
artifacts="$FINSTREAM_BUILD_DIR/test-artifacts/ui"
mkdir -p "$artifacts"
db="ui_chart_$$"
admin="$FINSTREAM_TEST_PG"
dsn="${admin%/*}/$db"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  if [ "${keep:-0}" = 0 ]; then rm -rf "$work"; else echo "chart: scratch kept in $work" >&2; fi
}
trap cleanup EXIT
keep=1
psql "$admin" -qc "CREATE DATABASE $db" >/dev/null

# A local backfill, then the same process keeps serving: the chart page on a free port, the
# operations endpoint on another.
symbols=UIA,UIB
"$FINSTREAM_BINARY" local --pg "$dsn" --symbols "$symbols" --from 2018-01-01 --to 2020-12-31 \
  --metrics-port 0 --ui-port 0 --ui-statement-timeout-ms 2000 > "$work/local.out" 2> "$work/local.err" &
pids+=($!)
for _ in $(seq 1 900); do
  grep -q "chart page; serving" "$work/local.out" 2>/dev/null && break
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$work/local.err" >&2; echo "chart: finstream local exited" >&2; exit 1; }
  sleep 0.2
done
grep -q "chart page; serving" "$work/local.out" || { cat "$work/local.err" >&2; echo "chart: no chart URL after the backfill" >&2; exit 1; }
url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/' "$work/local.out" | head -n 1)
metrics_port=$(grep 'role=http event=listening' "$work/local.err" | grep -o 'port=[0-9]*' | head -n 1 | cut -d= -f2)
[ -n "$url" ] && [ -n "$metrics_port" ] || { cat "$work/local.out" "$work/local.err" >&2; exit 1; }
echo "chart: page at $url, operations endpoint on port $metrics_port" >&2

browser() { # browser OUTPUT_FLAG URL
  timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/profile-$RANDOM" --hide-scrollbars --window-size=1440,1500 \
    --virtual-time-budget=5000 "$@" 2> "$work/chromium.log"
}

# 1. The whole stored range of UIA, drawn, against the database (every column the page shows).
browser --dump-dom "${url}chart/UIA?range=all" > "$work/all.html"
cols="date, open, high, low, close, volume::float8 AS volume, sma, ema, bb_upper, bb_middle, bb_lower, rsi, macd, macd_signal, macd_hist"
psql "$dsn" -qAc "COPY (SELECT $cols FROM technical_indicators WHERE symbol = 'UIA' ORDER BY date) TO STDOUT CSV HEADER" > "$work/all.csv"
python3 "$FINSTREAM_SOURCE_DIR/test/ui/check_chart.py" "$work/all.html" "$work/all.csv" \
  close sma ema bb_upper bb_middle bb_lower rsi macd macd_signal

# 2. A preset range with stored indicators added (ATR and OBV get panels of their own).
browser --dump-dom "${url}chart/UIB?range=2y&add=atr&add=obv&add=cci" > "$work/uib.html"
first=$(python3 -c 'import json,re,sys; d=json.loads(re.search(r"id=\"chart-data\">(.*?)</script>", open(sys.argv[1]).read(), re.S).group(1)); print(d["dates"][0])' "$work/uib.html")
psql "$dsn" -qAc "COPY (SELECT $cols, atr, obv, cci FROM technical_indicators WHERE symbol = 'UIB' AND date >= '$first' ORDER BY date) TO STDOUT CSV HEADER" > "$work/uib.csv"
python3 "$FINSTREAM_SOURCE_DIR/test/ui/check_chart.py" "$work/uib.html" "$work/uib.csv" \
  close sma ema rsi macd macd_signal atr obv cci
# 2y = the 731 days up to the last stored date.
want_first=$(psql "$dsn" -qAtc "SELECT min(date) FROM technical_indicators WHERE symbol = 'UIB' AND date >= (SELECT max(date) FROM technical_indicators WHERE symbol = 'UIB') - 731")
[ "$first" = "$want_first" ] || { echo "chart: 2y range starts $first, want $want_first" >&2; exit 1; }

# 3. Screenshots kept as artifacts: the list, a 1-year chart with candles' range and extras.
browser --screenshot="$artifacts/chart.png" "${url}chart/UIA?range=1y&add=atr"
browser --screenshot="$artifacts/chart-3m.png" "${url}chart/UIB?range=3m"
browser --screenshot="$artifacts/index.png" "${url}"
for png in chart chart-3m index; do
  size=$(stat -c %s "$artifacts/$png.png" 2>/dev/null || echo 0)
  [ "$size" -gt 20000 ] || { echo "chart: screenshot $png.png missing or blank ($size bytes)" >&2; exit 1; }
done
browser --dump-dom "$url" > "$work/index.html"
for s in UIA UIB; do
  grep -q "href=\"/chart/$s\"" "$work/index.html" || { echo "chart: $s missing from the list" >&2; exit 1; }
done
last=$(psql "$dsn" -qAtc "SELECT max(date) FROM technical_indicators WHERE symbol = 'UIA'")
grep -q "<td>$last</td>" "$work/index.html" || { echo "chart: the list lacks UIA's last date $last" >&2; exit 1; }

# A custom range: exactly the stored bars between the two dates.
python3 - "$url" "$(psql "$dsn" -qAtc "SELECT string_agg(date::text, ',' ORDER BY date) FROM technical_indicators WHERE symbol = 'UIA' AND date BETWEEN '2019-03-01' AND '2019-06-30'")" <<'PY'
import json, re, sys, urllib.request
body = urllib.request.urlopen(sys.argv[1] + "chart/UIA?from=2019-03-01&to=2019-06-30", timeout=20).read().decode()
data = json.loads(re.search(r'id="chart-data">(.*?)</script>', body, re.S).group(1))
if data["dates"] != sys.argv[2].split(","):
    sys.exit("chart: custom range gave %d bars %s..%s" % (len(data["dates"]), data["dates"][:1], data["dates"][-1:]))
PY

# 4. An unknown symbol: a 404 page that says so; an invalid one: 400.
python3 - "$url" <<'PY'
import sys, urllib.request, urllib.error
url = sys.argv[1]
for path, code, text in (("chart/NOPE", 404, "Unknown symbol NOPE"), ("chart/a;b", 400, "Not a valid symbol"),
                         ("chart/UIA?add=nosuch", 400, "No stored indicator column")):
    try:
        urllib.request.urlopen(url + path, timeout=10)
        sys.exit("chart: %s answered 200, want %d" % (path, code))
    except urllib.error.HTTPError as e:
        body = e.read().decode()
        if e.code != code or text not in body or "<html" not in body:
            sys.exit("chart: %s answered %d (want %d with %r)" % (path, e.code, code, text))
# Read-only: other methods are refused.
try:
    urllib.request.urlopen(urllib.request.Request(url + "chart/UIA", data=b"x", method="POST"), timeout=10)
    sys.exit("chart: POST answered 200")
except urllib.error.HTTPError as e:
    if e.code != 405:
        sys.exit("chart: POST answered %d, want 405" % e.code)
PY
browser --dump-dom "${url}chart/NOPE" > "$work/404.html"
grep -q "Unknown symbol NOPE" "$work/404.html" || { echo "chart: no 404 page in the browser" >&2; exit 1; }

# 5. A slow query: another session holds an exclusive lock on the table; the chart's query waits
#    until the page's statement timeout (2 s) cancels it (503), while /healthz and the page's
#    other requests answer at once.
psql "$dsn" -qc "BEGIN; LOCK TABLE technical_indicators IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(5); COMMIT;" > /dev/null &
pids+=($!)
for _ in $(seq 1 100); do
  n=$(psql "$dsn" -qAtc "SELECT count(*) FROM pg_locks WHERE locktype = 'relation' AND mode = 'AccessExclusiveLock' AND granted AND relation = 'technical_indicators'::regclass" 2>/dev/null || echo 0)
  [ "$n" = 1 ] && break
  sleep 0.1
done
[ "$n" = 1 ] || { echo "chart: the lock was not taken" >&2; exit 1; }
python3 - "$url" "$metrics_port" <<'PY'
import sys, threading, time, urllib.request, urllib.error
url, port = sys.argv[1], sys.argv[2]
results = [{}, {}]
def slow(result, path):
    t = time.monotonic()
    try:
        urllib.request.urlopen(url + path, timeout=30)
        result["code"] = 200
    except urllib.error.HTTPError as e:
        result["code"], result["body"] = e.code, e.read().decode()
    result["seconds"] = time.monotonic() - t
# Two charts at once: each waits for the lock on its own worker and connection.
threads = [threading.Thread(target=slow, args=(results[0], "chart/UIA?range=all")),
           threading.Thread(target=slow, args=(results[1], "chart/UIB?range=1y"))]
for th in threads:
    th.start()
time.sleep(0.3)
probes = []
while any(th.is_alive() for th in threads):
    for target in ("http://127.0.0.1:%s/healthz" % port, url + "favicon.ico"):
        t = time.monotonic()
        code = urllib.request.urlopen(target, timeout=5).status
        probes.append((target, code, time.monotonic() - t))
    time.sleep(0.1)
for th in threads:
    th.join()
worst = max(p[2] for p in probes)
print("chart: two slow chart requests %s after %s s; %d probes meanwhile, slowest %.3f s"
      % ([r["code"] for r in results], ["%.2f" % r["seconds"] for r in results], len(probes), worst))
for result in results:
    if result["code"] != 503 or "did not finish within 2000 ms" not in result.get("body", ""):
        sys.exit("chart: the locked query answered %s, want 503 (statement timeout)" % result["code"])
    if result["seconds"] < 1.8:
        sys.exit("chart: the chart did not wait for the lock (%.2f s)" % result["seconds"])
# One after the other would take 4 s or more.
if max(r["seconds"] for r in results) > 3.6:
    sys.exit("chart: the two charts were not served concurrently: %s" % results)
if len(probes) < 6 or any(p[1] not in (200, 204) for p in probes) or worst > 1.0:
    sys.exit("chart: /healthz or the page's other requests were delayed: %s" % probes)
PY
wait "${pids[1]}"
# Once the lock is gone, the chart answers again.
python3 -c 'import sys,urllib.request; sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=20).status == 200 else 1)' "${url}chart/UIA"
kill "${pids[0]}"; wait "${pids[0]}" || true
pids=()
keep=0
echo "chart: ok (screenshots in $artifacts)" >&2
