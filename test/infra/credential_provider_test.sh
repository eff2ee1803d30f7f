#!/usr/bin/env bash
# The kubelet credential provider for Artifact Registry (node_prep's gcp-metadata-token) speaks
# kubelet's protocol and fails loudly: see check_credential_provider.py.
set -euo pipefail
# shellcheck source=test/infra/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
python3 "$(dirname "${BASH_SOURCE[0]}")/check_credential_provider.py" \
  "$src/infra/ansible/roles/node_prep/files/gcp-metadata-token"
echo "OK"
