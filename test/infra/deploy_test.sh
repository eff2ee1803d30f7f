#!/usr/bin/env bash
# infra/deploy.sh and the repository's shell scripts: shellcheck (severity warning) on every script;
# `deploy.sh --dry-run --all` prints the whole sequence in order with the settings substituted and
# changes nothing; usage errors exit 2 and name the problem; a missing tool or credential exits 1
# with a message that says what to do.
set -euo pipefail
# shellcheck source=test/infra/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
deploy=$src/infra/deploy.sh
need_tool shellcheck
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "--- shellcheck on every script"
# *.sh anywhere (outside build trees and caches), plus extension-less shell scripts in scripts/ and infra/.
mapfile -t scripts < <(
  { find "$src" \( -path "$src/build*" -o -path "$src/.git" -o -path '*/node_modules' -o -path '*/.venv' \) -prune \
      -o -type f -name '*.sh' -print
    find "$src/scripts" "$src/infra" -type f ! -name '*.*' -exec grep -lE '^#!(/usr/bin/env |/bin/)(ba)?sh' {} + 2>/dev/null || true
  } | sort -u)
[ ${#scripts[@]} -gt 5 ] || fail "found only ${#scripts[@]} scripts: the search is wrong"
(cd "$src" && shellcheck -x --source-path=SCRIPTDIR -S warning "${scripts[@]}") || fail "shellcheck"
printf 'shellcheck clean: %s\n' "${scripts[@]#"$src"/}"

echo "--- --dry-run --all"
tfvars=$src/infra/terraform/terraform.tfvars
existed=0; [ -e "$tfvars" ] && existed=1
env -u SSH_KEY GCP_PROJECT_ID=finstream-test-42 ADMIN_CIDR=198.51.100.7/32 WORKER_COUNT=3 \
  MACHINE_TYPE=e2-standard-2 GCP_REGION=us-central1 GCP_ZONE=us-central1-a BOOT_DISK_SIZE_GB=40 \
  TF_STATE_BUCKET=finstream-test-state FINSTREAM_IMAGE_TAG=9.8.7-test FINSTREAM_OVERLAY=overlays/dev \
  "$deploy" --dry-run --all > "$work/dry.txt" 2> "$work/dry.err" || { cat "$work/dry.txt" "$work/dry.err"; fail "dry run failed"; }
cat "$work/dry.txt"
[ $existed = 1 ] || [ ! -e "$tfvars" ] || fail "--dry-run wrote $tfvars"
# The sequence: each pattern must match a later line than the one before it.
python3 - "$work/dry.txt" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
steps = [
    r"^# ==> install dependencies",
    r"^\+ .*apt-get .* install -y .*python3-venv",
    r"^\+ .*apt-get .* install -y terraform google-cloud-cli kubectl",
    r"^\+ .*/pip install ansible==",
    r"^# ==> setup",
    r"^\+ gcloud config set project finstream-test-42$",
    r"^\+ ssh-keygen .* -f \S+/infra/\.ssh/id_ed25519$",
    r"^\+ write \S+/infra/terraform/terraform\.tfvars",
    r'^project_id += "finstream-test-42"$',
    r'^region += "us-central1"$',
    r'^zone += "us-central1-a"$',
    r'^admin_cidr += "198\.51\.100\.7/32"$',
    r"^worker_count += 3$",
    r'^machine_type += "e2-standard-2"$',
    r"^boot_disk_size_gb += 40$",
    r"^\+ cp \S+/backend-gcs\.tf\.example \S+/infra/terraform/backend-gcs\.tf$",
    r"^# ==> terraform \(.*4 x e2-standard-2",
    r"^\+ terraform -chdir=\S+/infra/terraform init -input=false -backend-config=bucket=finstream-test-state -backend-config=prefix=finstream/state$",
    r"^\+ terraform -chdir=\S+/infra/terraform apply -input=false -auto-approve$",
    r"^# ==> image and Ansible .*overlays/dev",
    r"^\+ gcloud auth print-access-token \| podman login -u oauth2accesstoken --password-stdin https://us-central1-docker\.pkg\.dev$",
    r'^\+ \S+/scripts/image\.sh --push "\$\(terraform -chdir=\S+ output -raw registry_path\)" --tag 9\.8\.7-test$',
    r"^\+ ansible k8s_cluster -i .*ansible_inventory_path.* -m ansible\.builtin\.wait_for_connection",
    r"^\+ ansible-playbook -i .*ansible_inventory_path.*/infra/ansible/site\.yml -e finstream_overlay=overlays/dev -e finstream_image_tag=9\.8\.7-test ",
    r"^\+ kubectl --kubeconfig \S+/infra/kubeconfig get nodes",
    r"^# ==> done$",
]
pos = -1
for pat in steps:
    hit = next((i for i in range(pos + 1, len(lines)) if re.search(pat, lines[i])), None)
    if hit is None:
        sys.exit(f"FAIL: after line {pos + 1}, nothing matches {pat}")
    pos = hit
# Every setting substituted: no shell variable of deploy.sh's own (lowercase) left unexpanded.
for line in lines:
    if re.search(r"\$\{?[a-z_]+\}?", line):
        sys.exit(f"FAIL: unsubstituted variable in: {line}")
print(f"dry run: {len(steps)} steps in order")
PY
grep -q 'cleanup\|destroy' "$work/dry.txt" && fail "--all must not destroy anything"

echo "--- the image tag defaults to finstream's version"
version=$(grep -oP '^project\(finstream VERSION \K[0-9.]+' "$src/CMakeLists.txt")
out=$(env -u FINSTREAM_IMAGE_TAG GCP_PROJECT_ID=finstream-test-42 "$deploy" --install-ansible-apps --dry-run 2>&1)
grep -q -- "--push .* --tag $version\$" <<< "$out" || fail "image.sh not called with --tag $version: $out"
grep -q -- "-e finstream_image_tag=$version " <<< "$out" || fail "playbook not given finstream_image_tag=$version: $out"
echo "tag $version"

echo "--- --dry-run --cleanup"
out=$(GCP_PROJECT_ID=finstream-test-42 "$deploy" --cleanup --dry-run 2>&1)
grep -qx '+ terraform -chdir=.*/infra/terraform destroy -input=false -auto-approve' <<< "$out" || fail "cleanup: $out"

echo "--- usage errors exit 2"
expect() { # expect STATUS PATTERN ENV... -- ARGS...
  local status=$1 pattern=$2; shift 2
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  local rc=0
  env -u GCP_PROJECT_ID -u ADMIN_CIDR "${envs[@]}" "$deploy" "$@" > "$work/out" 2>&1 || rc=$?
  [ $rc = "$status" ] || { cat "$work/out"; fail "deploy.sh $*: exit $rc, expected $status"; }
  grep -qE -- "$pattern" "$work/out" || { cat "$work/out"; fail "deploy.sh $*: no message matching '$pattern'"; }
  echo "deploy.sh $* -> exit $rc: $(grep -E -- "$pattern" "$work/out" | head -n 1)"
}
expect 0 '--install-ansible-apps' -- --help
expect 2 'Usage' -- 
expect 2 'unknown argument: --bogus' -- --bogus
expect 2 'GCP_PROJECT_ID is not set' -- --all --dry-run
expect 2 "GCP_PROJECT_ID 'Bad_Project' is not" GCP_PROJECT_ID=Bad_Project -- --terraform --dry-run
expect 2 'ADMIN_CIDR is not set' GCP_PROJECT_ID=finstream-test-42 -- --setup --dry-run
expect 2 'ADMIN_CIDR must not be 0.0.0.0/0' GCP_PROJECT_ID=finstream-test-42 ADMIN_CIDR=0.0.0.0/0 -- --setup --dry-run
expect 2 'WORKER_COUNT must be 1..10' GCP_PROJECT_ID=finstream-test-42 WORKER_COUNT=11 -- --terraform --dry-run
expect 2 '--cleanup destroys what the other steps build' GCP_PROJECT_ID=finstream-test-42 -- --cleanup --all

echo "--- missing tool or credential exits 1"
# A PATH holding only what deploy.sh needs besides the tools it checks for.
mkdir -p "$work/bin"
for t in bash dirname cat id; do ln -s "$(command -v "$t")" "$work/bin/$t"; done
expect 1 'terraform not found: .*--install-dependencies' PATH="$work/bin" GCP_PROJECT_ID=finstream-test-42 -- --terraform
# terraform and gcloud present, but gcloud has no credentials (as on a machine never logged in).
printf '#!/bin/sh\necho "terraform stand-in: must not run" >&2\nexit 3\n' > "$work/bin/terraform"
printf '#!/bin/sh\necho "ERROR: (gcloud.auth) no credentialed accounts" >&2\nexit 1\n' > "$work/bin/gcloud"
chmod +x "$work/bin/terraform" "$work/bin/gcloud"
expect 1 "no GCP credentials for Terraform: run 'gcloud auth application-default login'" \
  PATH="$work/bin" GCP_PROJECT_ID=finstream-test-42 -- --terraform
expect 1 'GOOGLE_APPLICATION_CREDENTIALS=/nonexistent/key.json is not a readable file' \
  PATH="$work/bin" GCP_PROJECT_ID=finstream-test-42 GOOGLE_APPLICATION_CREDENTIALS=/nonexistent/key.json -- --cleanup
echo "OK"
