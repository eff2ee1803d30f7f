# shellcheck shell=bash
# Shared helpers of the infra script tests (sourced): where the tools of scripts/tools/ live, and a
# failure helper. A missing tool is a failure, never a skip.
# The variables below are read by the scripts that source this file.
# shellcheck disable=SC2034
cache=${FINSTREAM_CACHE:-$HOME/.cache/finstream}
src=${FINSTREAM_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
venvs=$cache/venvs
gobin=$cache/go/bin

fail() { echo "FAIL: $*" >&2; exit 1; }
# need_tool PATH: fail unless PATH is an executable (installed by scripts/tools/*.sh).
need_tool() {
  [ -x "$1" ] || command -v "$1" >/dev/null 2>&1 || fail "$1 is missing: run scripts/tools/*.sh (scripts/test.sh does)"
}
