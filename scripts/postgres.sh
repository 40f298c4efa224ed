# A throwaway PostgreSQL server for scripts (sourced by scripts/conformance.sh and
# benches/load/run.sh), started the way the tests start theirs
# (scim-server-example/tests/common/postgres.rs): the newest Debian binaries under
# /usr/lib/postgresql/*/bin, `initdb` and `pg_ctl` in a temporary directory owned by the
# `postgres` user (they refuse to run as root; `runuser -u postgres --` when we are root),
# a free port on 127.0.0.1, the socket in that directory.
#
#   pg_start            starts it (sets PG_PORT); returns 1 after saying why it is
#                       skipped when PostgreSQL is not installed, and exits 1 instead
#                       when CI or SCIM_BRIDGE_REQUIRE_POSTGRES is set; exits 1 when an
#                       installed PostgreSQL fails to initialise or start (a broken
#                       installation is a failure, never a silent skip, even when the
#                       caller tests pg_start in an `if`)
#   pg_database NAME    creates database NAME and prints its URL
#   pg_size NAME        prints the size of database NAME (pg_database_size, pretty)
#   pg_ctl_do ARGS...   runs pg_ctl on the cluster (stop/start it again)
#   pg_stop             stops it and removes its directory (safe to call twice; call it
#                       from the script's cleanup trap)
#
# PG_OPTIONS adds server settings (`-c name=value …`).

PG_DIR=""
PG_BIN=""
PG_PORT=""
PG_AS=()

pg_start() {
  local candidate
  PG_BIN=""
  for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
    if [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ]; then PG_BIN=$candidate; fi
  done
  if [ -z "$PG_BIN" ]; then
    if [ -n "${CI:-}" ] || [ -n "${SCIM_BRIDGE_REQUIRE_POSTGRES:-}" ]; then
      echo "PostgreSQL is required here (CI or SCIM_BRIDGE_REQUIRE_POSTGRES is set) but not installed: apt-get install postgresql" >&2
      exit 1
    fi
    echo "skipped: PostgreSQL not installed (apt-get install postgresql)"
    return 1
  fi
  PG_DIR="$(mktemp -d -t scim-bridge-pg-XXXXXX)"
  PG_AS=()
  if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$PG_DIR"
    PG_AS=(runuser -u postgres --)
  fi
  PG_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  "${PG_AS[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust --encoding=UTF8 \
    --locale=C --no-sync >"$PG_DIR/initdb.out" 2>&1 \
    || { echo "PostgreSQL's initdb failed:" >&2; cat "$PG_DIR/initdb.out" >&2; exit 1; }
  pg_ctl_do start
}

pg_ctl_do() {
  local options="-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 ${PG_OPTIONS:-}"
  if [ "$1" = start ]; then
    "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -o "$options" start >/dev/null \
      || { echo "PostgreSQL did not start:" >&2; cat "$PG_DIR/log" >&2; exit 1; }
  else
    "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -w "$@" >/dev/null
  fi
}

pg_database() {
  "${PG_AS[@]}" "$PG_BIN/createdb" -h "$PG_DIR" -p "$PG_PORT" -U postgres "$1"
  echo "postgres://postgres@127.0.0.1:$PG_PORT/$1?sslmode=disable"
}

pg_size() {
  "${PG_AS[@]}" "$PG_BIN/psql" -h "$PG_DIR" -p "$PG_PORT" -U postgres -At \
    -c "SELECT pg_size_pretty(pg_database_size('$1'))"
}

pg_stop() {
  if [ -n "$PG_DIR" ]; then
    "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
    PG_DIR=""
  fi
}
