#!/usr/bin/env bash
# Starts a throw-away PostgreSQL cluster on 127.0.0.1:${CAIRN_PG_PORT:-55432} for the tests and benchmarks.
# Uses Debian's PostgreSQL binaries; as root it runs the server as the `postgres` user, which PostgreSQL requires.
# Idempotent: a cluster already answering on the port is left alone.
set -euo pipefail
PORT="${CAIRN_PG_PORT:-55432}"
DATA="${CAIRN_PG_DATA:-/tmp/cairn-pg-$PORT}"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
if [ -z "$BIN" ]; then
  echo "PostgreSQL is not installed (apt-get install postgresql)" >&2
  exit 1
fi
as_pg() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if as_pg "$BIN/pg_isready" -h 127.0.0.1 -p "$PORT" -q; then
  echo "PostgreSQL already running on 127.0.0.1:$PORT"
  exit 0
fi
if [ ! -f "$DATA/PG_VERSION" ]; then
  mkdir -p "$DATA"
  [ "$(id -u)" = "0" ] && chown postgres:postgres "$DATA"
  as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
fi
as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 \
  -o "-h 127.0.0.1 -p $PORT -k /tmp -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c shared_buffers=256MB" start >/dev/null
echo "PostgreSQL running on 127.0.0.1:$PORT (data in $DATA); URL postgresql://postgres@127.0.0.1:$PORT/postgres"
