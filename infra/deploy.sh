#!/usr/bin/env bash
# One script from an empty GCP project to a running finstream: tools, credentials and variables,
# Terraform (network, machines, registry), the image, Ansible (kubeadm cluster, add-ons, finstream),
# and the way back (terraform destroy). Steps run in a fixed order whatever the order of the flags;
# --dry-run prints every command, with the variables substituted, and runs none.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: infra/deploy.sh [STEP...] [--dry-run]

Steps (run in this order, whatever order they are given in):
  --install-dependencies  install terraform, gcloud, kubectl, podman and Ansible (Debian/Ubuntu, apt);
                          `nix develop` at the repository root gives the same tools
  --setup                 check the tools and GCP credentials, create an SSH key if needed,
                          write infra/terraform/terraform.tfvars (and the GCS backend if asked)
  --terraform             terraform init + apply: VPC, firewall, machines, Artifact Registry,
                          the Ansible inventory
  --install-ansible-apps  build and push the finstream image, then run infra/ansible/site.yml:
                          kubeadm cluster, Calico, KEDA, kube-prometheus-stack, operators,
                          finstream; writes infra/kubeconfig
  --all                   all four steps above
  --cleanup               terraform destroy: removes everything --terraform created (machines,
                          disks, addresses, network, registry and its images); alone only
Options:
  --dry-run               print each step's commands and run nothing (no tool or credential needed)
  -h, --help              this text

Settings (environment):
  GCP_PROJECT_ID      GCP project ID (required for every step but --install-dependencies)
  ADMIN_CIDR          the only range allowed to SSH and to the Kubernetes API, e.g. 203.0.113.7/32
                      (required for --setup)
  GCP_REGION          default europe-west1          GCP_ZONE     default europe-west1-b
  WORKER_COUNT        default 2                     MACHINE_TYPE default e2-medium
  BOOT_DISK_SIZE_GB   default 30
  SSH_KEY             private key file for Ansible; default infra/.ssh/id_ed25519 (created by --setup)
  TF_STATE_BUCKET     keep Terraform state in this GCS bucket (optional; local state otherwise)
  FINSTREAM_OVERLAY   kustomize overlay under k8s/ to deploy, default overlays/dev
  FINSTREAM_IMAGE_TAG image tag; default: finstream's version (CMakeLists.txt, `finstream --version`)
  FINSTREAM_SKIP_IMAGE=1  do not build/push the image (it is already in the registry)
Exit status: 0 when every step succeeded, 1 when a step failed, 2 for a usage or settings error.
USAGE
}

die() { echo "deploy.sh: $*" >&2; exit 1; }
usage_error() { echo "deploy.sh: $*" >&2; echo "Try infra/deploy.sh --help" >&2; exit 2; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
infra=$root/infra
tf_dir=$infra/terraform
ansible_dir=$infra/ansible

do_deps=0 do_setup=0 do_tf=0 do_apps=0 do_cleanup=0 dry_run=0
[ $# -gt 0 ] || { usage >&2; exit 2; }
for arg in "$@"; do
  case "$arg" in
    --install-dependencies) do_deps=1 ;;
    --setup) do_setup=1 ;;
    --terraform) do_tf=1 ;;
    --install-ansible-apps) do_apps=1 ;;
    --all) do_deps=1 do_setup=1 do_tf=1 do_apps=1 ;;
    --cleanup) do_cleanup=1 ;;
    --dry-run) dry_run=1 ;;
    -h|--help) usage; exit 0 ;;
    *) usage_error "unknown argument: $arg" ;;
  esac
done
if [ $do_cleanup = 1 ] && [ $((do_deps + do_setup + do_tf + do_apps)) -gt 0 ]; then
  usage_error "--cleanup destroys what the other steps build; give it alone"
fi
[ $((do_deps + do_setup + do_tf + do_apps + do_cleanup)) -gt 0 ] || usage_error "no step given"

region=${GCP_REGION:-europe-west1}
zone=${GCP_ZONE:-europe-west1-b}
worker_count=${WORKER_COUNT:-2}
machine_type=${MACHINE_TYPE:-e2-medium}
disk_gb=${BOOT_DISK_SIZE_GB:-30}
ssh_key=${SSH_KEY:-$infra/.ssh/id_ed25519}
overlay=${FINSTREAM_OVERLAY:-overlays/dev}
project=${GCP_PROJECT_ID:-}
registry_host=$region-docker.pkg.dev

