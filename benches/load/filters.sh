#!/usr/bin/env bash
# Filters at scale: every filter of benches/fixtures/filters.json asked of the bridge
# holding USERS users with varied attributes, on SQLite and on PostgreSQL (a throwaway
# server, scripts/postgres.sh, as benches/load/run.sh starts it). Per engine:
#
#  1. preload: USERS users through /Bulk (1,000 operations a request; seeded, so every
#     run holds the same users: benches/load/filters.py says which carry the fixtures'
#     needles) and GROUP_COUNT groups, one "Sales Team";
#  2. each fixture filter REPEAT times (fewer, at least once, when its requests have
#     taken ROW_BUDGET seconds: the row says n=), one request at a time, with count=100,
#     on /Users and, when it names only Group attributes, on /Groups: status,
#     totalResults and the min / median / max latency; then a few extra rows, named
#     "extra": sortBy, a page from the middle (startIndex) of a filtered list and of the
#     unfiltered list;
#  3. the bridge's memory (VmRSS, VmHWM of /proc/PID/status, VmRSS sampled every 50 ms)
#     while CLIENTS clients loop over every fixture filter for DURATION seconds, from a
#     fresh start of the bridge (VmHWM then holds only this part), and the statuses;
#  4. the latency of `userName eq` lookups (wrk, one connection, filters_lookup.lua)
#     while CLIENTS clients loop over full-scan filters, and their 200s and 429s (the
#     bridge admits --max-full-scans at once; the clients wait 0.2 s after a 429).
#
# Usage: benches/load/filters.sh
#   USERS=100000 ENGINES=sqlite,postgres REPEAT=5 ROW_BUDGET=30 DURATION=20 CLIENTS=4
#   GROUP_COUNT=300 SEED=14 PORT=3211 PARTS=1,2,3,4 FILTERS=benches/fixtures/filters.json
#   by default. Part 1 always runs (it preloads an empty store). KEEP_DIR=/some/dir keeps
#   each engine's store there (KEEP_DIR/sqlite, KEEP_DIR/postgres) and skips the preload
#   when it already holds USERS users: for quick iteration (e.g. PARTS=1 once, then
#   PARTS=2 as often as needed); remove the directory after changing USERS or SEED.
# Prints markdown tables on stdout (progress on stderr). Needs root for `apt-get install
# wrk` when wrk is missing; everything binds 127.0.0.1. PostgreSQL is skipped with a
# message when it is not installed.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/postgres.sh
. scripts/postgres.sh
here=benches/load
USERS=${USERS:-100000}
ENGINES=${ENGINES:-sqlite,postgres}
REPEAT=${REPEAT:-5}
ROW_BUDGET=${ROW_BUDGET:-30}
PARTS=${PARTS:-1,2,3,4}
DURATION=${DURATION:-20}
DURATION=${DURATION%s}
CLIENTS=${CLIENTS:-4}
GROUP_COUNT=${GROUP_COUNT:-300}
SEED=${SEED:-14}
PORT=${PORT:-3211}
KEEP_DIR=${KEEP_DIR:-}
FILTERS=${FILTERS:-benches/fixtures/filters.json}
# The full scans of part 4.
SCANS=('title pr' "name.familyName co \"O'Malley\"" 'emails co "example.org"' 'meta.lastModified gt "2011-05-13T04:42:34Z"')

echo "\`USERS=$USERS ENGINES=$ENGINES PARTS=$PARTS REPEAT=$REPEAT ROW_BUDGET=$ROW_BUDGET DURATION=$DURATION CLIENTS=$CLIENTS GROUP_COUNT=$GROUP_COUNT SEED=$SEED${KEEP_DIR:+ KEEP_DIR=$KEEP_DIR} $0${*:+ $*}\`"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores"

log() { echo "[$(date +%T)] $*" >&2; }
# Whether part $1 is to run.
part() { [[ ",$PARTS," == *",$1,"* ]]; }

if ! command -v wrk >/dev/null; then
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
cargo build --release -q -p scim-server-example --bin scim-bridge

work="$(mktemp -d)"
bridge_pid=""
scan_pid=""
pg_kept=""
cleanup() {
  for p in "$bridge_pid" "$scan_pid"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  # A kept cluster is stopped cleanly (pg_stop stops with -m immediate, then removes its
  # directory, where the kept data is only a symbolic link).
  if [ -n "$pg_kept" ] && [ -n "$PG_DIR" ]; then pg_ctl_do stop >/dev/null 2>&1 || true; fi
  pg_stop
  rm -rf "$work"
}
trap cleanup EXIT
if [ -n "$KEEP_DIR" ]; then mkdir -p "$KEEP_DIR"; KEEP_DIR=$(cd "$KEEP_DIR" && pwd); fi

export TOKEN="filters-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
BRIDGE=http://127.0.0.1:$PORT
export BASE=$BRIDGE/scim/v2
py() { python3 "$here/filters.py" "$@"; }

# The bridge's store arguments for the engine being measured.
store_args=()
start_bridge() {
  SCIM_BRIDGE_TOKEN="$TOKEN" RUST_LOG=warn target/release/scim-bridge --listen "127.0.0.1:$PORT" \
    "${store_args[@]}" >>"$work/bridge.out" 2>&1 &
  bridge_pid=$!
  for _ in $(seq 1 600); do
    curl -sf -o /dev/null "$BRIDGE/ping" && return 0
    kill -0 "$bridge_pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "the bridge did not start:" >&2
  tail -20 "$work/bridge.out" >&2
  exit 1
}
stop_bridge() {
  kill "$bridge_pid"
  wait "$bridge_pid" 2>/dev/null || true
  bridge_pid=""
}

