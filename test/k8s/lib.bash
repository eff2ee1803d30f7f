# Sourced by test/k8s/*_itest.sh: the test's scratch directory, names and database unique to it,
# cleanup of the processes it started, and the overrides that point pods rendered from k8s/ at the
# test's Kafka broker and PostgreSQL (test/k8s/manifests.py pod --data/--env).
#   k8s_init PREFIX   sets src bin cache kustomize manifests work uniq dsn; pid (assoc. array of
#                     the test's processes, killed at exit); the database is made by k8s_create_db
#                     and dropped at exit; the scratch directory is kept when the test failed.

fail() { echo "FAIL: $*" >&2; keep=1; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sql() { psql -qtA "$dsn" -c "$1"; }
now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$(now) - $1:.1f}')"; }

k8s_init() {
  src=${FINSTREAM_SOURCE_DIR:?}
  # shellcheck disable=SC2034 # used by the sourcing tests
  bin=${FINSTREAM_BINARY:?}
  : "${FINSTREAM_TEST_PG:?}" "${FINSTREAM_TEST_KAFKA:?}"
  cache=${FINSTREAM_CACHE:-$HOME/.cache/finstream}
  kustomize=$cache/bin/kustomize
  [ -x "$kustomize" ] || fail "kustomize missing (scripts/tools/k8s-tools.sh)"
  manifests="python3 $src/test/k8s/manifests.py"
  work=$(mktemp -d)
  chmod 755 "$work"
  uniq=${1}_$$_$RANDOM
  dsn="${FINSTREAM_TEST_PG%/*}/$uniq"
  declare -gA pid=()
  k8s_db=0
  trap k8s_cleanup EXIT
}

k8s_cleanup() {
  for p in "${pid[@]}"; do kill -9 "$p" 2> /dev/null || true; done
  for p in "${pid[@]}"; do wait "$p" 2> /dev/null || true; done
  if declare -F k8s_cleanup_more > /dev/null; then k8s_cleanup_more; fi
  [ "$k8s_db" = 0 ] || psql -q "$FINSTREAM_TEST_PG" -c "DROP DATABASE IF EXISTS $uniq WITH (FORCE)" > /dev/null 2>&1 || true
  if [ "${keep:-0}" = 1 ]; then echo "logs kept in $work" >&2; else rm -rf "$work"; fi
}

k8s_create_db() {
  psql -q "$FINSTREAM_TEST_PG" -c "CREATE DATABASE $uniq" > /dev/null
  k8s_db=1
}

# k8s_overrides FROM TO SYMBOLS: sets the array `overrides` (manifests.py pod options): the test's
# database in the Secret, its broker, topics and groups unique to the test, the range and universe.
k8s_overrides() {
  overrides=(
    --data "Secret/finstream-pg:dsn=$dsn"
    --data "ConfigMap/finstream-env:FINSTREAM_KAFKA_BOOTSTRAP=$FINSTREAM_TEST_KAFKA"
    --data "ConfigMap/finstream-env:FINSTREAM_KAFKA_TASK_TOPIC=${uniq}_tasks"
    --data "ConfigMap/finstream-env:FINSTREAM_KAFKA_DATA_TOPIC=${uniq}_bars"
    --data "ConfigMap/finstream-env:FINSTREAM_KAFKA_AGENT_GROUP=${uniq}_agents"
    --data "ConfigMap/finstream-env:FINSTREAM_KAFKA_PROCESSOR_GROUP=${uniq}_processors"
    --data "ConfigMap/finstream-env:FINSTREAM_RANGE_FROM=$1"
    --data "ConfigMap/finstream-env:FINSTREAM_RANGE_TO=$2"
    --data "ConfigMap/finstream-universe:symbols.txt=$3"
    --env FINSTREAM_METRICS_ADDRESS=127.0.0.1
  )
}

# k8s_pod_spec RENDERED POD PORT [manifests.py options]: writes $work/POD.json and the pod's files.
k8s_pod_spec() {
  local rendered=$1 name=$2 port=$3
  shift 3
  $manifests pod "$rendered" "${name%-*}" "${name##*-}" "$work/$name" "${overrides[@]}" \
    --env "FINSTREAM_METRICS_PORT=$port" "$@" > "$work/$name.json"
}
