#!/usr/bin/env bash
# Configures and builds finstream (Release by default) into build/, or build-asan/ with --sanitize.
#   scripts/build.sh [--sanitize] [--debug] [extra ninja targets...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_type=Release
dir="$root/build"
cmake_args=()
targets=()
for arg in "$@"; do
  case "$arg" in
    --sanitize) dir="$root/build-asan"; build_type=RelWithDebInfo; cmake_args+=(-DFINSTREAM_SANITIZE=ON) ;;
    --debug) build_type=Debug; dir="$root/build-debug" ;;
    *) targets+=("$arg") ;;
  esac
done
jobs=${FINSTREAM_JOBS:-$(nproc)}
cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" "${cmake_args[@]}" > /dev/null
ninja -C "$dir" -j "$jobs" "${targets[@]}" >&2
echo "$dir"
