#!/usr/bin/env bash
# The alerting and recording rules: generated files up to date with monitoring/rules.yml, valid for
# promtool (and the plain scrape configuration example that loads them), every alert unit-tested with a firing and a non-firing case (promtool test rules), and
# every alert documented by a runbook section in docs/operations.md.
set -euo pipefail
src="${FINSTREAM_SOURCE_DIR:?}"
command -v promtool > /dev/null || { echo "promtool missing (scripts/tools/prometheus.sh)" >&2; exit 1; }

python3 "$src/monitoring/generate.py" --check
promtool check rules "$src/config/prometheus/finstream.rules.yml"
# The plain scrape configuration example (it loads the rules file next to it).
promtool check config "$src/config/prometheus/prometheus.yml"
promtool test rules "$src/test/monitoring/rules.test.yml"

# Coverage: per alert, a case with expected alerts and a case expecting none; a runbook section
# whose anchor is the annotation's, in docs/operations.md.
python3 - "$src" << 'PY'
import re, sys, yaml, pathlib
root = pathlib.Path(sys.argv[1])
rules = yaml.safe_load((root / "monitoring/rules.yml").read_text())
tests = yaml.safe_load((root / "test/monitoring/rules.test.yml").read_text())
ops = (root / "docs/operations.md").read_text()
anchors = {re.sub(r"[^a-z0-9 -]", "", h.strip().lower()).replace(" ", "-")
           for h in re.findall(r"^#+ (.+)$", ops, re.M)}
alerts = [r for g in rules["groups"] for r in g["rules"] if "alert" in r]
fires, quiet = set(), set()
for t in tests["tests"]:
    for a in t.get("alert_rule_test", []):
        (fires if a.get("exp_alerts") else quiet).add(a["alertname"])
errors = []
for a in alerts:
    name = a["alert"]
    if name not in fires: errors.append(f"{name}: no promtool case where it fires")
    if name not in quiet: errors.append(f"{name}: no promtool case where it stays quiet")
    url = a.get("annotations", {}).get("runbook_url", "")
    if not url.startswith("docs/operations.md#"):
        errors.append(f"{name}: runbook_url '{url}' does not point into docs/operations.md")
    elif url.split("#", 1)[1] not in anchors:
        errors.append(f"{name}: docs/operations.md has no section #{url.split('#', 1)[1]}")
for e in errors: print(e, file=sys.stderr)
if errors: sys.exit(1)
print(f"{len(alerts)} alerts: each fires and stays quiet in a promtool case and has a runbook")
PY