if [ $((do_setup + do_tf + do_apps + do_cleanup)) -gt 0 ]; then
  [ -n "$project" ] || usage_error "GCP_PROJECT_ID is not set (the ID of the GCP project to deploy into)"
  [[ $project =~ ^[a-z][a-z0-9-]{4,28}[a-z0-9]$ ]] || usage_error "GCP_PROJECT_ID '$project' is not a GCP project ID"
fi
if [ $do_setup = 1 ]; then
  [ -n "${ADMIN_CIDR:-}" ] || usage_error "ADMIN_CIDR is not set (your address as a CIDR, e.g. 203.0.113.7/32: the only source allowed to SSH and to the Kubernetes API)"
  [[ $ADMIN_CIDR =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}$ ]] || usage_error "ADMIN_CIDR '$ADMIN_CIDR' is not an IPv4 CIDR"
  [ "$ADMIN_CIDR" != 0.0.0.0/0 ] || usage_error "ADMIN_CIDR must not be 0.0.0.0/0"
fi
if ! [[ $worker_count =~ ^[0-9]+$ ]] || [ "$worker_count" -lt 1 ] || [ "$worker_count" -gt 10 ]; then
  usage_error "WORKER_COUNT must be 1..10, not '$worker_count'"
fi
[[ $disk_gb =~ ^[0-9]+$ ]] || usage_error "BOOT_DISK_SIZE_GB must be a number, not '$disk_gb'"

