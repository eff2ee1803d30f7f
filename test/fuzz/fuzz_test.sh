#!/usr/bin/env bash
# Every libFuzzer target of scripts/fuzz.sh runs briefly (FINSTREAM_FUZZ_SECONDS each, default 12)
# under ASan+UBSan after replaying its regression inputs, without a finding; a failing target
# makes fuzz.sh exit non-zero. The first run builds build-fuzz/ (clang; a few minutes).
# ctest-timeout: 1500
set -euo pipefail
root=${FINSTREAM_SOURCE_DIR:?}
seconds=${FINSTREAM_FUZZ_SECONDS:-12}
fuzz="$root/scripts/fuzz.sh"

# --list names exactly the targets in test/fuzz.
listed=$("$fuzz" --list | sort)
expected=$(cd "$root/test/fuzz" && ls -- *_fuzz.cpp | sed 's/_fuzz\.cpp$//' | sort)
if [ "$listed" != "$expected" ] || [ -z "$listed" ]; then
  echo "fuzz.sh --list: '$listed', expected '$expected'" >&2
  exit 1
fi
# Every parser of outside input has its target.
for t in yahoo_chart bar_csv fetch_task bar_batch config options dsn universe indicator_spec; do
  grep -qx "$t" <<< "$listed" || { echo "no fuzz target $t" >&2; exit 1; }
done

status=0
for t in $listed; do
  out=$("$fuzz" "$t" "$seconds" 2> "${TMPDIR:-/tmp}/fuzz-test-$t.err") || {
    cat "${TMPDIR:-/tmp}/fuzz-test-$t.err" >&2
    echo "FAIL: fuzz target $t" >&2
    status=1
    continue
  }
  echo "$out"
  execs=$(sed -n 's/.*: \([0-9]*\) executions.*/\1/p' <<< "$out")
  if [ -z "$execs" ] || [ "$execs" -lt 100 ]; then
    echo "FAIL: fuzz target $t ran ${execs:-no} inputs" >&2
    status=1
  fi
  rm -f "${TMPDIR:-/tmp}/fuzz-test-$t.err"
done

# A finding is an error exit: an RSS limit no target can meet makes libFuzzer stop with one.
if FINSTREAM_FUZZ_ARGS="-rss_limit_mb=1" "$fuzz" universe 5 > /dev/null 2>&1; then
  echo "FAIL: fuzz.sh exited 0 although libFuzzer reported out-of-memory" >&2
  status=1
fi
rm -f "${FINSTREAM_FUZZ_BUILD_DIR:-$root/build-fuzz}"/artifacts/universe/oom-*
exit $status
