#!/usr/bin/env python3
"""Reads rendered k8s/ manifests (kustomize build output) the way the tests need them.

  manifests.py check RENDERED.yaml
      The deployment rules of k8s/README.md on one rendered overlay: KEDA triggers on the groups and
      topics the pods really use, thresholds and caps from the finstream-topology ConfigMap,
      maxReplicaCount <= partitions / actors of the scaled role per pod (and within the Yahoo rate
      budget when the source is yahoo), no HPA beside KEDA, a CPU trigger, probes, security context,
      grace period. Exit 1 with one line per violation.

  manifests.py exec POD.json BINARY DIR
      Replaces itself with the pod's process (the JSON printed by `pod`), argv[0] = BINARY.

  manifests.py pod RENDERED.yaml STATEFULSET ORDINAL POD_DIR [--data KIND/NAME:KEY=VALUE]...
                   [--env NAME=VALUE]... [--annotation KEY=VALUE]...
      What the kubelet would run for pod <STATEFULSET>-<ORDINAL>: its ConfigMap, Secret and
      downward-API volumes written under POD_DIR/<mountPath>, the container's environment resolved
      (value, fieldRef, configMapKeyRef, secretKeyRef, envFrom; $(VAR) expanded in order), and
      command + args with $(VAR) expanded, mount paths rewritten to POD_DIR/<mountPath> (a process
      has no mount namespace of its own). --data overrides one key of a ConfigMap or Secret (the
      test's broker and database), --env adds variables last (the test's per-pod port: the
      "pods" share one network namespace), --annotation sets a pod annotation. Prints JSON:
      {"argv": [...], "env": {...}, "readiness": "/readyz", "liveness": "/healthz",
       "port": 9464, "run_as_user": 10001, "read_only_root": true, ...}; "container_args",
      "container_env" and "mounts" are the same before the mount paths are rewritten (for running
      the pod as a container of the image, with real mounts).
"""
import json
import os
import re
import sys

import yaml


def load(path):
    with open(path) as f:
        return [d for d in yaml.load_all(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) if d]


def find(objs, kind, name=None):
    return [o for o in objs if o.get("kind") == kind and (name is None or o["metadata"]["name"] == name)]


def one(objs, kind, name):
    """The object of `kind` named `name`, or generated from `name` by kustomize (name-<hash>)."""
    found = find(objs, kind, name) or [o for o in find(objs, kind)
                                       if re.fullmatch(re.escape(name) + r"-[a-z0-9]{10}", o["metadata"]["name"])]
    if len(found) != 1:
        raise SystemExit(f"manifests.py: expected one {kind}/{name}, found {len(found)}")
    return found[0]


def configmap_data(objs, name):
    return dict(one(objs, "ConfigMap", name).get("data", {}))


def secret_data(objs, name):
    import base64
    s = one(objs, "Secret", name)
    out = {k: base64.b64decode(v).decode() for k, v in s.get("data", {}).items()}
    out.update(s.get("stringData", {}))
    return out


VAR = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def expand(text, env):
    """Kubernetes' $(VAR) expansion: known variables are replaced, unknown ones stay as written."""
    return VAR.sub(lambda m: env.get(m.group(1), m.group(0)), text)


def resolve_env(objs, container, pod_meta, overrides):
    """The container's environment as the kubelet builds it: envFrom first, then env in order,
    each value expanded with the variables defined before it."""
    env = {}

    def data_of(kind, name):
        d = configmap_data(objs, name) if kind == "ConfigMap" else secret_data(objs, name)
        d.update(overrides_of(objs, overrides, kind, name))
        return d

    for src in container.get("envFrom", []):
        if "configMapRef" in src:
            env.update(data_of("ConfigMap", src["configMapRef"]["name"]))
        elif "secretRef" in src:
            env.update(data_of("Secret", src["secretRef"]["name"]))
    for e in container.get("env", []):
        if "value" in e:
            env[e["name"]] = expand(e["value"], env)
        elif "valueFrom" in e:
            vf = e["valueFrom"]
            if "fieldRef" in vf:
                env[e["name"]] = field_value(vf["fieldRef"]["fieldPath"], pod_meta)
            elif "configMapKeyRef" in vf:
                ref = vf["configMapKeyRef"]
                env[e["name"]] = data_of("ConfigMap", ref["name"])[ref["key"]]
            elif "secretKeyRef" in vf:
                ref = vf["secretKeyRef"]
                env[e["name"]] = data_of("Secret", ref["name"])[ref["key"]]
            else:
                raise SystemExit(f"manifests.py: unsupported valueFrom in {e['name']}")
    return env


