#!/usr/bin/env bash
# A real run of infra/ansible/site.yml against a Debian bookworm chroot (community.general.chroot):
# every task that needs only files and Debian packages runs for real (node preparation, kubeadm and
# Helm values, the staged overlay, the rewritten kubeconfig); tasks needing what a chroot lacks are
# skipped by tag name and listed. The second run must report changed=0.
# Needs root or sudo (chroot) and the cached rootfs of scripts/tools/infra-chroot.sh.
# ctest-timeout: 900
set -euo pipefail
# shellcheck source=test/infra/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ans=$src/infra/ansible
tarball=$cache/chroot/bookworm-minbase-python3.tar.gz
debs=$cache/chroot/apt-archives
# Tags of tasks that cannot run in a chroot: pkgs.k8s.io is unreachable, there is no kernel of
# its own, no systemd, hence no cluster, and no internet beyond Debian's mirror.
skip_tags=k8s_repo,kernel,systemd,cluster,downloads
if [ "$(id -u)" != 0 ]; then  # chroot needs root: run again under sudo, with the same cache
  command -v sudo >/dev/null || fail "needs root or sudo (chroot)"
  exec sudo -E FINSTREAM_CACHE="$cache" FINSTREAM_SOURCE_DIR="$src" bash "$0" "$@"
fi
need_tool "$venvs/ansible/bin/ansible-playbook"
[ -s "$tarball" ] || fail "$tarball missing: run scripts/tools/infra-chroot.sh"
export PATH=$venvs/ansible/bin:$PATH ANSIBLE_CONFIG=$ans/ansible.cfg ANSIBLE_FORCE_COLOR=0

work=$(mktemp -d "${FINSTREAM_BUILD_DIR:-/tmp}/infra-chroot.XXXXXX")
root=$work/root
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$root" "$debs"
tar -C "$root" -xzf "$tarball"
# No service may start inside the chroot (the usual policy for chroots and image builds).
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
# Packages downloaded by earlier runs: saves the download, not the installation.
find "$debs" -name '*.deb' -exec cp -t "$root/var/cache/apt/archives/" {} +

# What a GCE machine has that the roles act on: swap in fstab, and (on the control plane after
# kubeadm init) the admin kubeconfig.
cat > "$root/etc/fstab" <<'FSTAB'
UUID=0a1b2c3d / ext4 rw,discard,errors=remount-ro 0 1
/swapfile none swap sw 0 0
FSTAB
mkdir -p "$root/etc/kubernetes"
cat > "$root/etc/kubernetes/admin.conf" <<'KUBECONFIG'
apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: Q0EgREFUQQ==
    server: https://10.10.0.2:6443
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: kubernetes-admin
  name: kubernetes-admin@kubernetes
current-context: kubernetes-admin@kubernetes
kind: Config
users:
- name: kubernetes-admin
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
KUBECONFIG
chmod 600 "$root/etc/kubernetes/admin.conf"

# The repository's k8s/ and config/ when it has the dev overlay; otherwise a stand-in with its layout.
if [ -f "$src/k8s/overlays/dev/kustomization.yaml" ]; then
  source_dir=$src
  need_tool "$cache/bin/kustomize"  # scripts/tools/k8s-tools.sh
else
  source_dir=$work/repo
  echo "k8s/overlays/dev not in this tree: staging a stand-in overlay"
  mkdir -p "$source_dir/k8s/base" "$source_dir/k8s/overlays/dev" "$source_dir/config"
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../../config]\n' > "$source_dir/k8s/base/kustomization.yaml"
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../../base]\n' > "$source_dir/k8s/overlays/dev/kustomization.yaml"
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n' > "$source_dir/config/kustomization.yaml"
fi

cat > "$work/inventory.ini" <<INV
[control_plane]
node ansible_host=$root node_internal_ip=10.10.0.2

[workers]

[k8s_cluster:children]
control_plane
workers

[k8s_cluster:vars]
ansible_connection=community.general.chroot
ansible_python_interpreter=/usr/bin/python3
control_plane_public_ip=203.0.113.10
control_plane_internal_ip=10.10.0.2
registry_host=europe-west1-docker.pkg.dev
registry_path=europe-west1-docker.pkg.dev/test-project/finstream
INV
run_playbook() { # run_playbook LOG
  ansible-playbook -i "$work/inventory.ini" "$ans/site.yml" --skip-tags "$skip_tags" \
    -e "finstream_source_dir=$source_dir" -e "kubeconfig_local_path=$work/kubeconfig" \
    -e "addons_grafana_password_file=$work/grafana-admin-password" -e finstream_image_tag=0.1.0 \
    > "$1" 2>&1 || { cat "$1"; fail "ansible-playbook failed ($1)"; }
}
recap() { # recap LOG FIELD: the FIELD=N count of host node in the PLAY RECAP
  sed -n "s/^node *:.* $2=\([0-9]*\).*/\1/p" "$1"
}

echo "--- tasks skipped by tag ($skip_tags)"
ansible-playbook -i "$work/inventory.ini" "$ans/site.yml" --list-tasks --tags "$skip_tags" \
  | sed -n 's/^ \{6\}\(.*\)TAGS: \[\(.*\)\]$/skipped: \1[\2]/p' | sed 's/  *\[/ [/' | tee "$work/skipped.txt"
[ -s "$work/skipped.txt" ] || fail "no task carries the skipped tags: the list is wrong"
ansible-playbook -i "$work/inventory.ini" "$ans/site.yml" --list-tags | sed -n 's/.*TASK TAGS: \[\(.*\)\]/\1/p' \
  | tr ',' '\n' | tr -d ' ' | sort -u | grep -v '^$' > "$work/tags.txt"
