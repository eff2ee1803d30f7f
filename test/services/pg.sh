#!/usr/bin/env bash
# Starts or stops a private PostgreSQL cluster (Debian's server binaries) for the integration tests.
#
#   test/services/pg.sh start STATE_DIR    # prints FINSTREAM_TEST_PG=<dsn>, writes STATE_DIR/pg.env
#   test/services/pg.sh stop  STATE_DIR    # stops the cluster; keeps STATE_DIR/pg/server.log
#   test/services/pg.sh restart STATE_DIR  # pg_ctl restart, same port and data
#   test/services/pg.sh crash-restart STATE_DIR [DOWN_SECONDS]  # immediate stop, down, start
#
# The cluster is initdb'd into a fresh temporary directory, listens on a free loopback port and on a
# socket in that directory, and trusts local connections: a throw-away test server, never a deployment.
# FINSTREAM_SERVICE_ADDRESS (default 127.0.0.1): a further local address it listens on and the DSN
# names (e.g. a veth end for a replica in a network namespace; its /24 is trusted too).
set -euo pipefail
cmd=${1:?usage: pg.sh start|stop|restart STATE_DIR}
state=${2:?usage: pg.sh start|stop|restart STATE_DIR}
meta="$state/pg"
addr=${FINSTREAM_SERVICE_ADDRESS:-127.0.0.1}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bindir/initdb" ] || { echo "pg.sh: PostgreSQL server binaries not found under /usr/lib/postgresql" >&2; exit 1; }
# initdb refuses to run as root: the server then runs as Debian's unprivileged 'postgres' user.
as_user=()
if [ "$(id -u)" = 0 ]; then as_user=(runuser -u postgres --); fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start() {
  mkdir -p "$meta"
  [ ! -f "$meta/tmpdir" ] || stop
  local tmp; tmp=$(mktemp -d /tmp/finstream-pg.XXXXXX)
  echo "$tmp" > "$meta/tmpdir"
  mkdir -p "$tmp/data" "$tmp/run"
  [ ${#as_user[@]} -eq 0 ] || chown -R postgres: "$tmp"
  "${as_user[@]}" "$bindir/initdb" -D "$tmp/data" -U finstream --auth=trust -E UTF8 --locale=C.UTF-8 \
    > "$meta/initdb.log" 2>&1 || { cat "$meta/initdb.log" >&2; exit 1; }
  local port; port=$(free_port)
  local listen=127.0.0.1
  if [ "$addr" != 127.0.0.1 ]; then
    listen="127.0.0.1,$addr"
    echo "host all all $addr/24 trust" >> "$tmp/data/pg_hba.conf"
  fi
  cat >> "$tmp/data/postgresql.conf" <<CONF
listen_addresses = '$listen'
port = $port
unix_socket_directories = '$tmp/run'
max_connections = 300
shared_buffers = 256MB
logging_collector = off
CONF
  local t0=$SECONDS
  "${as_user[@]}" "$bindir/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -t 60 start > "$meta/pg_ctl.log" 2>&1 \
    || { cat "$meta/pg_ctl.log" "$tmp/server.log" >&2; exit 1; }
  "$bindir/createdb" -h 127.0.0.1 -p "$port" -U finstream finstream_test
  local dsn="postgresql://finstream@$addr:$port/finstream_test"
  {
    echo "FINSTREAM_TEST_PG=$dsn"
    echo "FINSTREAM_TEST_PG_DATA=$tmp/data"
    echo "FINSTREAM_TEST_PG_BIN=$bindir"
  } > "$state/pg.env"
  echo "pg.sh: PostgreSQL on $addr:$port ready in $((SECONDS - t0)) s" >&2
  echo "FINSTREAM_TEST_PG=$dsn"
}

stop() {
  [ -f "$meta/tmpdir" ] || { rm -f "$state/pg.env"; return 0; }
  local tmp; tmp=$(cat "$meta/tmpdir")
  if [ -f "$tmp/data/postmaster.pid" ]; then
    "${as_user[@]}" "$bindir/pg_ctl" -D "$tmp/data" -m fast -w -t 30 stop > /dev/null 2>&1 \
      || "${as_user[@]}" "$bindir/pg_ctl" -D "$tmp/data" -m immediate -w stop > /dev/null 2>&1 || true
  fi
  cp "$tmp/server.log" "$meta/server.log" 2>/dev/null || true
  rm -rf "$tmp"
  rm -f "$meta/tmpdir" "$state/pg.env"
}

restart() {
  local tmp; tmp=$(cat "$meta/tmpdir")
  "${as_user[@]}" "$bindir/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -m fast -w -t 60 restart > /dev/null
}

# A crash: immediate stop (no checkpoint; recovery replays the WAL), DOWN seconds with nothing
# listening, then a start on the same port and data.
crash_restart() {
  local down=${1:-5} tmp; tmp=$(cat "$meta/tmpdir")
  "${as_user[@]}" "$bindir/pg_ctl" -D "$tmp/data" -m immediate -w -t 60 stop > /dev/null
  sleep "$down"
  "${as_user[@]}" "$bindir/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -t 60 start > /dev/null
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  restart) restart ;;
  crash-restart) crash_restart "${3:-5}" ;;
  *) echo "usage: pg.sh start|stop|restart|crash-restart STATE_DIR [DOWN_SECONDS]" >&2; exit 2 ;;
esac
