#!/usr/bin/env bash
# Tool for the monitoring tests: Debian's `prometheus` package (the server and promtool, 2.42 on
# bookworm), python3-yaml and python3-jsonschema. Idempotent: a no-op when they are installed.
set -euo pipefail
# python3-yaml: the rule generator (monitoring/generate.py) and the tests' YAML checks;
# python3-jsonschema: the manifests test validates the PodMonitor and PrometheusRule against
# the CRDs' schemas.
if command -v prometheus > /dev/null && command -v promtool > /dev/null &&
  python3 -c "import yaml, jsonschema" 2> /dev/null; then
  echo "tools/prometheus: $(promtool --version 2>&1 | head -n 1)" >&2
  exit 0
fi
echo "tools/prometheus: installing Debian packages prometheus python3-yaml python3-jsonschema" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
$sudo apt-get -o DPkg::Lock::Timeout=900 update -qq >&2
# The package's post-install script starts a system service where systemd runs; the tests start
# their own server on a private port and never use that one.
DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=900 install -y -qq \
  --no-install-recommends prometheus python3-yaml python3-jsonschema >&2
promtool --version >&2
