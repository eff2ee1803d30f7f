"""Structural checks of infra/terraform parsed with python-hcl2: what issue 15 asks of the code
(pinned providers; typed, described, validated variables; firewall open to the admin CIDR only;
least-privilege service accounts; the outputs) and what no linter checks. Exit 1 with one line per
violation; prints what it checked.
usage: check_terraform.py TERRAFORM_DIR
"""
import glob
import os
import re
import sys

import hcl2

errors = []


def fail(msg):
    errors.append(msg)


def normalize(node):
    """python-hcl2 8 keeps quotes around strings and keys and adds __is_block__/__comments__
    markers: strip both, so that the checks compare plain values."""
    if isinstance(node, dict):
        return {unquote(k): normalize(v) for k, v in node.items() if not k.startswith("__")}
    if isinstance(node, list):
        return [normalize(v) for v in node]
    return unquote(node)


def load(tf_dir):
    merged = {}
    files = sorted(glob.glob(os.path.join(tf_dir, "*.tf")))
    if not files:
        fail(f"no .tf files in {tf_dir}")
    for path in files:
        with open(path) as f:
            doc = normalize(hcl2.load(f))  # raises on a syntax error: the parse check itself
        print(f"parsed {os.path.basename(path)}")
        for key, value in doc.items():
            merged.setdefault(key, []).extend(value)
    return merged


def unquote(value):
    """python-hcl2 keeps string quotes in some versions; compare without them."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def blocks(doc, kind):
    """Flatten [{type: {name: body}}] into (type, name, body)."""
    for item in doc.get(kind, []):
        for rtype, named in item.items():
            for name, body in named.items():
                yield unquote(rtype), unquote(name), body


def main(tf_dir):
    doc = load(tf_dir)

    # Providers pinned to exact versions.
    providers = {}
    for tf in doc.get("terraform", []):
        for rp in tf.get("required_providers", []):
            providers.update(rp)
    if not providers:
        fail("no required_providers")
    for name, spec in providers.items():
        version = unquote(spec.get("version", ""))
        if not re.fullmatch(r"\d+\.\d+\.\d+", version):
            fail(f"provider {name} is not pinned to one version: {version!r}")
    print(f"providers pinned: {sorted(providers)}")

    # Variables: typed, described, validated.
    variables = {}
    for item in doc.get("variable", []):
        for name, body in item.items():
            variables[unquote(name)] = body
            for field in ("type", "description", "validation"):
                if field not in body:
                    fail(f"variable {name} has no {field}")
    print(f"variables checked: {len(variables)}")
    for name in ("project_id", "admin_cidr", "worker_count", "machine_type", "boot_disk_size_gb"):
        if name not in variables:
            fail(f"variable {name} missing")
    if unquote(variables.get("machine_type", {}).get("default")) != "e2-medium":
        fail("machine_type must default to e2-medium")
    if "default" in variables.get("admin_cidr", {}):
        fail("admin_cidr must have no default: the operator states it")

    resources = list(blocks(doc, "resource"))
    by_type = {}
    for rtype, name, body in resources:
        by_type.setdefault(rtype, {})[name] = body

    # Firewall: SSH and the API from the admin CIDR only; anything else from the subnet only.
    firewalls = by_type.get("google_compute_firewall", {})
    if not firewalls:
        fail("no firewall rules")
    for name, body in firewalls.items():
        sources = [unquote(s) for s in body.get("source_ranges", [])]
        ports = set()
        for allow in body.get("allow", []):
            ports.update(unquote(p) for p in allow.get("ports", []) or ["*"])
        if any(s in ("0.0.0.0/0", "::/0") for s in sources):
            fail(f"firewall {name} is open to the internet")
        if ports & {"22", "6443", "*"} and sources == ["${var.admin_cidr}"]:
            continue
        if sources != ["${var.subnet_cidr}"]:
            fail(f"firewall {name} allows {sorted(ports)} from {sources}: only admin_cidr (22, 6443) or the subnet")
    exposed = {p for body in firewalls.values() if [unquote(s) for s in body.get("source_ranges", [])] == ["${var.admin_cidr}"]
               for a in body.get("allow", []) for p in (unquote(x) for x in a.get("ports", []))}
    if exposed != {"22", "6443"}:
        fail(f"the admin CIDR should reach exactly ports 22 and 6443, reaches {sorted(exposed)}")
    print(f"firewall rules checked: {sorted(firewalls)}")

    # Machines: own service accounts, disk size from the variable, count of workers.
    instances = by_type.get("google_compute_instance", {})
    if len(instances) != 2:
        fail(f"expected a control plane and a worker instance resource, found {sorted(instances)}")
    for name, body in instances.items():
        sa = body.get("service_account", [{}])[0]
        if not str(sa.get("email", "")).startswith("${google_service_account."):
            fail(f"instance {name} does not use its own service account")
        disk = body.get("boot_disk", [{}])[0].get("initialize_params", [{}])[0]
        if disk.get("size") != "${var.boot_disk_size_gb}":
            fail(f"instance {name} boot disk size is not var.boot_disk_size_gb")
        if body.get("machine_type") != "${var.machine_type}":
            fail(f"instance {name} machine type is not var.machine_type")
    if instances.get("worker", {}).get("count") != "${var.worker_count}":
        fail("worker instances are not counted by var.worker_count")

    # Least privilege: no project-wide grants; the only role is reading the image repository.
    for rtype in by_type:
        if rtype.startswith("google_project_iam"):
            fail(f"{rtype} grants project-wide permissions")
    roles = [unquote(b.get("role")) for rtype, named in by_type.items() if rtype.endswith("_iam_member") for b in named.values()]
    if roles != ["roles/artifactregistry.reader"]:
        fail(f"IAM roles granted: {roles}; expected only roles/artifactregistry.reader")
    if "google_artifact_registry_repository" not in by_type:
        fail("no Artifact Registry repository")

    outputs = {unquote(k) for item in doc.get("output", []) for k in item}
    for name in ("control_plane_public_ip", "worker_public_ips", "registry_path", "ansible_inventory"):
        if name not in outputs:
            fail(f"output {name} missing")
    print(f"outputs: {sorted(outputs)}")

    for e in errors:
        print(f"FAIL: {e}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
