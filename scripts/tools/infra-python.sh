#!/usr/bin/env bash
# Python tools of the infra tests, each in its own venv under the cache (their dependencies clash:
# checkov brings bc-python-hcl2, which installs the same `hcl2` module as python-hcl2):
#   venvs/checkov  checkov        (static analysis of infra/terraform)
#   venvs/hcl2     python-hcl2    (parses every .tf file)
#   venvs/ansible  ansible, ansible-lint (lint, syntax check and the chroot run of infra/ansible)
# Versions are pinned; a venv whose stamp matches its pins is left alone.
set -euo pipefail
cache=${FINSTREAM_CACHE:-$HOME/.cache/finstream}
python=${FINSTREAM_PYTHON:-python3}

ensure_venv() { # name, pip requirement...
  local name=$1; shift
  local dir=$cache/venvs/$name stamp="$*"
  if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.stamp" 2>/dev/null)" = "$stamp" ]; then
    return 0
  fi
  echo "infra-python.sh: creating $dir with $stamp" >&2
  rm -rf "$dir"
  "$python" -m venv "$dir" >&2
  "$dir/bin/pip" install -q "$@" >&2
  printf '%s' "$stamp" > "$dir/.stamp"
}

ensure_venv checkov checkov==3.3.30
ensure_venv hcl2 python-hcl2==8.1.4
ensure_venv ansible ansible==12.3.0 ansible-lint==26.10.1
