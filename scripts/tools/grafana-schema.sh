#!/usr/bin/env bash
# Tool for the dashboard test: npm packages @grafana/schema (Grafana's published dashboard types)
# and typescript, pinned, installed under ${FINSTREAM_CACHE:-~/.cache/finstream}/grafana-schema.
# Idempotent: a no-op when the pinned versions are there.
set -euo pipefail
schema_version=13.2.3
typescript_version=5.9.3
dir="${FINSTREAM_CACHE:-$HOME/.cache/finstream}/grafana-schema"
stamp="$dir/.installed-$schema_version-$typescript_version"
if [ -e "$stamp" ] && [ -x "$dir/node_modules/.bin/tsc" ]; then
  echo "tools/grafana-schema: @grafana/schema $schema_version, typescript $typescript_version (cached)" >&2
  exit 0
fi
command -v npm > /dev/null || {
  echo "tools/grafana-schema: installing Debian package npm" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=900 install -y -qq \
    --no-install-recommends npm >&2
}
mkdir -p "$dir"
echo "tools/grafana-schema: npm install @grafana/schema@$schema_version typescript@$typescript_version into $dir" >&2
(cd "$dir" && [ -e package.json ] || echo '{"name":"finstream-grafana-schema","private":true}' > "$dir/package.json")
npm install --prefix "$dir" --no-audit --no-fund --save-exact \
  "@grafana/schema@$schema_version" "typescript@$typescript_version" >&2
touch "$stamp"
