#!/usr/bin/env bash
# Regenerates the golden values in test/data/golden/ from TA-Lib itself (the C sources bundled in
# the npm package `talib`): writes the input series (make_inputs.py), builds TA-Lib and
# talib_golden.c in a temporary directory, runs every input with every parameter set of sets.txt,
# and writes test/data/golden/manifest.txt (<input> <set> <spec> per golden file). The results are
# committed; tests never need npm or TA-Lib.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$here/build_talib.sh"

python3 "$here/make_inputs.py"
build_talib "$work"
inc=$work/package/src/lib/include
gcc -O2 -Wall -I"$inc" "$here/talib_golden.c" "$work/libta.a" -lm -o "$work/talib_golden"

out=$root/test/data/golden
rm -f "$out"/*.csv
manifest=$out/manifest.txt
echo "# <input> <set> <spec>: test/data/golden/<input>.<set>.csv holds TA-Lib's values (generate.sh)" >"$manifest"
# TSLA (3300 bars) gets the default, alt and extras sets only, and SSNLF (6017 bars, broken
# adjusted closes) the default set only, to keep the repository small; every other input gets every
# set.
for input in "$root"/test/data/indicators/inputs/*.csv; do
  name=$(basename "$input" .csv)
  grep -v '^#' "$here/sets.txt" | while read -r set spec; do
    if [[ $name == tsla && ($set == min || $set == long || $set == extras_alt) ]]; then continue; fi
    if [[ $name == yf_ssnlf && $set != default ]]; then continue; fi
    "$work/talib_golden" "$input" "$spec" "$out/$name.$set.csv" || { echo "failed: $name $set" >&2; exit 1; }
    echo "$name $set $spec" >>"$manifest"
  done
done
echo "wrote $(grep -vc '^#' "$manifest") golden files to $out"