# --- helpers ---------------------------------------------------------------------------------------
step() { if [ $dry_run = 1 ]; then echo "# ==> $*"; else echo "==> $*" >&2; fi; }
# quote ARG: ARG as a shell word. A command substitution (a value only known once an earlier step
# ran) is kept in double quotes, so the dry-run output reads as the script it stands for.
quote() {
  if [[ $1 =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then printf '%s' "$1"
  elif [[ $1 == *"\$("* ]]; then printf '"%s"' "$1"
  else printf "'%s'" "${1//\'/\'\\\'\'}"
  fi
}
# run CMD...: execute, or print it under --dry-run.
run() {
  if [ $dry_run = 1 ]; then
    printf '+'; local a; for a in "$@"; do printf ' '; quote "$a"; done; printf '\n'
  else
    "$@"
  fi
}
# run_sh 'SHELL TEXT': for pipelines; the text is printed as is under --dry-run.
run_sh() {
  if [ $dry_run = 1 ]; then printf '+ %s\n' "$1"; else bash -c "set -euo pipefail; $1"; fi
}
# write_file PATH MODE: content from stdin.
write_file() {
  local content
  content=$(cat)
  if [ $dry_run = 1 ]; then
    printf '+ write %s (mode %s):\n%s\n' "$1" "$2" "$content"
  else
    mkdir -p "$(dirname "$1")"
    printf '%s\n' "$content" > "$1"
    chmod "$2" "$1"
  fi
}
need() { # need TOOL HINT
  [ $dry_run = 1 ] && return 0
  command -v "$1" >/dev/null || die "$1 not found: $2 (or run infra/deploy.sh --install-dependencies, or nix develop)"
}
need_gcp_credentials() {
  [ $dry_run = 1 ] && return 0
  need gcloud "install the Google Cloud CLI"
  if [ -n "${GOOGLE_APPLICATION_CREDENTIALS:-}" ]; then
    [ -r "$GOOGLE_APPLICATION_CREDENTIALS" ] || die "GOOGLE_APPLICATION_CREDENTIALS=$GOOGLE_APPLICATION_CREDENTIALS is not a readable file"
  elif ! gcloud auth application-default print-access-token >/dev/null 2>&1; then
    die "no GCP credentials for Terraform: run 'gcloud auth application-default login' (or set GOOGLE_APPLICATION_CREDENTIALS to a service account key file)"
  fi
  gcloud auth print-access-token >/dev/null 2>&1 || die "gcloud is not logged in: run 'gcloud auth login'"
}
# tf_output NAME: a Terraform output (a placeholder under --dry-run, where nothing was applied).
tf_output() {
  if [ $dry_run = 1 ]; then echo "\$(terraform -chdir=$tf_dir output -raw $1)"; else terraform -chdir="$tf_dir" output -raw "$1"; fi
}
container_tool() {
  if [ $dry_run = 1 ]; then echo podman; elif command -v podman >/dev/null; then echo podman; elif command -v docker >/dev/null; then echo docker
  else die "neither podman nor docker found (needed to push the image)"; fi
}

# --- steps ---------------------------------------------------------------------------------------
install_dependencies() {
  step "install dependencies (terraform, gcloud, kubectl, podman, Ansible)"
  [ $dry_run = 1 ] || command -v apt-get >/dev/null || die "--install-dependencies needs apt-get (Debian/Ubuntu); elsewhere use 'nix develop'"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo "
  local kube_minor=1.33
  run_sh "${sudo}apt-get -o DPkg::Lock::Timeout=900 update && ${sudo}apt-get -o DPkg::Lock::Timeout=900 install -y curl gpg ca-certificates openssh-client python3-venv podman"
  run_sh "curl -fsSL https://apt.releases.hashicorp.com/gpg | ${sudo}gpg --batch --yes --dearmor -o /usr/share/keyrings/hashicorp.gpg"
  run_sh "echo \"deb [signed-by=/usr/share/keyrings/hashicorp.gpg] https://apt.releases.hashicorp.com \$(. /etc/os-release && echo \$VERSION_CODENAME) main\" | ${sudo}tee /etc/apt/sources.list.d/hashicorp.list"
  run_sh "curl -fsSL https://packages.cloud.google.com/apt/doc/apt-key.gpg | ${sudo}gpg --batch --yes --dearmor -o /usr/share/keyrings/cloud.google.gpg"
  run_sh "echo 'deb [signed-by=/usr/share/keyrings/cloud.google.gpg] https://packages.cloud.google.com/apt cloud-sdk main' | ${sudo}tee /etc/apt/sources.list.d/google-cloud-sdk.list"
  run_sh "curl -fsSL https://pkgs.k8s.io/core:/stable:/v$kube_minor/deb/Release.key | ${sudo}gpg --batch --yes --dearmor -o /usr/share/keyrings/kubernetes.gpg"
  run_sh "echo 'deb [signed-by=/usr/share/keyrings/kubernetes.gpg] https://pkgs.k8s.io/core:/stable:/v$kube_minor/deb/ /' | ${sudo}tee /etc/apt/sources.list.d/kubernetes.list"
  run_sh "${sudo}apt-get -o DPkg::Lock::Timeout=900 update && ${sudo}apt-get -o DPkg::Lock::Timeout=900 install -y terraform google-cloud-cli kubectl"
  run python3 -m venv "$infra/.venv"
  run "$infra/.venv/bin/pip" install ansible==12.3.0
  [ $dry_run = 1 ] || echo "deploy.sh: Ansible is in $infra/.venv; deploy.sh puts it on the PATH itself" >&2
}

setup() {
  step "setup (tools, credentials, SSH key, terraform.tfvars)"
  need terraform "install Terraform >= 1.5"
  need ssh-keygen "install openssh-client"
  need_gcp_credentials
  run gcloud config set project "$project"
  if [ -z "${SSH_KEY:-}" ] && { [ $dry_run = 1 ] || [ ! -f "$ssh_key" ]; }; then
    run mkdir -p "$(dirname "$ssh_key")"
    run ssh-keygen -q -t ed25519 -N "" -C "finstream-deploy" -f "$ssh_key"
  elif [ $dry_run = 0 ] && [ ! -r "$ssh_key" ]; then
    die "SSH_KEY=$ssh_key is not a readable private key"
  fi
  local pubkey="\$(cat $ssh_key.pub)"
  if [ $dry_run = 0 ]; then
    [ -r "$ssh_key.pub" ] || die "no public key $ssh_key.pub next to the private key"
    pubkey=$(cat "$ssh_key.pub")
  fi
  write_file "$tf_dir/terraform.tfvars" 0600 <<TFVARS
# Written by infra/deploy.sh --setup; edit or re-run --setup.
project_id        = "$project"
region            = "$region"
zone              = "$zone"
admin_cidr        = "$ADMIN_CIDR"
ssh_public_key    = "$pubkey"
worker_count      = $worker_count
machine_type      = "$machine_type"
boot_disk_size_gb = $disk_gb
TFVARS
  if [ -n "${TF_STATE_BUCKET:-}" ]; then
    run cp "$tf_dir/backend-gcs.tf.example" "$tf_dir/backend-gcs.tf"
  fi
}

terraform_apply() {
  step "terraform (network, firewall, $((worker_count + 1)) x $machine_type, Artifact Registry, inventory)"
  need terraform "install Terraform >= 1.5"
  need_gcp_credentials
  [ $dry_run = 1 ] || [ -f "$tf_dir/terraform.tfvars" ] || die "no $tf_dir/terraform.tfvars: run infra/deploy.sh --setup first"
  local init=(terraform -chdir="$tf_dir" init -input=false)
  if [ -n "${TF_STATE_BUCKET:-}" ]; then
    init+=(-backend-config="bucket=$TF_STATE_BUCKET" -backend-config="prefix=finstream/state")
  fi
  run "${init[@]}"
  run terraform -chdir="$tf_dir" apply -input=false -auto-approve
}

install_ansible_apps() {
  step "image and Ansible (kubeadm, Calico, KEDA, kube-prometheus-stack, operators, finstream $overlay)"
  [ ! -x "$infra/.venv/bin/ansible-playbook" ] || PATH=$infra/.venv/bin:$PATH
  need ansible-playbook "install Ansible (pip install ansible==12.3.0)"
  need terraform "install Terraform >= 1.5"
  need kubectl "install kubectl"
  [ $dry_run = 1 ] || [ -r "$ssh_key" ] || die "SSH key $ssh_key missing: run infra/deploy.sh --setup first"
  local registry inventory tag
  registry=$(tf_output registry_path)
  inventory=$(tf_output ansible_inventory_path)
  # The image tag is the binary's version, read where scripts/image.sh and `finstream --version` read it.
  tag=${FINSTREAM_IMAGE_TAG:-$(sed -n 's/^project(finstream VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")}
  [ -n "$tag" ] || die "no project version in CMakeLists.txt: set FINSTREAM_IMAGE_TAG"
  if [ "${FINSTREAM_SKIP_IMAGE:-0}" != 1 ]; then
    need_gcp_credentials
    [ $dry_run = 1 ] || [ -x "$root/scripts/image.sh" ] || die "scripts/image.sh missing: cannot build the image (set FINSTREAM_SKIP_IMAGE=1 if it is already pushed)"
    local tool
    tool=$(container_tool)
    run_sh "gcloud auth print-access-token | $tool login -u oauth2accesstoken --password-stdin https://$registry_host"
    run "$root/scripts/image.sh" --push "$registry" --tag "$tag"
  fi
  export ANSIBLE_CONFIG=$ansible_dir/ansible.cfg
  run ansible k8s_cluster -i "$inventory" --private-key "$ssh_key" -m ansible.builtin.wait_for_connection -a timeout=300
  run ansible-playbook -i "$inventory" --private-key "$ssh_key" "$ansible_dir/site.yml" \
    -e "finstream_overlay=$overlay" -e "finstream_image_tag=$tag" -e "kubeconfig_local_path=$infra/kubeconfig"
  run kubectl --kubeconfig "$infra/kubeconfig" get nodes -o wide
  [ $dry_run = 1 ] || echo "deploy.sh: cluster ready; export KUBECONFIG=$infra/kubeconfig" >&2
}

cleanup() {
  step "cleanup (terraform destroy: machines, disks, addresses, firewall, network, registry and its images)"
  need terraform "install Terraform >= 1.5"
  need_gcp_credentials
  [ $dry_run = 1 ] || [ -f "$tf_dir/terraform.tfvars" ] || die "no $tf_dir/terraform.tfvars: nothing was set up here"
  run terraform -chdir="$tf_dir" destroy -input=false -auto-approve
  run rm -f "$infra/kubeconfig"
}

[ $do_deps = 0 ] || install_dependencies
[ $do_setup = 0 ] || setup
[ $do_tf = 0 ] || terraform_apply
[ $do_apps = 0 ] || install_ansible_apps
[ $do_cleanup = 0 ] || cleanup
step "done"
