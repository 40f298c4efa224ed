#!/usr/bin/env bash
# Load test of the bridge with wrk, on SQLite and on PostgreSQL (a throwaway server,
# scripts/postgres.sh, with its default durability: fsync on), beside the Python reference
# server scim2-server and a minimal hyper server answering a fixed body (the machine's
# limit), all in one run. Without PostgreSQL installed its rows are skipped with a message.
#
# Usage: benches/load/run.sh            (USERS=100000 DURATION=10s by default)
# Needs root for `apt-get install wrk` when wrk is missing; everything binds 127.0.0.1.
set -euo pipefail
shopt -s nullglob
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/postgres.sh
. scripts/postgres.sh
here=benches/load
USERS=${USERS:-100000}
DURATION=${DURATION:-10s}
CONN=${CONNECTIONS:-16}

if ! command -v wrk >/dev/null; then
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
cargo build --release -q -p scim-server-example --bin scim-bridge
cargo build --release -q -p scim-benches --bin fixed-body

work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pg_stop
  rm -rf "$work"
}
trap cleanup EXIT

export TOKEN="load-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
BRIDGE=http://127.0.0.1:3210
auth=(-H "Authorization: Bearer $TOKEN")

# shellcheck source=benches/load/lib.sh
. "$here/lib.sh"
since2() { since "$1" | xargs printf '%.2f'; }

# The bridge's store arguments (none: SQLite in $work/data).
store_args=()
start_bridge() {
  SCIM_BRIDGE_TOKEN="$TOKEN" RUST_LOG=warn target/release/scim-bridge --listen 127.0.0.1:3210 \
    --data-dir "$work/data" --max-connections 4096 "${store_args[@]}" >"$work/bridge.out" 2>&1 &
  bridge_pid=$!
  pids+=("$bridge_pid")
  wait_up "$BRIDGE/ping"
}

# Creates users userFROM..userTO-1 with /Bulk requests of 1,000 operations.
preload() {
  local out rps p50 p99
  out=$(wrk_run "$1" "$2")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  printf '%s %s %s' "$rps" "$p50" "$p99"
}

row() { printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4"; }

echo "| measurement | requests/s | p50 | p99 |"
echo "| --- | --- | --- | --- |"

# Every bridge row on one store: $1 names it, the rest are its arguments.
bench_bridge() {
store=$1; shift
store_args=("$@")
rm -rf "$work/data"
start_bridge
t=$(now); preload "$BRIDGE/scim/v2" 0 10000
row "bridge ($store): provision 10,000 users from empty (10 Bulk requests of 1,000)" "$(echo "10000 / $(since2 "$t")" | bc -l | xargs printf '%.0f') users/s" "total $(since2 "$t") s" ""
export POOL=10000
read -r rps p50 p99 <<<"$(load "$BRIDGE" $here/lookup.lua)"
row "bridge ($store): lookup \`userName eq\` at 10k users" "$rps" "$p50" "$p99"
read -r rps p50 p99 <<<"$(load "$BRIDGE" $here/create.lua)"
row "bridge ($store): POST /Users (one user a request, $CONN connections)" "$rps" "$p50" "$p99"
export TARGET
TARGET=$(curl -sf "${auth[@]}" "$BRIDGE/scim/v2/Users?filter=userName+eq+%22user1%40example.com%22" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Resources"][0]["id"])')
read -r rps p50 p99 <<<"$(load "$BRIDGE" $here/patch_user.lua)"
row "bridge ($store): PATCH a user (Replace title)" "$rps" "$p50" "$p99"

t=$(now); preload "$BRIDGE/scim/v2" 10000 "$USERS"
row "bridge ($store): provision users 10,000..$USERS (Bulk)" "$(echo "($USERS - 10000) / $(since2 "$t")" | bc -l | xargs printf '%.0f') users/s" "total $(since2 "$t") s" ""
POOL=$USERS
read -r rps p50 p99 <<<"$(load "$BRIDGE" $here/lookup.lua)"
row "bridge ($store): lookup \`userName eq\` at $USERS users" "$rps" "$p50" "$p99"
read -r rps p50 p99 <<<"$(load "$BRIDGE" $here/list_page.lua)"
row "bridge ($store): a page of 100 users at $USERS users" "$rps" "$p50" "$p99"
read -r rps p50 p99 <<<"$(load "$BRIDGE" $here/create.lua)"
row "bridge ($store): POST /Users at $USERS users ($CONN connections)" "$rps" "$p50" "$p99"
read -r rps p50 p99 <<<"$(load "$BRIDGE" $here/patch_user.lua)"
row "bridge ($store): PATCH one user at $USERS users ($CONN connections on the same user)" "$rps" "$p50" "$p99"
curl -sf "${auth[@]}" "$BRIDGE/scim/v2/Users?attributes=id&startIndex=5000&count=1000" \
  | python3 -c 'import json,sys; print("\n".join(r["id"] for r in json.load(sys.stdin)["Resources"]))' >"$work/ids"
export IDS="$work/ids"
read -r rps p50 p99 <<<"$(load "$BRIDGE" $here/patch_user.lua)"
row "bridge ($store): PATCH a random one of 1,000 users at $USERS users" "$rps" "$p50" "$p99"
IDS=""
rss=$(awk '/VmRSS/ {print $2}' "/proc/$bridge_pid/status")
row "bridge ($store): RSS with $USERS users" "$((rss / 1024)) MB" "" ""
if [ "$store" = PostgreSQL ]; then
  row "bridge ($store): database size, $USERS users plus the creates above (pg_database_size)" "$(pg_size bench)" "" ""
else
  row "bridge ($store): data directory size, $USERS users plus the creates above" "$(du -sh "$work/data" | cut -f1)" "" ""
fi

# Member add/remove on a small group and on a group holding every user.
python3 - "$BRIDGE" "$TOKEN" "$USERS" >"$work/groups" <<'PY'
import json, sys, urllib.request
base, token, users = sys.argv[1] + "/scim/v2", sys.argv[2], int(sys.argv[3])
def call(method, path, body=None):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None,
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/scim+json"})
    return json.load(urllib.request.urlopen(req, timeout=600))
def uid(i):
    return call("GET", f"/Users?filter=userName+eq+%22user{i}%40example.com%22&attributes=id")["Resources"][0]["id"]
ids = [r["id"] for r in call("GET", f"/Users?attributes=id&count={min(users, 200)}")["Resources"]]
small = call("POST", "/Groups", {"displayName": "small", "members": [{"value": i} for i in ids[:10]]})["id"]
big = call("POST", "/Groups", {"displayName": "big"})["id"]
# Every user id, read page by page, added 10,000 at a time.
start, all_ids = 1, []
while True:
    page = call("GET", f"/Users?attributes=id&startIndex={start}&count=200")
    all_ids += [r["id"] for r in page["Resources"]]
    start += 200
    if start > page["totalResults"]:
        break
for k in range(0, len(all_ids), 10000):
    chunk = [{"value": i} for i in all_ids[k:k + 10000]]
    call("PATCH", f"/Groups/{big}?attributes=id", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                                   "Operations": [{"op": "Add", "path": "members", "value": chunk}]})
outsider = call("POST", "/Users", {"userName": "outsider@example.com"})["id"]
print(small, big, outsider, len(all_ids))
PY
read -r small big outsider members <"$work/groups"
export MEMBER=$outsider GROUP=$small
read -r rps p50 p99 <<<"$(load "$BRIDGE" $here/member_add.lua)"
row "bridge ($store): member add/remove, 10-member group" "$rps" "$p50" "$p99"
GROUP=$big
read -r rps p50 p99 <<<"$(load "$BRIDGE" $here/member_add.lua)"
row "bridge ($store): member add/remove, $members-member group" "$rps" "$p50" "$p99"

kill "$bridge_pid"; wait "$bridge_pid" 2>/dev/null || true
t=$(now); start_bridge; up=$(since2 "$t")
curl -sf -o /dev/null "${auth[@]}" "$BRIDGE/scim/v2/Users?filter=userName+eq+%22user7%40example.com%22"
row "bridge ($store): restart with $USERS users (start to first answer)" "" "$up s" ""
lookup_bytes=$(curl -sf "${auth[@]}" "$BRIDGE/scim/v2/Users?filter=userName+eq+%22user7%40example.com%22" | wc -c)
kill "$bridge_pid"; wait "$bridge_pid" 2>/dev/null || true

}

bench_bridge SQLite
if pg_start; then
  bench_bridge PostgreSQL --database-url "$(pg_database bench)"
  pg_stop
fi

# The Python reference server, on 10,000 users.
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q --disable-pip-version-check "scim2-server==0.8.3"
"$work/venv/bin/scim2-server" --hostname 127.0.0.1 --port 3220 --bearer-token "$TOKEN" >"$work/ref.out" 2>&1 &
pids+=("$!")
wait_up "http://127.0.0.1:3220/ServiceProviderConfig" || wait_up "http://127.0.0.1:3220/"
t=$(now); preload "http://127.0.0.1:3220" 0 10000
row "scim2-server: provision 10,000 users (Bulk)" "$(echo "10000 / $(since2 "$t")" | bc -l | xargs printf '%.0f') users/s" "total $(since2 "$t") s" ""
POOL=10000
sed 's#/scim/v2/Users#/Users#' $here/lookup.lua >"$work/lookup-root.lua"
sed 's#/scim/v2/Users#/Users#' $here/create.lua >"$work/create-root.lua"
read -r rps p50 p99 <<<"$(load "http://127.0.0.1:3220" "$work/lookup-root.lua")"
row "scim2-server: lookup \`userName eq\` at 10k users" "$rps" "$p50" "$p99"
read -r rps p50 p99 <<<"$(load "http://127.0.0.1:3220" "$work/create-root.lua")"
row "scim2-server: POST /Users" "$rps" "$p50" "$p99"

# The limit: a hyper server answering a fixed body of the lookup's size.
target/release/fixed-body 127.0.0.1:3230 "$lookup_bytes" >"$work/fixed.out" 2>&1 &
pids+=("$!")
wait_up "http://127.0.0.1:3230/"
read -r rps p50 p99 <<<"$(load "http://127.0.0.1:3230/" "")"
row "limit: hyper, fixed $lookup_bytes-byte body" "$rps" "$p50" "$p99"
