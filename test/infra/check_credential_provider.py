"""Runs the kubelet credential provider gcp-metadata-token (infra/ansible/roles/node_prep/files/)
the way kubelet does (CredentialProviderRequest on stdin) against a local HTTP server answering like
the GCE metadata server, and checks the CredentialProviderResponse and the failure exits.
usage: check_credential_provider.py PLUGIN
"""
import http.server
import json
import os
import subprocess
import sys
import threading

PLUGIN = sys.argv[1]
IMAGE = "europe-west1-docker.pkg.dev/my-project/finstream/finstream:0.1.0"
seen = []


class Metadata(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        seen.append((self.path, self.headers.get("Metadata-Flavor")))
        if self.path != "/computeMetadata/v1/instance/service-accounts/default/token" \
                or self.headers.get("Metadata-Flavor") != "Google":
            self.send_response(403)
            self.end_headers()
            return
        body = json.dumps({"access_token": "ya29.test-token", "expires_in": 3599, "token_type": "Bearer"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def run(request, host):
    env = dict(os.environ, GCE_METADATA_HOST=host)
    return subprocess.run([sys.executable, PLUGIN], input=request, capture_output=True, text=True, env=env, timeout=30)


def check(cond, msg):
    if not cond:
        sys.exit(f"FAIL: {msg}")
    print(f"ok: {msg}")


server = http.server.HTTPServer(("127.0.0.1", 0), Metadata)
threading.Thread(target=server.serve_forever, daemon=True).start()
host = f"127.0.0.1:{server.server_address[1]}"
request = json.dumps({"kind": "CredentialProviderRequest", "apiVersion": "credentialprovider.kubelet.k8s.io/v1", "image": IMAGE})

r = run(request, host)
check(r.returncode == 0, f"exit 0 for an Artifact Registry image (stderr: {r.stderr.strip()})")
resp = json.loads(r.stdout)
check(resp["kind"] == "CredentialProviderResponse" and resp["apiVersion"] == "credentialprovider.kubelet.k8s.io/v1", "response kind and apiVersion")
check(resp["cacheKeyType"] == "Registry", "cached per registry")
check(resp["auth"] == {"europe-west1-docker.pkg.dev": {"username": "oauth2accesstoken", "password": "ya29.test-token"}}, "auth for the registry host with the metadata token")
check(resp["cacheDuration"] == "1799s", "cached for half the token's remaining life")
check(seen == [("/computeMetadata/v1/instance/service-accounts/default/token", "Google")], "asked the metadata server once, with Metadata-Flavor: Google")

r = run(json.dumps({"image": "docker.io/library/debian:bookworm"}), host)
check(r.returncode == 2 and "not an Artifact Registry host" in r.stderr, "exit 2 for a registry it does not serve")
r = run("not json", host)
check(r.returncode == 2 and "bad CredentialProviderRequest" in r.stderr, "exit 2 for a malformed request")
server.shutdown()
server.server_close()
r = run(request, host)
check(r.returncode == 1 and "no token from" in r.stderr and r.stdout == "", "exit 1 and no output when the metadata server does not answer")
