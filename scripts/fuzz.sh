#!/usr/bin/env bash
# libFuzzer targets of the parsers of outside input (test/fuzz/<target>_fuzz.cpp), built with clang,
# AddressSanitizer and UndefinedBehaviorSanitizer into build-fuzz/ (cached: a rerun only rebuilds
# what changed).
#   scripts/fuzz.sh --list              one target a line
#   scripts/fuzz.sh TARGET SECONDS      build TARGET, replay its regression inputs
#                                       (test/fuzz/regressions/TARGET/), then fuzz for SECONDS
# The corpus grows in build-fuzz/corpus/TARGET (seeded from the `// fuzz-seeds:` globs of the
# target's source); a crash, leak, timeout (-timeout, default 10 s per input) or out-of-memory exits
# non-zero and leaves the input in build-fuzz/artifacts/TARGET/. The last line printed is a summary:
# executions, coverage (edges), features, corpus size.
# Environment: FINSTREAM_JOBS (build jobs), FINSTREAM_FUZZ_BUILD_DIR (default <root>/build-fuzz),
# FINSTREAM_FUZZ_ARGS (extra libFuzzer flags, e.g. -jobs=2 -workers=2).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${FINSTREAM_FUZZ_BUILD_DIR:-$root/build-fuzz}

targets() {
  for f in "$root"/test/fuzz/*_fuzz.cpp; do
    basename "$f" _fuzz.cpp
  done
}

if [ "${1:-}" = "--list" ]; then
  targets
  exit 0
fi
if [ $# -ne 2 ] || ! [[ "$2" =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/fuzz.sh --list | scripts/fuzz.sh TARGET SECONDS" >&2
  exit 2
fi
target=$1
seconds=$2
src="$root/test/fuzz/${target}_fuzz.cpp"
if [ ! -f "$src" ]; then
  echo "fuzz.sh: unknown target '$target' (scripts/fuzz.sh --list)" >&2
  exit 2
fi

# clang with libFuzzer: Debian's clang-14 + libclang-rt-14-dev (scripts/tools/clang.sh installs them).
cxx=$(command -v clang++-14 || command -v clang++ || true)
cc=$(command -v clang-14 || command -v clang || true)
if [ -z "$cxx" ] || [ -z "$cc" ]; then
  echo "fuzz.sh: clang not found (run scripts/tools/clang.sh)" >&2
  exit 1
fi

if [ ! -f "$dir/build.ninja" ]; then
  cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
    -DFINSTREAM_TESTS=OFF -DFINSTREAM_FUZZ=ON > /dev/null
fi
ninja -C "$dir" -j "${FINSTREAM_JOBS:-$(nproc)}" "${target}_fuzz" >&2
bin="$dir/${target}_fuzz"

# Seeds: the files the target's `// fuzz-seeds:` line names (globs relative to the source root).
corpus="$dir/corpus/$target"
artifacts="$dir/artifacts/$target"
mkdir -p "$corpus" "$artifacts"
seeds=$(sed -n 's|^// fuzz-seeds: ||p' "$src" | head -n 1)
(
  cd "$root"
  for pattern in $seeds; do
    for f in $pattern; do
      [ -f "$f" ] && cp -n "$f" "$corpus/seed-$(basename "$f")"
    done
  done
)

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Regression inputs (each once) first: a fixed bug must stay fixed.
regressions="$root/test/fuzz/regressions/$target"
if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
  "$bin" -runs=0 -artifact_prefix="$artifacts/" "$regressions" >&2 || {
    echo "fuzz.sh: $target: a regression input fails again" >&2
    exit 1
  }
fi

# Inputs are cut to the target's `// fuzz-max-len:` (default 16384 bytes).
max_len=$(sed -n 's|^// fuzz-max-len: \([0-9]*\)$|\1|p' "$src" | head -n 1)

log="$dir/fuzz-$target.$$.log" # one per run: runs of one target may overlap
status=0
t0=$SECONDS
# shellcheck disable=SC2086
"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="${max_len:-16384}" \
  -print_final_stats=1 -artifact_prefix="$artifacts/" ${FINSTREAM_FUZZ_ARGS:-} "$corpus" \
  > "$log" 2>&1 || status=$?
if [ $status -ne 0 ]; then
  tail -n 60 "$log" >&2
  echo "fuzz.sh: $target: FAILED (status $status); input saved under $artifacts, log $log" >&2
  exit $status
fi
execs=$(grep -a '^stat::number_of_executed_units:' "$log" | sed 's/.*: *//' | tail -n 1)
last=$(grep -aE '^#[0-9]+' "$log" | tail -n 1 || true)
cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$last")
ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$last")
files=$(find "$corpus" -type f | wc -l)
rm -f "$log"
echo "fuzz.sh: $target: ${execs:-0} executions in $((SECONDS - t0)) s, cov ${cov:-0} edges, ft ${ft:-0}, corpus $files files, no finding"
