#!/usr/bin/env python3
"""Server-side apply of manifests against a kube-apiserver through its REST API (what
`kubectl apply --server-side [--dry-run=server]` does), for test/k8s/apiserver_itest.sh.

  apply.py SERVER TOKEN FILE... [--dry-run] [--wait-crds]

Each object of each YAML file (a file, or every *.yaml of a directory) is sent as
PATCH <resource>/<name>?fieldManager=finstream-test&fieldValidation=Strict[&dryRun=All] with
Content-Type application/apply-patch+yaml; the resource path comes from the server's discovery
documents. Prints one line per object ("<kind>/<name>: applied" or the server's message) and
exits 1 when any object is refused. --wait-crds: after applying, waits (60 s) until every applied
CustomResourceDefinition reports Established. TLS is not verified (the test server's own
self-signed certificate on 127.0.0.1).
"""
import json
import os
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import yaml

# A bare `=` (in some CRDs' enums) is YAML 1.1's "value" type; PyYAML has no constructor for it.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
LOADER.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))

CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE


def request(server, token, method, path, body=None, content_type="application/json"):
    req = urllib.request.Request(server + path, data=body, method=method)
    req.add_header("Authorization", "Bearer " + token)
    req.add_header("Accept", "application/json")
    if body is not None:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, context=CTX, timeout=60) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, {"message": raw.decode(errors="replace")}


def discover(server, token, api_version, kind, cache):
    """(plural, namespaced) of kind in apiVersion, from /api/v1 or /apis/<group>/<version>."""
    path = "/api/v1" if api_version == "v1" else "/apis/" + api_version
    if path not in cache:
        status, doc = request(server, token, "GET", path)
        cache[path] = doc.get("resources", []) if status == 200 else []
    for r in cache[path]:
        if r["kind"] == kind and "/" not in r["name"]:
            return path, r["name"], r["namespaced"]
    return path, None, None


def documents(paths):
    for p in paths:
        files = sorted(os.path.join(p, f) for f in os.listdir(p) if f.endswith(".yaml")) if os.path.isdir(p) else [p]
        for f in files:
            with open(f) as fh:
                for d in yaml.load_all(fh, Loader=LOADER):
                    if d:
                        yield d


def main(argv):
    dry_run = "--dry-run" in argv
    wait_crds = "--wait-crds" in argv
    args = [a for a in argv if not a.startswith("--")]
    server, token, paths = args[0], args[1], args[2:]
    cache = {}
    failed = 0
    crds = []
    for d in documents(paths):
        kind, name = d["kind"], d["metadata"]["name"]
        base, plural, namespaced = discover(server, token, d["apiVersion"], kind, cache)
        deadline = time.time() + 15
        while plural is None and time.time() < deadline:
            # A CRD established a moment ago may not be in the discovery documents yet.
            time.sleep(0.5)
            cache.pop(base, None)
            base, plural, namespaced = discover(server, token, d["apiVersion"], kind, cache)
        if plural is None:
            print(f"{kind}/{name}: the server does not serve {kind} in {d['apiVersion']}")
            failed += 1
            continue
        ns = d["metadata"].get("namespace", "default")
        url = base + (f"/namespaces/{ns}" if namespaced else "") + f"/{plural}/{name}"
        query = {"fieldManager": "finstream-test", "fieldValidation": "Strict", "force": "true"}
        if dry_run:
            query["dryRun"] = "All"
        status, doc = request(server, token, "PATCH", url + "?" + urllib.parse.urlencode(query),
                              json.dumps(d).encode(), "application/apply-patch+yaml")
        if status in (200, 201):
            print(f"{kind}/{name}: applied{' (dry run)' if dry_run else ''}")
            if kind == "CustomResourceDefinition":
                crds.append(name)
        else:
            print(f"{kind}/{name}: refused ({status}): {doc.get('message', doc)}")
            failed += 1
    if wait_crds and not failed:
        deadline = time.time() + 60
        for name in crds:
            while True:
                _, doc = request(server, token, "GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}")
                conds = {c["type"]: c["status"] for c in doc.get("status", {}).get("conditions", [])}
                if conds.get("Established") == "True":
                    break
                if time.time() > deadline:
                    print(f"CustomResourceDefinition/{name}: not established after 60 s")
                    return 1
                time.sleep(0.5)
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
