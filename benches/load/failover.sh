#!/usr/bin/env bash
# Fail-over and recovery times of bridges on PostgreSQL (a throwaway server,
# scripts/postgres.sh):
#   - watcher fail-over: three replicas on one database; at a random moment, `kill -9` the
#     one whose /health says its confirmation watcher is `running`, then time until another replica's
#     /health says `running` (the killed one is started again as a standby for the next
#     run);
#   - database restart: stop PostgreSQL (fast shutdown), start it again, then time from
#     the moment it accepts connections until a POST /Users through a bridge gives 201,
#     and until /health is 200 again.
#
# Usage: benches/load/failover.sh       (RUNS=3 INTERVAL=30 by default: the watcher's
#                                         --confirmation-interval in seconds)
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/postgres.sh
. scripts/postgres.sh
RUNS=${RUNS:-3}
INTERVAL=${INTERVAL:-30}

cargo build --release -q -p scim-server-example --bin scim-bridge
work="$(mktemp -d)"
declare -A pid
cleanup() {
  for p in "${pid[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pg_stop
  rm -rf "$work"
}
trap cleanup EXIT

pg_start || exit 0
db="$(pg_database failover)"
export TOKEN="failover-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc -l | xargs printf '%.2f'; }

# Starts the replica listening on port $1 and waits until it answers.
start_replica() {
  SCIM_BRIDGE_TOKEN="$TOKEN" RUST_LOG=warn target/release/scim-bridge --listen "127.0.0.1:$1" \
    --data-dir "$work/data-$1" --database-url "$db" --confirmation-interval "$INTERVAL" \
    >"$work/bridge-$1.out" 2>&1 &
  pid[$1]=$!
  for _ in $(seq 1 300); do curl -sf -o /dev/null "http://127.0.0.1:$1/ping" && return 0; sleep 0.05; done
  echo "replica on $1 did not start" >&2; cat "$work/bridge-$1.out" >&2; exit 1
}
# The confirmation watcher's state on the replica on port $1 (empty if unreachable).
watcher() {
  curl -s -m 2 -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$1/health" 2>/dev/null \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["components"]["confirmationWatcher"]["state"])' 2>/dev/null || true
}
# The port of the replica whose watcher runs, waiting for one.
leader() {
  local p
  for _ in $(seq 1 $((INTERVAL * 30))); do
    for p in "${!pid[@]}"; do [ "$(watcher "$p")" = running ] && { echo "$p"; return 0; }; done
    sleep 0.1
  done
  echo "no replica leads" >&2; return 1
}

ports=(3310 3311 3312)
for p in "${ports[@]}"; do start_replica "$p"; done

echo "watcher fail-over (--confirmation-interval $INTERVAL), kill -9 of the leader until another leads:"
for run in $(seq 1 "$RUNS"); do
  old=$(leader)
  # At a random point of the standbys' interval: right after a take-over every standby
  # is in step with the new leader, and the kill would always find the longest wait.
  sleep $((RANDOM % INTERVAL))
  old=$(leader)
  kill -9 "${pid[$old]}"; t=$(now); { wait "${pid[$old]}"; } 2>/dev/null || true
  unset "pid[$old]"
  new=$(leader)
  echo "  run $run: $(since "$t") s (replica $old killed, $new leads)"
  start_replica "$old"
done

echo "database restart: from PostgreSQL accepting connections again until a write succeeds / /health is 200:"
port=${ports[0]}
for run in $(seq 1 "$RUNS"); do
  pg_ctl_do -m fast stop
  sleep 3
  pg_ctl_do start; t=$(now)
  write=""; healthy=""
  for i in $(seq 1 1200); do
    if [ -z "$write" ]; then
      code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/scim+json' \
        --data "{\"userName\":\"restart-$run-$i@example.com\"}" "http://127.0.0.1:$port/scim/v2/Users" || true)
      [ "$code" = 201 ] && write=$(since "$t")
    fi
    if [ -z "$healthy" ]; then
      code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$port/health" || true)
      [ "$code" = 200 ] && healthy=$(since "$t")
    fi
    [ -n "$write" ] && [ -n "$healthy" ] && break
    sleep 0.05
  done
  echo "  run $run: first 201 after ${write:-never} s, /health 200 after ${healthy:-never} s"
done
