#!/usr/bin/env bash
# The whole test suite on a fresh machine: install dependencies, build, start a private PostgreSQL
# and a real Kafka broker, run every ctest test (unit + integration), stop the services.
# Exit status is non-zero when anything fails.
#   scripts/test.sh [--sanitize] [-L unit|integration] [other ctest arguments...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sanitize=()
ctest_args=()
for arg in "$@"; do
  case "$arg" in
    --sanitize) sanitize=(--sanitize) ;;
    *) ctest_args+=("$arg") ;;
  esac
done

t_start=$SECONDS
"$root/scripts/install-deps.sh"
build_dir=$("$root/scripts/build.sh" "${sanitize[@]}" | tail -n 1)
# Tools the non-C++ tests need (kustomize, a kube-apiserver, promtool, linters…): one idempotent
# script each under scripts/tools/, cached under ~/.cache/finstream so a second run costs seconds.
for tool in "$root"/scripts/tools/*.sh; do
  [ -e "$tool" ] || continue
  t_tool=$SECONDS
  bash "$tool" >&2
  echo "test.sh: tool $(basename "$tool" .sh) ready in $((SECONDS - t_tool)) s" >&2
done
echo "test.sh: build done in $((SECONDS - t_start)) s" >&2

services="$build_dir/services"
mkdir -p "$services"
stop_services() {
  "$root/test/services/kafka.sh" stop "$services" || true
  "$root/test/services/pg.sh" stop "$services" || true
}
trap stop_services EXIT
"$root/test/services/pg.sh" start "$services" > /dev/null
"$root/test/services/kafka.sh" start "$services" > /dev/null
set -a
# shellcheck disable=SC1091
. "$services/pg.env"
. "$services/kafka.env"
set +a
export FINSTREAM_TEST_SERVICES_DIR="$services"

if [ ${#sanitize[@]} -gt 0 ]; then
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
t_tests=$SECONDS
status=0
(cd "$build_dir" && ctest --output-on-failure -j "${FINSTREAM_TEST_JOBS:-2}" "${ctest_args[@]}") || status=$?
echo "test.sh: tests done in $((SECONDS - t_tests)) s (total $((SECONDS - t_start)) s), status $status" >&2
if [ $status -ne 0 ]; then
  echo "test.sh: service logs kept in $services (pg/server.log, kafka/broker.log)" >&2
fi
exit $status