def overrides_of(objs, overrides, kind, name):
    """The --data overrides of a ConfigMap/Secret, given by its name before kustomize's hash."""
    out = {}
    for (k, base), values in overrides.items():
        if k == kind and one(objs, kind, base)["metadata"]["name"] == name:
            out.update(values)
    return out


def field_value(path, pod_meta):
    m = re.fullmatch(r"metadata\.(annotations|labels)\['([^']+)'\]", path)
    if m:
        return pod_meta.get(m.group(1), {}).get(m.group(2), "")
    if path in ("metadata.name", "metadata.namespace"):
        return pod_meta[path.split(".")[1]]
    raise SystemExit(f"manifests.py: unsupported fieldRef {path}")


def write_volumes(objs, spec, container, pod_meta, overrides, pod_dir):
    """Materializes the container's ConfigMap, Secret, downwardAPI and emptyDir volumes under
    pod_dir + mountPath. Returns [(mountPath, local path, volume kind)], longest mount path first."""
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    mounts = []
    for m in container.get("volumeMounts", []):
        v = volumes[m["name"]]
        local = os.path.join(pod_dir, m["mountPath"].lstrip("/"))
        os.makedirs(local, exist_ok=True)
        files = {}
        if "configMap" in v:
            d = configmap_data(objs, v["configMap"]["name"])
            d.update(overrides_of(objs, overrides, "ConfigMap", v["configMap"]["name"]))
            files = {it["path"]: d[it["key"]] for it in v["configMap"]["items"]} if "items" in v["configMap"] else d
        elif "secret" in v:
            d = secret_data(objs, v["secret"]["secretName"])
            d.update(overrides_of(objs, overrides, "Secret", v["secret"]["secretName"]))
            files = {it["path"]: d[it["key"]] for it in v["secret"]["items"]} if "items" in v["secret"] else d
        elif "downwardAPI" in v:
            files = {it["path"]: field_value(it["fieldRef"]["fieldPath"], pod_meta) for it in v["downwardAPI"]["items"]}
        elif "emptyDir" in v:
            files = {}
        else:
            raise SystemExit(f"manifests.py: unsupported volume {m['name']}")
        for rel, content in files.items():
            with open(os.path.join(local, rel), "w") as f:
                f.write(content)
        kind = next(k for k in ("configMap", "secret", "downwardAPI", "emptyDir") if k in v)
        mounts.append((m["mountPath"], local, kind))
    return sorted(mounts, key=lambda p: -len(p[0]))


def remap(text, mounts):
    """Rewrites every mount path (at a path boundary, longest first, in one pass) to its local dir."""
    if not mounts:
        return text
    alternatives = "|".join(re.escape(m[0]) for m in mounts)
    local = {m[0]: m[1] for m in mounts}
    return re.sub(r"(?<![\w/.-])(" + alternatives + r")(?=/|$|[^\w.-])",
                  lambda m: local[m.group(1)], text)


def pod(args):
    rendered, sts_name, ordinal, pod_dir = args[0], args[1], int(args[2]), args[3]
    overrides, extra_env, annotations = {}, {}, {}
    rest = args[4:]
    while rest:
        flag, value = rest[0], rest[1]
        rest = rest[2:]
        if flag == "--data":
            ref, kv = value.split(":", 1)
            kind, name = ref.split("/", 1)
            k, v = kv.split("=", 1)
            overrides.setdefault((kind, name), {})[k] = v
        elif flag == "--env":
            k, v = value.split("=", 1)
            extra_env[k] = v
        elif flag == "--annotation":
            k, v = value.split("=", 1)
            annotations[k] = v
        else:
            raise SystemExit(f"manifests.py: unknown option {flag}")
    objs = load(rendered)
    sts = one(objs, "StatefulSet", sts_name)
    spec = sts["spec"]["template"]["spec"]
    (container,) = [c for c in spec["containers"] if c["name"] == "finstream"]
    pod_meta = {
        "name": f"{sts_name}-{ordinal}",
        "namespace": sts["metadata"].get("namespace", "default"),
        "labels": dict(sts["spec"]["template"]["metadata"].get("labels", {})),
        "annotations": {**sts["spec"]["template"]["metadata"].get("annotations", {}), **annotations},
    }
    os.makedirs(pod_dir, exist_ok=True)
    mounts = write_volumes(objs, spec, container, pod_meta, overrides, pod_dir)
    env = resolve_env(objs, container, pod_meta, overrides)
    env.update(extra_env)
    container_args = [expand(a, env) for a in container.get("args", [])]
    argv = [remap(a, mounts) for a in container.get("command", ["finstream"]) + container_args]
    container_env = dict(env)
    env = {k: remap(v, mounts) for k, v in env.items()}
    port = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
    def probe_path(p):
        return container[p]["httpGet"]["path"]
    sc = container.get("securityContext", {})
    psc = spec.get("securityContext", {})
    print(json.dumps({
        "argv": argv, "env": env,
        "container_args": container_args, "container_env": container_env,
        "mounts": [{"mountPath": m, "local": l, "kind": k} for m, l, k in mounts],
        "run_as_group": psc.get("runAsGroup"),
        "readiness": probe_path("readinessProbe"), "liveness": probe_path("livenessProbe"),
        "port": port.get(container["readinessProbe"]["httpGet"]["port"], container["readinessProbe"]["httpGet"]["port"]),
        "run_as_user": sc.get("runAsUser", psc.get("runAsUser")),
        "read_only_root": sc.get("readOnlyRootFilesystem", False),
    }))