# PostgreSQL for the engine "postgres": a fresh cluster, or with KEEP_DIR the cluster kept
# in KEEP_DIR/postgres (moved there on first use, linked in as the fresh cluster's data
# directory afterwards). Sets pg_url; returns 1 when PostgreSQL is skipped. Not to be run
# in a subshell: pg_start sets what cleanup needs to stop the server.
pg_url=""
postgres_url() {
  pg_start >&2 || return 1
  if [ -n "$KEEP_DIR" ]; then
    pg_kept=1
    pg_ctl_do stop
    if [ -d "$KEEP_DIR/postgres" ]; then
      rm -rf "$PG_DIR/data"
    else
      mv "$PG_DIR/data" "$KEEP_DIR/postgres"
    fi
    ln -s "$KEEP_DIR/postgres" "$PG_DIR/data"
    pg_ctl_do start
    if [ "$("${PG_AS[@]}" "$PG_BIN/psql" -h "$PG_DIR" -p "$PG_PORT" -U postgres -Atc \
      "SELECT count(*) FROM pg_database WHERE datname = 'bench'")" = 1 ]; then
      pg_url="postgres://postgres@127.0.0.1:$PG_PORT/bench?sslmode=disable"
      return 0
    fi
  fi
  pg_url=$(pg_database bench)
}

# Part 4: `userName eq` lookups (wrk, one connection) while CLIENTS clients run full
# scans; $1 names the engine.
lookups_beside_scans() {
  local engine=$1 out rps p50 p99 max codes requests ok refused other scan_median
  log "$engine: lookups beside $CLIENTS full-scan clients for $DURATION s"
  py scan "$CLIENTS" "$((DURATION + 1))" "${SCANS[@]}" >"$work/scan.out" &
  scan_pid=$!
  sleep 1
  out=$(POOL=$USERS wrk -t1 -c1 -d"${DURATION}s" --latency -s "$here/filters_lookup.lua" "$BRIDGE" 2>&1)
  wait "$scan_pid"
  scan_pid=""
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  max=$(awk '$1=="Latency" {print $4}' <<<"$out")
  codes=$(awk '$1=="status" {sub(":", "", $2); printf "%s%s×%s", sep, $2, $3; sep=", "}' <<<"$out")
  read -r requests ok refused other scan_median <"$work/scan.out"
  echo
  echo "| engine | lookups/s (1 connection) | lookup p50 | lookup p99 | lookup max | lookup statuses | scanners' requests | 200 | 429 | other | scan median ms (200s) |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  echo "| $engine | $rps | $p50 | $p99 | $max | $codes | $requests | $ok | $refused | $other | $scan_median |"
}

# Runs every part (of PARTS) on one engine: $1 names it.
bench_engine() {
  local engine=$1 dir users groups t took rate how size
  case $engine in
    sqlite)
      dir=${KEEP_DIR:-$work}/sqlite
      store_args=(--data-dir "$dir")
      ;;
    postgres)
      if ! postgres_url; then
        echo
        echo "postgres: skipped, PostgreSQL is not installed (apt-get install postgresql)"
        return 0
      fi
      store_args=(--data-dir "$work/pg-bridge" --database-url "$pg_url")
      ;;
    *) echo "unknown engine $engine (sqlite or postgres)" >&2; exit 1 ;;
  esac

  log "$engine: starting"
  start_bridge
  read -r users groups <<<"$(py count)"
  echo
  echo "| engine | users | groups | preload | time | users/s | store size |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  if [ "$users" = "$USERS" ] && [ "$groups" -ge "$GROUP_COUNT" ]; then
    took="" rate="" how="reused ($KEEP_DIR/$engine)"
  elif [ "$users" = 0 ] || [ "$users" = "$USERS" ]; then
    log "$engine: preloading $USERS users and $GROUP_COUNT groups"
    t=$(date +%s.%N)
    if [ "$users" = 0 ]; then py preload "$USERS" "$SEED"; fi
    py groups "$GROUP_COUNT" "$SEED"
    took=$(echo "$(date +%s.%N) - $t" | bc -l)
    rate=""
    if [ "$users" = 0 ]; then rate=$(echo "$USERS / $took" | bc -l | xargs printf '%.0f'); fi
    took="$(printf '%.1f' "$took") s" how="/Bulk, 1,000 operations a request"
    read -r users groups <<<"$(py count)"
  else
    echo "$engine: the store holds $users users, not 0 or $USERS: remove ${KEEP_DIR:-the data}/$engine" >&2
    exit 1
  fi
  if [ "$engine" = postgres ]; then size=$(pg_size bench); else size=$(du -sh "$dir" | cut -f1); fi
  echo "| $engine | $users | $groups | $how | $took | $rate | $size |"

  # A fresh start for each part: no part inherits another's caches or peak memory.
  if part 2; then
    stop_bridge
    start_bridge
    log "$engine: each filter $REPEAT times"
    echo
    echo "| engine | endpoint | filter | status | totalResults | min ms | median ms | max ms |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
    py sequential "$engine" "$FILTERS" "$USERS" "$REPEAT" "$ROW_BUDGET"
  fi
  if part 3; then
    stop_bridge
    start_bridge
    log "$engine: $CLIENTS clients over every filter for $DURATION s"
    echo
    echo "| engine | load | VmRSS before | peak VmRSS (sampled) | VmHWM after | VmRSS after | requests | 200 | 429 | 400 | other |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    py mix "$engine" "$FILTERS" "$bridge_pid" "$CLIENTS" "$DURATION"
  fi
  if part 4; then
    lookups_beside_scans "$engine"
  fi
  stop_bridge
  if [ "$engine" = postgres ]; then
    if [ -n "$pg_kept" ]; then pg_ctl_do stop; fi
    pg_stop
    pg_kept=""
  fi
}

for engine in ${ENGINES//,/ }; do
  bench_engine "$engine"
done
