#!/usr/bin/env bash
# Benchmarks TA-Lib's batch functions for the default set's 12 indicators (talib_bench.c, against
# TA-Lib built from the npm package `talib` with -O3, as finstream's Release build) and then
# `finstream bench indicators` on the same synthetic series and number of bars, in the same run.
# On a shared machine the two alternate for several rounds and the best of each is compared.
# usage: test/golden/bench_talib.sh [--bars N] [--runs R] [--rounds K] [--finstream PATH]
# (default binary: build/finstream; set FINSTREAM_BIN or --finstream for another build dir)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bars=2000000 runs=3 rounds=3 bin=${FINSTREAM_BIN:-$root/build/finstream}
while [[ $# -gt 0 ]]; do
  case $1 in
    --bars) bars=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --finstream) bin=$2; shift 2 ;;
    *) echo "usage: $0 [--bars N] [--runs R] [--rounds K] [--finstream PATH]" >&2; exit 2 ;;
  esac
done
[[ -x $bin ]] || { echo "bench_talib.sh: no finstream binary at $bin (build it, or pass --finstream)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$here/build_talib.sh"
build_talib "$work"
gcc -O3 -I"$work/package/src/lib/include" "$here/talib_bench.c" "$work/libta.a" -lm -o "$work/talib_bench"

for ((round = 1; round <= rounds; round++)); do
  echo "== round $round: TA-Lib batch functions (one core)"
  "$work/talib_bench" "$bars" "$runs" | tee -a "$work/talib.txt"
  echo "== round $round: finstream bench indicators (streaming, one bar at a time)"
  "$bin" bench indicators --bars "$bars" --runs "$runs" | tee -a "$work/finstream.txt"
done
t=$(sed -n 's/^talib_bars_per_s=//p' "$work/talib.txt" | sort -n | tail -1)
f=$(sed -n 's/^bars_per_s=//p' "$work/finstream.txt" | sort -n | tail -1)
echo "== summary (best of $rounds rounds, $bars bars)"
echo "talib_bars_per_s=$t"
echo "finstream_bars_per_s=$f"
awk -v f="$f" -v t="$t" 'BEGIN { printf "speedup=%.2f\n", f / t }'
