#!/usr/bin/env bash
# The main job on a fresh machine: install dependencies, build, then run `finstream local` on its
# embedded default (a synthetic universe, a private PostgreSQL under ./.finstream): once stored, it
# prints a summary and the chart page's address, and serves that page until Ctrl-C (pass
# --exit-when-idle to exit after the summary instead).
# Extra arguments go to `finstream local` (see `build/finstream local --help`).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
build_dir=$("$root/scripts/build.sh" finstream | tail -n 1)
cd "$root"
exec "$build_dir/finstream" local "$@"
