#!/usr/bin/env bash
# infra/ansible: ansible-lint with the production profile (which also runs yamllint's rules), and
# ansible-playbook --syntax-check of site.yml. When the k8s/ overlays exist in this tree, the
# overlay the playbook deploys by default must be one of them.
# ctest-timeout: 240
set -euo pipefail
# shellcheck source=test/infra/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ans=$src/infra/ansible
need_tool "$venvs/ansible/bin/ansible-lint"
export PATH=$venvs/ansible/bin:$PATH ANSIBLE_CONFIG=$ans/ansible.cfg ANSIBLE_LOCAL_TEMP
ANSIBLE_LOCAL_TEMP=$(mktemp -d)
trap 'rm -rf "$ANSIBLE_LOCAL_TEMP"' EXIT

echo "--- ansible-lint --profile production"
(cd "$ans" && ansible-lint --offline --profile production --strict site.yml roles)

echo "--- ansible-playbook --syntax-check"
(cd "$ans" && ansible-playbook --syntax-check -i localhost, site.yml)

echo "--- the default overlay"
overlay=$(sed -n 's/^finstream_overlay: *//p' "$ans/group_vars/all/finstream.yml")
[ -n "$overlay" ] || fail "no finstream_overlay in group_vars/all/finstream.yml"
if [ -d "$src/k8s/overlays" ]; then
  [ -f "$src/k8s/$overlay/kustomization.yaml" ] || fail "default overlay k8s/$overlay has no kustomization.yaml"
  echo "k8s/$overlay exists"
else
  echo "k8s/overlays not in this tree yet: overlay path $overlay not checked"
fi
echo "OK"
