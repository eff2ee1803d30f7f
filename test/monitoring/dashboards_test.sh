#!/usr/bin/env bash
# The Grafana dashboards: each validates against Grafana's published types (@grafana/schema,
# compiled with tsc: the JSON wrapped as `export const d: Dashboard = ...`), a dashboard broken on
# purpose does not, every dashboard is shipped by the monitoring component as a ConfigMap labelled
# grafana_dashboard: "1", and panel ids are unique. PromQL and SQL are run for real by
# test/e2e/monitoring_itest.cpp.
set -euo pipefail
src="${FINSTREAM_SOURCE_DIR:?}"
tools="${FINSTREAM_CACHE:-$HOME/.cache/finstream}/grafana-schema"
tsc="$tools/node_modules/.bin/tsc"
[ -x "$tsc" ] || { echo "tsc missing: run scripts/tools/grafana-schema.sh" >&2; exit 1; }
dashboards=("$src"/k8s/components/monitoring/dashboards/*.json)
[ -e "${dashboards[0]}" ] || { echo "no dashboards found" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ln -s "$tools/node_modules" "$work/node_modules"
wrap() { # dashboard.json out.ts
  { echo "import type { Dashboard } from '@grafana/schema';"
    printf 'export const d: Dashboard = '
    cat "$1"
    echo ';'; } > "$2"
}
check() { # files... → tsc exit status
  python3 - "$work" "$@" << 'PY'
import json, sys
work, files = sys.argv[1], sys.argv[2:]
json.dump({"compilerOptions": {"strict": True, "noEmit": True, "module": "nodenext",
                               "moduleResolution": "nodenext", "target": "es2020",
                               "skipLibCheck": True},
           "files": files}, open(f"{work}/tsconfig.json", "w"))
PY
  (cd "$work" && "$tsc" -p tsconfig.json)
}

files=()
for d in "${dashboards[@]}"; do
  name=$(basename "$d" .json)
  wrap "$d" "$work/$name.ts"
  files+=("$name.ts")
done
check "${files[@]}"
echo "${#files[@]} dashboards validate against @grafana/schema"

# The check can fail: a panel whose gridPos.x is a string, and a dashboard without schemaVersion.
python3 - "${dashboards[0]}" "$work" << 'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["panels"][1]["gridPos"]["x"] = "left"
json.dump(d, open(f"{sys.argv[2]}/broken1.json", "w"))
d = json.load(open(sys.argv[1]))
del d["schemaVersion"]
json.dump(d, open(f"{sys.argv[2]}/broken2.json", "w"))
PY
for b in broken1 broken2; do
  wrap "$work/$b.json" "$work/$b.ts"
  if check "$b.ts" > "$work/$b.out" 2>&1; then
    echo "tsc accepted a broken dashboard ($b)" >&2
    exit 1
  fi
done

python3 - "$src" << 'PY'
import json, pathlib, sys, yaml
root = pathlib.Path(sys.argv[1])
comp = root / "k8s/components/monitoring"
k = yaml.safe_load((comp / "kustomization.yaml").read_text())
labels = k.get("generatorOptions", {}).get("labels", {})
errors = []
if labels.get("grafana_dashboard") != "1":
    errors.append('generatorOptions.labels.grafana_dashboard must be "1"')
shipped = {f for g in k.get("configMapGenerator", []) for f in g.get("files", [])}
for d in sorted((comp / "dashboards").glob("*.json")):
    rel = f"dashboards/{d.name}"
    if rel not in shipped:
        errors.append(f"{rel} is not in a configMapGenerator of {comp}/kustomization.yaml")
    dash = json.loads(d.read_text())
    ids = [p["id"] for p in dash["panels"]]
    if len(ids) != len(set(ids)):
        errors.append(f"{d.name}: duplicate panel ids")
    if not dash.get("uid"):
        errors.append(f"{d.name}: no uid")
for e in errors: print(e, file=sys.stderr)
sys.exit(1 if errors else 0)
PY
echo "dashboards shipped as ConfigMaps labelled grafana_dashboard=1"
