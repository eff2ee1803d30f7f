#!/usr/bin/env bash
# Builds TA-Lib's C library from the sources bundled in the npm package `talib` (sourced by
# generate.sh and bench_talib.sh). Usage: build_talib DIR → DIR/libta.a, headers in
# DIR/package/src/lib/include. Needs npm (registry access) and gcc; nothing is installed globally.
build_talib() {
  local dir=$1
  mkdir -p "$dir/obj"
  (cd "$dir" && npm pack talib --silent >/dev/null && tar xzf talib-*.tgz)
  local lib=$dir/package/src/lib
  # -O3 without -march: the same floating-point code generation as finstream's Release build
  # (no FMA contraction), so golden values are reproducible on any x86-64.
  printf '%s\n' "$lib"/src/ta_func/*.c "$lib"/src/ta_common/*.c |
    xargs -P "${JOBS:-2}" -I{} sh -c 'gcc -O3 -w -c -I"$1/include" -I"$1/src/ta_common" "$2" -o "$3/obj/$(basename "$2" .c).o"' _ "$lib" {} "$dir"
  ar rcs "$dir/libta.a" "$dir"/obj/*.o
}
