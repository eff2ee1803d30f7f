#!/usr/bin/env bash
# The monitoring component's custom resources (PodMonitor, PrometheusRule) validate against the
# pinned prometheus-operator CRDs' schemas, strictly (an unknown field fails, as with kubectl's
# strict field validation), and a broken one fails; the PodMonitor selects the pods and port the
# base manifests use (label app.kubernetes.io/name: finstream, container port named `metrics`);
# every resource the component lists exists.
set -euo pipefail
src="${FINSTREAM_SOURCE_DIR:?}"
crds="${FINSTREAM_CACHE:-$HOME/.cache/finstream}/prometheus-operator-crds/v0.85.0"
[ -s "$crds/monitoring.coreos.com_podmonitors.yaml" ] ||
  { echo "CRDs missing: run scripts/tools/prometheus-operator-crds.sh" >&2; exit 1; }
python3 - "$src" "$crds" << 'PY'
import copy, pathlib, sys
import jsonschema, yaml

root, crds = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
comp = root / "k8s/components/monitoring"

def strict(schema):
    """Objects with declared properties accept no others (unless they preserve unknown fields)."""
    if isinstance(schema, dict):
        if ("properties" in schema and "additionalProperties" not in schema
                and not schema.get("x-kubernetes-preserve-unknown-fields")):
            schema["additionalProperties"] = False
        for v in schema.values():
            strict(v)
    elif isinstance(schema, list):
        for v in schema:
            strict(v)
    return schema

def schema_for(kind):
    for f in crds.glob("*.yaml"):
        crd = yaml.safe_load(f.read_text())
        if crd["spec"]["names"]["kind"] == kind:
            v = next(v for v in crd["spec"]["versions"] if v.get("storage"))
            s = copy.deepcopy(v["schema"]["openAPIV3Schema"])
            # metadata is the API server's ObjectMeta: only what these manifests use is checked.
            s["properties"]["metadata"] = {"type": "object", "required": ["name"],
                                           "properties": {"name": {"type": "string"},
                                                          "labels": {"type": "object",
                                                                     "additionalProperties": {"type": "string"}}}}
            return crd["spec"]["group"] + "/" + v["name"], strict(s)
    raise SystemExit(f"no CRD for {kind} in {crds}")

def errors(doc):
    api, schema = schema_for(doc["kind"])
    if doc.get("apiVersion") != api:
        return [f"apiVersion {doc.get('apiVersion')} (the CRD serves {api})"]
    return [f"{'/'.join(map(str, e.path))}: {e.message}"
            for e in jsonschema.Draft7Validator(schema).iter_errors(doc)]

kustomization = yaml.safe_load((comp / "kustomization.yaml").read_text())
problems = []
docs = {}
for res in kustomization["resources"]:
    path = comp / res
    if not path.exists():
        problems.append(f"{res}: listed in kustomization.yaml, missing")
        continue
    doc = yaml.safe_load(path.read_text())
    docs[doc["kind"]] = doc
    problems += [f"{res}: {e}" for e in errors(doc)]
pm = docs.get("PodMonitor")
if not pm:
    problems.append("no PodMonitor in the component")
else:
    if pm["spec"]["selector"].get("matchLabels") != {"app.kubernetes.io/name": "finstream"}:
        problems.append("PodMonitor must select app.kubernetes.io/name: finstream")
    if [e.get("port") for e in pm["spec"]["podMetricsEndpoints"]] != ["metrics"]:
        problems.append("PodMonitor must scrape the port named metrics")
if "PrometheusRule" not in docs:
    problems.append("no PrometheusRule in the component")

# The check can fail: a misspelled field, and a port given as a number.
broken = copy.deepcopy(pm)
broken["spec"]["podMetricsEndpoints"][0]["intervall"] = "15s"
if not errors(broken):
    problems.append("a PodMonitor with an unknown field was accepted")
broken = copy.deepcopy(docs["PrometheusRule"])
broken["spec"]["groups"][0]["rules"][0]["expr"] = ["not", "a", "string"]
if not errors(broken):
    problems.append("a PrometheusRule whose expr is a list was accepted")

for p in problems:
    print(p, file=sys.stderr)
if problems:
    sys.exit(1)
print(f"{len(docs)} custom resources valid against prometheus-operator v0.85.0 CRDs")
PY