unknown=$(grep -vxF -f <(tr ',' '\n' <<< "$skip_tags") "$work/tags.txt" || true)
[ -z "$unknown" ] || fail "tasks carry tags this test does not know: $unknown"

echo "--- first run"
t0=$SECONDS
run_playbook "$work/run1.log"
cat "$work/run1.log"
[ "$(recap "$work/run1.log" failed)" = 0 ] || fail "first run: failures"
[ "$(recap "$work/run1.log" unreachable)" = 0 ] || fail "first run: unreachable"
changed1=$(recap "$work/run1.log" changed)
[ "${changed1:-0}" -gt 0 ] || fail "first run changed nothing: the chroot was not prepared"
echo "first run: changed=$changed1 in $((SECONDS - t0)) s"
find "$root/var/cache/apt/archives" -name '*.deb' -exec cp -n -t "$debs/" {} +

echo "--- what the first run left in the chroot"
in_root() { chroot "$root" "$@"; }
for p in containerd runc conntrack socat procps kmod python3-yaml; do
  in_root dpkg-query -W -f='${Status}\n' "$p" | grep -q "install ok installed" || fail "package $p not installed"
done
grep -q '^ *SystemdCgroup = true' "$root/etc/containerd/config.toml" || fail "containerd: no systemd cgroups"
grep -q 'sandbox_image = "registry.k8s.io/pause:' "$root/etc/containerd/config.toml" || fail "containerd: no pause image"
diff <(printf 'overlay\nbr_netfilter\n') <(grep -v '^#' "$root/etc/modules-load.d/kubernetes.conf") \
  || fail "modules-load.d/kubernetes.conf"
for k in net.bridge.bridge-nf-call-iptables net.ipv4.ip_forward; do
  grep -qx "$k = 1" "$root/etc/sysctl.d/90-kubernetes.conf" || fail "sysctl $k"
done
grep -q '^# /swapfile none swap' "$root/etc/fstab" || fail "swap still in fstab"
grep -q '^UUID=0a1b2c3d / ext4' "$root/etc/fstab" || fail "the root line of fstab was touched"
[ -x "$root/usr/local/lib/kubelet-credential-providers/gcp-metadata-token" ] || fail "credential provider"
grep -q -- '--node-ip=10.10.0.2 ' "$root/etc/default/kubelet" || fail "kubelet node ip"
grep -q -- '- "203.0.113.10"' "$root/etc/kubernetes/kubeadm-config.yaml" || fail "kubeadm certSANs lack the public ip"
grep -q 'podSubnet: 192.168.0.0/16' "$root/etc/kubernetes/kubeadm-config.yaml" || fail "kubeadm pod subnet"
for v in tigera-operator keda kube-prometheus-stack strimzi cloudnative-pg; do
  [ -s "$root/opt/finstream/helm/$v.yaml" ] || fail "helm values $v.yaml"
done
grep -q "adminPassword: \"$(cat "$work/grafana-admin-password")\"" "$root/opt/finstream/helm/kube-prometheus-stack.yaml" \
  || fail "grafana password not the generated one"
[ -f "$root/opt/finstream/src/k8s/overlays/dev/kustomization.yaml" ] || fail "overlay not staged"
[ -f "$root/opt/finstream/src/config/kustomization.yaml" ] || fail "config/ not staged"
grep -q 'newName: europe-west1-docker.pkg.dev/test-project/finstream/finstream' "$root/opt/finstream/deploy/kustomization.yaml" \
  || fail "deployment kustomization lacks the registry image"
grep -q '^  - ../src/k8s/overlays/dev$' "$root/opt/finstream/deploy/kustomization.yaml" || fail "deployment kustomization overlay"
if [ "$source_dir" = "$src" ]; then
  # What the finstream role would apply: every finstream container runs the registry image.
  "$cache/bin/kustomize" build "$root/opt/finstream/deploy" > "$work/rendered.yaml" || fail "kustomize build of the staged overlay"
  images=$(sed -n 's/^ *image: *//p' "$work/rendered.yaml" | grep finstream | sort -u)
  [ "$images" = "europe-west1-docker.pkg.dev/test-project/finstream/finstream:0.1.0" ] \
    || fail "finstream images in the staged overlay: $images"
  echo "staged k8s/overlays/dev renders with the registry image: $images"
fi
grep -q '^    server: https://203.0.113.10:6443$' "$work/kubeconfig" || fail "kubeconfig not rewritten to the public address"
diff <(grep -v 'server:' "$root/etc/kubernetes/admin.conf") <(grep -v 'server:' "$work/kubeconfig") \
  || fail "kubeconfig changed beyond the server line"
[ "$(stat -c %a "$work/kubeconfig")" = 600 ] || fail "kubeconfig is not mode 0600"

echo "--- second run"
t0=$SECONDS
run_playbook "$work/run2.log"
echo "second run: $((SECONDS - t0)) s"
grep -A20 'PLAY RECAP' "$work/run2.log"
[ "$(recap "$work/run2.log" failed)" = 0 ] || { cat "$work/run2.log"; fail "second run: failures"; }
changed2=$(recap "$work/run2.log" changed)
[ "$changed2" = 0 ] || { grep -B3 '^changed:' "$work/run2.log"; fail "second run changed=$changed2 (not idempotent)"; }
echo "second run: changed=0"
echo "OK"
