#!/usr/bin/env bash
# Starts or stops a private PostgreSQL cluster (Debian's server binaries) for the integration tests.
#
#   test/services/pg.sh start STATE_DIR   # prints FINSTREAM_TEST_PG=<dsn>, writes STATE_DIR/pg.env
#   test/services/pg.sh stop  STATE_DIR   # stops the cluster; keeps STATE_DIR/pg/server.log
#   test/services/pg.sh restart STATE_DIR # pg_ctl restart, same port and data
#
# The cluster lives in STATE_DIR/pg (initdb), listens on a free loopback port and on a socket in
# STATE_DIR/pg/run, and trusts local connections: it is a throw-away test server, never a deployment.
set -euo pipefail
cmd=${1:?usage: pg.sh start|stop|restart STATE_DIR}
state=${2:?usage: pg.sh start|stop STATE_DIR}
dir="$state/pg"
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bindir/initdb" ] || { echo "pg.sh: PostgreSQL server binaries not found under /usr/lib/postgresql" >&2; exit 1; }
# initdb refuses to run as root: run the server as the unprivileged 'postgres' user then.
as_user=()
if [ "$(id -u)" = 0 ]; then as_user=(runuser -u postgres --); fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start() {
  mkdir -p "$dir"
  rm -rf "$dir/data" "$dir/run"
  mkdir -p "$dir/data" "$dir/run"
  [ ${#as_user[@]} -eq 0 ] || chown -R postgres: "$dir"
  [ ${#as_user[@]} -eq 0 ] || chmod o+x "$state" "$(dirname "$state")" 2>/dev/null || true
  "${as_user[@]}" "$bindir/initdb" -D "$dir/data" -U finstream --auth=trust -E UTF8 --locale=C.UTF-8 \
    > "$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  local port; port=$(free_port)
  cat >> "$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/run'
max_connections = 200
shared_buffers = 256MB
fsync = on
synchronous_commit = on
logging_collector = off
CONF
  local t0=$SECONDS
  "${as_user[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start > "$dir/pg_ctl.log" 2>&1 \
    || { cat "$dir/pg_ctl.log" "$dir/server.log" >&2; exit 1; }
  "$bindir/createdb" -h 127.0.0.1 -p "$port" -U finstream finstream_test
  local dsn="postgresql://finstream@127.0.0.1:$port/finstream_test"
  {
    echo "FINSTREAM_TEST_PG=$dsn"
    echo "FINSTREAM_TEST_PG_DATA=$dir/data"
    echo "FINSTREAM_TEST_PG_BIN=$bindir"
  } > "$state/pg.env"
  echo "pg.sh: PostgreSQL on 127.0.0.1:$port ready in $((SECONDS - t0)) s" >&2
  echo "FINSTREAM_TEST_PG=$dsn"
}

stop() {
  [ -f "$dir/data/postmaster.pid" ] || { rm -f "$state/pg.env"; return 0; }
  "${as_user[@]}" "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop > /dev/null 2>&1 \
    || "${as_user[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop > /dev/null 2>&1 || true
  rm -f "$state/pg.env"
  rm -rf "$dir/data"
}

# Restart in place (same port, same data): the tests use it to cut every client connection.
restart() {
  "${as_user[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w -t 60 restart > /dev/null
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  restart) restart ;;
  *) echo "usage: pg.sh start|stop|restart STATE_DIR" >&2; exit 2 ;;
esac
