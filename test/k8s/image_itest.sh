#!/usr/bin/env bash
# ctest-timeout: 300
# The container image (built by scripts/tools/k8s-image.sh with scripts/image.sh, on a Debian base
# made locally with debootstrap): tagged with the binary's version and says it; OCI labels; runs as
# the numeric non-root user 10001; `finstream local` without --pg fails clearly (no PostgreSQL
# server in the runtime image). Then the dev overlay's pods run as containers of the image, with
# host networking against the test Kafka and PostgreSQL, as the manifests say (the user, a
# read-only root filesystem, no capabilities, the ConfigMap/Secret/downward-API files mounted
# where the manifests mount them): every pod's /readyz answers 200, a short backfill is stored
# completely, and `podman stop` (SIGTERM through tini) ends each pod with exit status 0.
set -euo pipefail
# shellcheck source=test/k8s/lib.bash
. "$FINSTREAM_SOURCE_DIR/test/k8s/lib.bash"
k8s_init k8s_image
command -v podman > /dev/null || fail "podman missing (scripts/tools/image-tools.sh)"
version=$("$bin" --version | sed -n 's/^finstream //p')
ref=localhost/finstream:$version
podman image exists "$ref" || fail "image $ref missing (scripts/tools/k8s-image.sh)"
containers=()
k8s_cleanup_more() {
  for c in "${containers[@]}"; do podman rm -f -t 0 "$c" > /dev/null 2>&1 || true; done
}

# The image itself.
[ "$(podman run --rm --read-only "$ref" --version)" = "finstream $version" ] || fail "image does not say finstream $version"
echo "ok: $ref says finstream $version"
[ "$(podman image inspect --format '{{.Config.User}}' "$ref")" = "10001:10001" ] || fail "image user is not 10001:10001"
[ "$(podman run --rm --read-only --entrypoint id "$ref" -u)" = 10001 ] || fail "image does not run as uid 10001"
[ "$(podman image inspect --format '{{index .Labels "org.opencontainers.image.version"}}' "$ref")" = "$version" ] ||
  fail "OCI label org.opencontainers.image.version is not $version"
entry=$(podman image inspect --format '{{json .Config.Entrypoint}}' "$ref")
[[ "$entry" == *tini*finstream* ]] || fail "entrypoint $entry does not run finstream under tini"
echo "ok: non-root uid 10001, OCI labels, entrypoint $entry"
code=0
podman run --rm --read-only --tmpfs /tmp "$ref" local --symbols AAPL > "$work/local.log" 2>&1 || code=$?
[ "$code" -ne 0 ] || fail "finstream local without --pg succeeded in the image"
grep -q 'PostgreSQL server binaries (initdb, pg_ctl, postgres) not found' "$work/local.log" ||
  fail "finstream local without --pg: no clear message: $(cat "$work/local.log")"
echo "ok: finstream local without --pg exits $code: $(grep -m1 'not found' "$work/local.log" | cut -c1-150)"

# The dev overlay's pods as containers of the image.
"$kustomize" build "$src/k8s/overlays/dev" > "$work/dev.yaml"
symbols=$(printf 'IMG%02d\n' 1 2 3 4 5 6)
k8s_create_db
k8s_overrides 2020-01-02 2024-06-28 "$symbols"
declare -A port
run_pod() { # POD
  local name=$1
  port[$name]=$(free_port)
  k8s_pod_spec "$work/dev.yaml" "$name" "${port[$name]}"
  # podman arguments from the pod spec: user, read-only root, capabilities, mounts, environment.
  mapfile -t args < <(python3 - "$work/$name.json" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
out = ["--user", f"{spec['run_as_user']}:{spec['run_as_group']}", "--cap-drop", "ALL",
       "--security-opt", "no-new-privileges"]
if spec["read_only_root"]:
    out.append("--read-only")
for m in spec["mounts"]:
    if m["kind"] == "emptyDir":
        out += ["--tmpfs", f"{m['mountPath']}:rw,mode=1777"]
    else:
        out += ["-v", f"{m['local']}:{m['mountPath']}:ro"]
for k, v in spec["container_env"].items():
    out += ["-e", f"{k}={v}"]
print("\n".join(out))
PY
)
  mapfile -t cargs < <(python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))["container_args"]))' "$work/$name.json")
  chmod -R a+rX "$work/$name"
  podman run -d --name "$uniq-$name" --network host "${args[@]}" "$ref" "${cargs[@]}" > /dev/null
  containers+=("$uniq-$name")
}
http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:${port[$1]}$2" || true; }
pods=(finstream-ingest-0 finstream-compute-0)
for p in "${pods[@]}"; do run_pod "$p"; done
t0=$SECONDS
for p in "${pods[@]}"; do
  until [ "$(http_code "$p" /readyz)" = 200 ]; do
    [ "$(podman inspect --format '{{.State.Running}}' "$uniq-$p")" = true ] ||
      { podman logs "$uniq-$p" >&2; fail "$p exited"; }
    [ $((SECONDS - t0)) -lt 90 ] || { podman logs --tail 20 "$uniq-$p" >&2; fail "$p: /readyz not 200 after 90 s"; }
    sleep 0.5
  done
done
echo "ok: /readyz 200 on every pod (containers of $ref, uid 10001, read-only root)"
total=$(echo "$symbols" | wc -l)
t0=$SECONDS
until [ "$(sql "SELECT count(*) FROM symbol_state WHERE status = 'done'" 2> /dev/null || echo 0)" -eq "$total" ]; do
  [ $((SECONDS - t0)) -lt 120 ] || fail "backfill in containers not done after 120 s"
  sleep 1
done
expected=0
for s in $symbols; do
  "$bin" fetch "$s" --from 2020-01-02 --to 2024-06-28 --source synthetic --output "$work/$s.csv" 2> /dev/null
  expected=$((expected + $(tail -n +2 "$work/$s.csv" | grep -c .)))
done
rows=$(sql "SELECT count(*) FROM technical_indicators")
[ "$rows" -eq "$expected" ] || fail "containers stored $rows rows, the synthetic source has $expected bars"
echo "ok: the backfill in containers stored all $rows rows"
for p in "${pods[@]}"; do
  podman stop -t 30 "$uniq-$p" > /dev/null
  code=$(podman inspect --format '{{.State.ExitCode}}' "$uniq-$p")
  [ "$code" = 0 ] || { podman logs --tail 20 "$uniq-$p" >&2; fail "$p exited $code after SIGTERM"; }
done
echo "ok: SIGTERM (podman stop, through tini) ends every pod with status 0"
