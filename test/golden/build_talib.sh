#!/usr/bin/env bash
# Builds TA-Lib's C library from the sources bundled in the npm package `talib` (sourced by
# generate.sh and bench_talib.sh). Usage: build_talib DIR → DIR/libta.a, headers in
# DIR/package/src/lib/include. Needs npm (registry access) and gcc; nothing is installed globally.
# The package is pinned (version and the registry's sha512 integrity): the committed golden values
# in test/data/golden/ were generated from exactly this tarball, and regenerating them with it
# rewrites byte-identical files.
TALIB_NPM_VERSION=2.0.5
TALIB_NPM_INTEGRITY='sha512-ktcijX0YpO9+tNbsb4j7IMEHpIEzweEJppm6q8WEEKNr7OxTDjgUcN+PovFBOTGFi0aZSU792yHfRw/2+LUm3g=='
build_talib() {
  local dir=$1
  mkdir -p "$dir/obj"
  (cd "$dir" && npm pack "talib@$TALIB_NPM_VERSION" --silent >/dev/null)
  local tgz=$dir/talib-$TALIB_NPM_VERSION.tgz
  local got
  got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
  if [[ $got != "$TALIB_NPM_INTEGRITY" ]]; then
    echo "build_talib: $tgz has integrity $got, expected $TALIB_NPM_INTEGRITY" >&2
    return 1
  fi
  tar xzf "$tgz" -C "$dir"
  local lib=$dir/package/src/lib
  # -O3 without -march: the same floating-point code generation as finstream's Release build
  # (no FMA contraction), so golden values are reproducible on any x86-64.
  printf '%s\n' "$lib"/src/ta_func/*.c "$lib"/src/ta_common/*.c |
    xargs -P "${JOBS:-2}" -I{} sh -c 'gcc -O3 -w -c -I"$1/include" -I"$1/src/ta_common" "$2" -o "$3/obj/$(basename "$2" .c).o"' _ "$lib" {} "$dir"
  ar rcs "$dir/libta.a" "$dir"/obj/*.o
}