def parse_roles(text):
    out = {"manager": 0, "agent": 0, "processor": 0}
    for item in filter(None, text.split(",")):
        role, n = item.split("=")
        out[role] = int(n)
    return out


def check(args):
    objs = load(args[0])
    problems = []
    topo = configmap_data(objs, find_generated(objs, "finstream-topology"))
    env_cm = configmap_data(objs, find_generated(objs, "finstream-env"))
    partitions = int(topo["PARTITIONS"])
    threshold = topo["LAG_THRESHOLD"]
    # The groups and topics the pods use: the product's config file, overridden by the pods' env.
    import tomllib
    toml = tomllib.loads(configmap_data(objs, find_generated(objs, "finstream-config"))["finstream.toml"])["kafka"]
    def kafka_setting(key):
        return env_cm.get("FINSTREAM_KAFKA_" + key.upper(), toml[key])
    groups = {"agent": (kafka_setting("agent_group"), kafka_setting("task_topic")),
              "processor": (kafka_setting("processor_group"), kafka_setting("data_topic"))}
    if find(objs, "HorizontalPodAutoscaler"):
        problems.append("an HorizontalPodAutoscaler beside KEDA (KEDA creates and owns the HPA)")
    workloads = {}
    for sts in find(objs, "StatefulSet"):
        spec = sts["spec"]["template"]["spec"]
        cs = [c for c in spec["containers"] if c["name"] == "finstream"]
        if not cs:
            continue
        c = cs[0]
        name = sts["metadata"]["name"]
        pod_meta = {"name": name + "-0", "namespace": "x", "labels": {}, "annotations": {}}
        env = resolve_env(objs, c, pod_meta, {})
        roles_args = [expand(a, env) for a in c.get("args", []) if a.startswith("--roles=")]
        if len(roles_args) != 1:
            problems.append(f"{name}: expected one --roles= argument")
            continue
        roles = parse_roles(roles_args[0][len("--roles="):])
        workloads[name] = roles
        if env.get("FINSTREAM_KAFKA_PARTITIONS") != topo["PARTITIONS"]:
            problems.append(f"{name}: FINSTREAM_KAFKA_PARTITIONS is not finstream-topology's PARTITIONS")
        if c["readinessProbe"]["httpGet"]["path"] != "/readyz" or c["livenessProbe"]["httpGet"]["path"] != "/healthz":
            problems.append(f"{name}: readiness must probe /readyz, liveness /healthz")
        sc, psc = c.get("securityContext", {}), spec.get("securityContext", {})
        if not (psc.get("runAsNonRoot") and sc.get("readOnlyRootFilesystem") and sc.get("allowPrivilegeEscalation") is False
                and sc.get("capabilities", {}).get("drop") == ["ALL"] and psc.get("seccompProfile", {}).get("type") == "RuntimeDefault"):
            problems.append(f"{name}: securityContext must be non-root, read-only root, no escalation, drop ALL, RuntimeDefault seccomp")
        if spec.get("terminationGracePeriodSeconds", 30) <= 10:
            problems.append(f"{name}: terminationGracePeriodSeconds must exceed the 10 s shutdown budget")
        if spec.get("automountServiceAccountToken") is not False:
            problems.append(f"{name}: the service account token must not be mounted")
        if not c.get("resources", {}).get("requests", {}).get("cpu"):
            problems.append(f"{name}: a CPU request is needed by the CPU trigger")
        if not spec.get("topologySpreadConstraints"):
            problems.append(f"{name}: no topology spread")
    for so in find(objs, "ScaledObject"):
        name = so["metadata"]["name"]
        target = so["spec"]["scaleTargetRef"]["name"]
        if target not in workloads:
            problems.append(f"ScaledObject {name}: target {target} is not a finstream StatefulSet")
            continue
        roles = workloads[target]
        kafka = [t for t in so["spec"]["triggers"] if t["type"] == "kafka"]
        if not any(t["type"] == "cpu" for t in so["spec"]["triggers"]):
            problems.append(f"ScaledObject {name}: no CPU trigger")
        wanted = {groups[r] for r in ("agent", "processor") if roles[r] > 0}
        seen = {(t["metadata"].get("consumerGroup"), t["metadata"].get("topic")) for t in kafka}
        if seen != wanted:
            problems.append(f"ScaledObject {name}: kafka triggers watch {sorted(seen)}, its pods consume {sorted(wanted)}")
        for t in kafka:
            md = t["metadata"]
            if md.get("lagThreshold") != threshold:
                problems.append(f"ScaledObject {name}: lagThreshold {md.get('lagThreshold')} is not finstream-topology's {threshold}")
            if md.get("bootstrapServers") != env_cm.get("FINSTREAM_KAFKA_BOOTSTRAP") or md.get("bootstrapServers") != topo["KAFKA_BOOTSTRAP"]:
                problems.append(f"ScaledObject {name}: bootstrapServers differ from the pods' FINSTREAM_KAFKA_BOOTSTRAP")
            if md.get("offsetResetPolicy") != "earliest":
                problems.append(f"ScaledObject {name}: offsetResetPolicy must be earliest (the consumers' auto.offset.reset)")
        cap = min(partitions // roles[r] for r in ("agent", "processor") if roles[r] > 0)
        mx = so["spec"].get("maxReplicaCount", 100)
        if not isinstance(mx, int) or mx > cap or mx < 1:
            problems.append(f"ScaledObject {name}: maxReplicaCount {mx!r} exceeds partitions/actors per pod = {cap}")
        if roles["manager"] > 0 and so["spec"].get("minReplicaCount", 0) < 1:
            problems.append(f"ScaledObject {name}: the manager lives in {target}: minReplicaCount must be >= 1")
        if roles["agent"] > 0 and env_cm.get("FINSTREAM_SOURCE_KIND", "synthetic") == "yahoo":
            budget = float(topo.get("YAHOO_RATE_BUDGET", "0"))
            rate = float(env_cm.get("FINSTREAM_SOURCE_RATE", "1"))
            if mx * rate > budget:
                problems.append(f"ScaledObject {name}: {mx} pods x {rate} req/s exceed YAHOO_RATE_BUDGET {budget}")
    if not workloads:
        problems.append("no finstream StatefulSet")
    for p in problems:
        print(f"{args[0]}: {p}")
    return 1 if problems else 0


def find_generated(objs, base_name):
    names = [o["metadata"]["name"] for o in find(objs, "ConfigMap")
             if o["metadata"]["name"] == base_name or o["metadata"]["name"].startswith(base_name + "-")]
    names = [n for n in names if re.fullmatch(re.escape(base_name) + r"(-[a-z0-9]{10})?", n)]
    if len(names) != 1:
        raise SystemExit(f"manifests.py: expected one ConfigMap {base_name}, found {names}")
    return names[0]


def exec_pod(args):
    """exec the pod's command (argv[0] replaced by BINARY) with exactly its resolved environment
    (plus PATH), from the directory given, so the process's pid is the pod's."""
    spec = json.load(open(args[0]))
    os.chdir(args[2])
    env = dict(spec["env"], PATH=os.environ.get("PATH", "/usr/bin:/bin"))
    os.execve(args[1], [args[1]] + spec["argv"][1:], env)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "exec":
        exec_pod(sys.argv[2:])
    if len(sys.argv) >= 3 and sys.argv[1] == "check":
        sys.exit(check(sys.argv[2:]))
    if len(sys.argv) >= 6 and sys.argv[1] == "pod":
        pod(sys.argv[2:])
        sys.exit(0)
    print(__doc__, file=sys.stderr)
    sys.exit(2)
