#!/usr/bin/env bash
# Conformance run: builds the bridge, installs scim2-tester 0.5.2 into a throw-away venv,
# and runs every check (scripts/conformance.py) against the bridge on SQLite (a temporary
# data directory), then on PostgreSQL (a throwaway server, scripts/postgres.sh); each
# bridge on a free 127.0.0.1 port with a known token. Exits non-zero on any failure.
# Without PostgreSQL installed the second run is skipped with a message, unless CI (or
# SCIM_BRIDGE_REQUIRE_POSTGRES) is set, when that is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/postgres.sh
. scripts/postgres.sh

work="$(mktemp -d)"
bridge_pid=""
stop_bridge() {
  if [ -n "$bridge_pid" ]; then kill "$bridge_pid" 2>/dev/null || true; wait "$bridge_pid" 2>/dev/null || true; fi
  bridge_pid=""
}
cleanup() {
  stop_bridge
  pg_stop
  rm -rf "$work"
}
trap cleanup EXIT

echo "== building the bridge"
cargo build -q -p scim-server-example --bin scim-bridge
bin="${CARGO_TARGET_DIR:-target}/debug/scim-bridge"

echo "== installing scim2-tester 0.5.2 into a venv"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q --disable-pip-version-check \
  "scim2-tester==0.5.2" "scim2-client[httpx2]==0.13.2" "scim2-models==0.12.3" "httpx2==2.16.2"

token="conformance-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"

# Starts the bridge with these extra arguments, runs every check against it, stops it.
check_bridge() {
  local name=$1; shift
  echo "== starting the bridge ($name)"
  rm -rf "$work/data"
  SCIM_BRIDGE_TOKEN="$token" "$bin" --listen 127.0.0.1:0 --data-dir "$work/data" --log-format json "$@" \
    >"$work/stdout" 2>"$work/stderr" &
  bridge_pid=$!
  local url=""
  for _ in $(seq 1 100); do
    url="$(sed -n 's/^scim-bridge listening on \(http[^ ]*\)$/\1/p' "$work/stdout" | head -n 1)"
    [ -n "$url" ] && break
    if ! kill -0 "$bridge_pid" 2>/dev/null; then
      echo "the bridge exited:"; cat "$work/stderr"; exit 1
    fi
    sleep 0.1
  done
  [ -n "$url" ] || { echo "the bridge did not start"; cat "$work/stderr"; exit 1; }
  echo "bridge at $url"
  echo "== scim2-tester checks ($name)"
  "$work/venv/bin/python" scripts/conformance.py "$url/scim/v2" "$token"
  stop_bridge
}

check_bridge SQLite

echo "== starting a throwaway PostgreSQL"
if PG_OPTIONS="-c fsync=off" pg_start; then
  check_bridge PostgreSQL --database-url "$(pg_database conformance)"
fi
