#!/usr/bin/env bash
# ctest-timeout: 300
# Static group membership (--instance-id), measured on the real broker with two processor
# processes of one group:
#   1. a second process with an instance id already in use is refused at start with a clear error;
#   2. static: SIGKILL one member and start it again at once under the same id: the other member
#      sees no rebalance (its assigned/revoked counters do not move), the restarted one gets its
#      partitions back (time measured);
#   3. static: SIGKILL one member for good: its partitions reach the survivor only after the
#      session timeout (--session-timeout-ms 30000; time measured);
#   4. dynamic (no instance id, 10 s session): the same failover, for comparison (time measured).
# The figures are printed as "measure: ..." lines (docs/deployment.md quotes them).
set -euo pipefail
# shellcheck source=test/k8s/lib.bash
. "$FINSTREAM_SOURCE_DIR/test/k8s/lib.bash"
k8s_init k8s_static
k8s_create_db
declare -A port

# start NAME GROUP [run flags...]: one processor process of GROUP, metrics on its own port.
start() {
  local name=$1 group=$2
  shift 2
  [ -n "${port[$name]:-}" ] || port[$name]=$(free_port)
  "$bin" run --roles processor=1 --kafka "$FINSTREAM_TEST_KAFKA" --pg "$dsn" \
    --data-topic "${uniq}_bars" --task-topic "${uniq}_tasks" --processor-group "$group" \
    --client-id "$name" --metrics-port "${port[$name]}" --metrics-address 127.0.0.1 \
    --partitions 6 "$@" >> "$work/$name.log" 2>&1 &
  pid[$name]=$!
}
# counter NAME EVENT: finstream_kafka_rebalances_total{event=EVENT} of process NAME (0 if absent).
counter() {
  curl -s --max-time 5 "http://127.0.0.1:${port[$1]}/metrics" |
    sed -n "s/^finstream_kafka_rebalances_total{.*event=\"$2\".*} \([0-9.e+]*\)$/\1/p" |
    awk '{s += $1} END {print s + 0}'
}
wait_for() { # description seconds command...
  local what=$1 limit=$2 t0=$SECONDS
  shift 2
  until "$@"; do
    [ $((SECONDS - t0)) -lt "$limit" ] || fail "$what: not within $limit s"
    sleep 0.2
  done
}
assigned_more_than() { [ "$(counter "$1" assigned)" -gt "$2" ]; }
owns_partitions() { # NAME: has been assigned and not (fully) revoked since
  local m
  m=$(curl -s --max-time 5 "http://127.0.0.1:${port[$1]}/metrics" | grep -c '^finstream_kafka_consumer_lag{' || true)
  [ "$m" -gt 0 ]
}
kill9() { kill -9 "${pid[$1]}"; wait "${pid[$1]}" 2> /dev/null || true; unset "pid[$1]"; }

# --- static membership -------------------------------------------------------------------------
group=${uniq}_static
static=(--session-timeout-ms 30000)
start a "$group" --instance-id "${uniq}-a" "${static[@]}"
start b "$group" --instance-id "${uniq}-b" "${static[@]}"
wait_for "a and b assigned" 90 eval 'assigned_more_than a 0 && assigned_more_than b 0'
# Let the group settle (a cooperative rebalance takes two rounds).
sleep 5

# 1. The same id twice is refused, clearly, before joining the group.
code=0
"$bin" run --roles processor=1 --kafka "$FINSTREAM_TEST_KAFKA" --pg "$dsn" \
  --data-topic "${uniq}_bars" --task-topic "${uniq}_tasks" --processor-group "$group" \
  --instance-id "${uniq}-a" "${static[@]}" --metrics-port -1 > "$work/dup.log" 2>&1 || code=$?
[ "$code" -ne 0 ] || fail "a second process with instance id ${uniq}-a was not refused"
grep -q "instance id '${uniq}-a' is in use by another running finstream process" "$work/dup.log" ||
  fail "no clear error for the duplicate instance id: $(cat "$work/dup.log")"
echo "ok: a second process with the same instance id exits $code: $(grep -m1 'in use' "$work/dup.log" | cut -c1-120)"

# 2. Restart within the session timeout: no rebalance for the other member.
a_assigned=$(counter a assigned); a_revoked=$(counter a revoked)
t0=$(now)
kill9 b
start b "$group" --instance-id "${uniq}-b" "${static[@]}"
wait_for "b restarted and assigned" 60 assigned_more_than b 0
resume=$(elapsed "$t0")
sleep 8
if [ "$(counter a assigned)" != "$a_assigned" ] || [ "$(counter a revoked)" != "$a_revoked" ]; then
  fail "member a saw a rebalance when b restarted under its instance id (assigned $a_assigned -> $(counter a assigned), revoked $a_revoked -> $(counter a revoked))"
fi
echo "measure: static membership: SIGKILLed member restarted under its id had its partitions back in ${resume} s; the other member saw no rebalance"

# 3. A static member that does not come back: its partitions wait for the session timeout.
a_assigned=$(counter a assigned)
t0=$(now)
kill9 b
wait_for "a takes over b's partitions" 90 assigned_more_than a "$a_assigned"
failover_static=$(elapsed "$t0")
python3 -c "import sys; sys.exit(0 if $failover_static >= 25 else 1)" ||
  fail "static failover after ${failover_static} s: sooner than the 30 s session timeout allows"
echo "measure: static membership (session.timeout.ms=30000): SIGKILLed member's partitions moved after ${failover_static} s"
kill9 a

# --- dynamic membership, for comparison ---------------------------------------------------------
group=${uniq}_dynamic
start c "$group"
start d "$group"
wait_for "c and d assigned" 90 eval 'assigned_more_than c 0 && assigned_more_than d 0'
sleep 5
c_assigned=$(counter c assigned)
t0=$(now)
kill9 d
wait_for "c takes over d's partitions" 60 assigned_more_than c "$c_assigned"
failover_dynamic=$(elapsed "$t0")
echo "measure: dynamic membership (session.timeout.ms=10000): SIGKILLed member's partitions moved after ${failover_dynamic} s"
python3 -c "import sys; sys.exit(0 if $failover_dynamic < $failover_static else 1)" ||
  fail "dynamic failover (${failover_dynamic} s) not faster than static (${failover_static} s)"
kill -TERM "${pid[c]}"
wait "${pid[c]}" || fail "c did not stop cleanly on SIGTERM"
unset "pid[c]"
