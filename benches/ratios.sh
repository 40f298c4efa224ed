#!/usr/bin/env bash
# Every ratio of the second performance round, measured in one run on this machine and
# printed beside its target as a Markdown table (for benches/README.md), with the date.
# Each ratio compares two figures taken minutes apart on the same host: absolute figures
# move from run to run, ratios much less.
#
#   filter parse                 vs serde_json reading the same text as a JSON string
#   PATCH apply (Entra shapes)   vs npm scim-patch 0.8.3
#   initial sync through Bulk    vs scim2-server 0.8.3's Bulk (PyPI), 10,000 users
#   POST /Users, 16 connections  vs the bridge before this round (BASE, built here)
#   lookup `userName eq` at 100k vs a hyper server answering a fixed body of its size
#   a page at the middle of 100k vs the first page (startIndex, and RFC 9865 cursors)
#   lookup at 1,000,000 users    vs at 10,000 users; RSS at 1,000,000 users
#   PostgreSQL                   the same load rows on PostgreSQL (when installed)
#
# Usage: benches/ratios.sh   (USERS=100000 BIG=1000000 DURATION=10s BASE=5a08817)
# Needs root for `apt-get install wrk` when wrk is missing; binds 127.0.0.1 only.
set -euo pipefail
shopt -s nullglob
cd "$(dirname "$0")/.."
# shellcheck source=scripts/postgres.sh
. scripts/postgres.sh
here=benches/load
USERS=${USERS:-100000}
BIG=${BIG:-1000000}
DURATION=${DURATION:-10s}
BASE=${BASE:-5a08817}
CONN=16

if ! command -v wrk >/dev/null; then
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pg_stop
  rm -rf "$work"
}
trap cleanup EXIT

echo "building (release): this tree, and the bridge at $BASE for the POST /Users baseline" >&2
cargo build --release -q -p scim-server-example --bin scim-bridge
cargo build --release -q -p scim-benches --bin fixed-body
# The baseline's own work tree and target directory, kept between runs (its build takes
# minutes).
base_src="$(pwd)/target/ratios-base/src"
if [ -d "$base_src" ]; then
  git -C "$base_src" checkout -q --detach "$BASE"
else
  git worktree add -q --detach "$base_src" "$BASE"
fi
CARGO_TARGET_DIR="$(pwd)/target/ratios-base" cargo build --release -q \
  --manifest-path "$base_src/Cargo.toml" -p scim-server-example --bin scim-bridge
base_bin="$(pwd)/target/ratios-base/release/scim-bridge"

export TOKEN="ratios-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
BRIDGE=http://127.0.0.1:3210
auth=(-H "Authorization: Bearer $TOKEN")
# shellcheck source=benches/load/lib.sh
. "$here/lib.sh"
ratio() { echo "$1 / $2" | bc -l | xargs printf '%.2f'; }
# "met" when $1 >= $2 (or, with a third argument "below", when $1 < $2).
verdict() {
  if [ "${3:-}" = below ]; then
    if (($(echo "$1 < $2" | bc -l))); then echo met; else echo "not met"; fi
  elif (($(echo "$1 >= $2" | bc -l))); then echo met; else echo "not met"; fi
}
rows=()
add() { rows+=("| $1 | $2 | $3 | $4 | $5 | $6 |"); echo "$1: $2 / $3 = $4 (target $5: $6)" >&2; }

# --- Micro-benchmarks ----------------------------------------------------------------
# criterion's median time per iteration (ns) of bench $1 (its directory under
# target/criterion).
median_ns() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["median"]["point_estimate"])' "target/criterion/$1/new/estimates.json"; }
crit=(-- --warm-up-time 2 --measurement-time 5)
cargo bench -q -p scim-benches --bench filter "${crit[@]}" 'filter/(parse-borrowed/20|serde_json-string/20)$' >&2
parse_ns=$(median_ns filter/parse-borrowed_20)
json_ns=$(median_ns filter/serde_json-string_20)
# Throughput of each is 20 elements per iteration: the ratio of rates is the inverse
# ratio of times.
r=$(ratio "$json_ns" "$parse_ns")
add "filter parse (borrowed) / serde_json string read (20 fixtures)" \
  "$(echo "20000000000 / $parse_ns" | bc -l | awk '{printf "%.2f M/s", $1/1e6}')" \
  "$(echo "20000000000 / $json_ns" | bc -l | awk '{printf "%.2f M/s", $1/1e6}')" "$r" "≥ 0.9" "$(verdict "$r" 0.9)"

cargo bench -q -p scim-benches --bench patch "${crit[@]}" 'patch/apply(-owned)?/entra-8$' >&2
patch_ns=$(median_ns patch/apply-owned_entra-8)
ours_patch=$(echo "8000000000 / $patch_ns" | bc -l)
peer_dir="$work/peers"; mkdir -p "$peer_dir"; cp benches/peers/patch.js "$peer_dir/"
(cd "$peer_dir" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund scim-patch@0.8.3 >/dev/null)
peer_patch=$(cd "$peer_dir" && FIXTURES="$OLDPWD/benches/fixtures" node patch.js | awk '{print $3}')
r=$(ratio "$ours_patch" "$peer_patch")
add "PATCH apply to an owned user (apply_owned), Entra shapes / npm scim-patch with its copy" "$(printf '%.0f k/s' "$(echo "$ours_patch / 1000" | bc -l)")" \
  "$(printf '%.0f k/s' "$(echo "$peer_patch / 1000" | bc -l)")" "${r}×" "≥ 10×" "$(verdict "$r" 10)"
copy_ns=$(median_ns patch/apply_entra-8)
ours_copy=$(echo "8000000000 / $copy_ns" | bc -l)
r=$(ratio "$ours_copy" "$peer_patch")
add "PATCH apply with the copy of the user (apply), both sides copying / npm scim-patch" "$(printf '%.0f k/s' "$(echo "$ours_copy / 1000" | bc -l)")" \
  "$(printf '%.0f k/s' "$(echo "$peer_patch / 1000" | bc -l)")" "${r}×" "≥ 10×" "$(verdict "$r" 10)"

# --- Load ----------------------------------------------------------------------------
# wrk for DURATION; prints requests/s.
load() { wrk_run "$1" "$2" | awk '/Requests\/sec/ {print $2}'; }

# Sends the Bulk bodies for users FROM..TO-1 to the server at $1; prints users/s.
preload() {
  local t
  bulk_files "$2" "$3" "$work/bulks"
  t=$(now)
  send_bulks "$1" "$work/bulks"
  echo "($3 - $2) / $(since "$t")" | bc -l
}

start_bridge() {
  local bin=$1; shift
  SCIM_BRIDGE_TOKEN="$TOKEN" RUST_LOG=warn "$bin" --listen 127.0.0.1:3210 \
    --data-dir "$work/data" --max-connections 4096 "$@" >"$work/bridge.out" 2>&1 &
  bridge_pid=$!
  pids+=("$bridge_pid")
  wait_up "$BRIDGE/ping"
}
stop_bridge() { kill "$bridge_pid"; wait "$bridge_pid" 2>/dev/null || true; }
rss_mb() { awk '/VmRSS/ {printf "%d", $2 / 1024}' "/proc/$bridge_pid/status"; }

# The reference server's Bulk, on 10,000 users.
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q --disable-pip-version-check "scim2-server==0.8.3"
"$work/venv/bin/scim2-server" --hostname 127.0.0.1 --port 3220 --bearer-token "$TOKEN" >"$work/ref.out" 2>&1 &
ref_pid=$!; pids+=("$ref_pid")
wait_up "http://127.0.0.1:3220/ServiceProviderConfig" || wait_up "http://127.0.0.1:3220/"
ref_bulk=$(preload "http://127.0.0.1:3220" 0 10000)
kill "$ref_pid"; wait "$ref_pid" 2>/dev/null || true

# The bridge before this round: POST /Users at 10,000 users, as below.
rm -rf "$work/data"
start_bridge "$base_bin"
preload "$BRIDGE/scim/v2" 0 10000 >/dev/null
base_post=$(load "$BRIDGE" $here/create.lua)
stop_bridge

# This bridge on SQLite, then on PostgreSQL: $1 names the store, the rest are arguments.
bench_store() {
  local store=$1; shift
  rm -rf "$work/data"
  start_bridge target/release/scim-bridge "$@"
  local bulk post lookup10k lookup100k first middle cursor
  bulk=$(preload "$BRIDGE/scim/v2" 0 10000)
  r=$(ratio "$bulk" "$ref_bulk")
  add "initial sync through Bulk, 10,000 users ($store) / scim2-server" "$(printf '%.0f users/s' "$bulk")" \
    "$(printf '%.0f users/s' "$ref_bulk")" "${r}×" "≥ 20×" "$(verdict "$r" 20)"
  export POOL=10000
  lookup10k=$(load "$BRIDGE" $here/lookup.lua)
  post=$(load "$BRIDGE" $here/create.lua)
  r=$(ratio "$post" "$base_post")
  add "POST /Users, $CONN connections ($store) / the bridge at $BASE (SQLite)" "$post/s" "$base_post/s" "${r}×" "≥ 4×" "$(verdict "$r" 4)"
  preload "$BRIDGE/scim/v2" 10000 "$USERS" >/dev/null
  POOL=$USERS
  lookup100k=$(load "$BRIDGE" $here/lookup.lua)
  export START=1
  first=$(load "$BRIDGE" $here/page_at.lua)
  START=$((USERS / 2 + 1))
  middle=$(load "$BRIDGE" $here/page_at.lua)
  r=$(ratio "$middle" "$first")
  add "a page of 100 at startIndex=$START of $USERS ($store) / the first page" "$middle/s" "$first/s" "$r" "≥ 0.5" "$(verdict "$r" 0.5)"
  # A cursor at the middle: the nextCursor of the page before it.
  export CURSOR
  CURSOR=$(python3 - "$BRIDGE" "$TOKEN" "$START" <<'PY'
import json, sys, urllib.request
base, token, start = sys.argv[1], sys.argv[2], int(sys.argv[3])
def get(q):
    req = urllib.request.Request(f"{base}/scim/v2/Users?{q}", headers={"Authorization": "Bearer " + token})
    return json.load(urllib.request.urlopen(req, timeout=600))
page, cursor, seen = get("cursor=&count=1000&attributes=id"), None, 0
while True:
    seen += len(page["Resources"])
    cursor = page.get("nextCursor")
    if seen >= start - 1 or not cursor:
        break
    page = get(f"cursor={cursor}&count=1000&attributes=id")
print(cursor or "")
PY
)
  if [ -n "$CURSOR" ]; then
    cursor=$(load "$BRIDGE" $here/page_at.lua)
    r=$(ratio "$cursor" "$first")
    add "a page of 100 by cursor at user $START of $USERS ($store) / the first page" "$cursor/s" "$first/s" "$r" "≥ 0.5" "$(verdict "$r" 0.5)"
  fi
  CURSOR=""
  if [ "$store" = SQLite ]; then
    lookup_bytes=$(curl -sf "${auth[@]}" "$BRIDGE/scim/v2/Users?filter=userName+eq+%22user7%40example.com%22" | wc -c)
    target/release/fixed-body 127.0.0.1:3230 "$lookup_bytes" >"$work/fixed.out" 2>&1 &
    fixed_pid=$!; pids+=("$fixed_pid")
    wait_up "http://127.0.0.1:3230/"
    limit=$(load "http://127.0.0.1:3230/" "")
    kill "$fixed_pid"; wait "$fixed_pid" 2>/dev/null || true
    r=$(ratio "$lookup100k" "$limit")
    add "lookup \`userName eq\` at $USERS users ($store) / hyper, fixed $lookup_bytes-byte body" "$lookup100k/s" "$limit/s" "$r" "≥ 0.5" "$(verdict "$r" 0.5)"
    preload "$BRIDGE/scim/v2" "$USERS" "$BIG" >/dev/null
    POOL=$BIG
    big=$(load "$BRIDGE" $here/lookup.lua)
    r=$(ratio "$big" "$lookup10k")
    add "lookup at $BIG users ($store) / at 10,000 users" "$big/s" "$lookup10k/s" "$r" "≥ 0.9" "$(verdict "$r" 0.9)"
    rss=$(rss_mb)
    add "RSS with $BIG users ($store), after the lookups" "$rss MB" "" "" "< 150 MB" "$(verdict "$rss" 150 below)"
  else
    r=$(ratio "$lookup100k" "$lookup10k")
    add "lookup at $USERS users ($store) / at 10,000 users" "$lookup100k/s" "$lookup10k/s" "$r" "" ""
  fi
  stop_bridge
}

bench_store SQLite
if pg_start >&2; then
  bench_store PostgreSQL --database-url "$(pg_database ratios)"
  pg_stop
fi

echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, \`benches/ratios.sh\` (USERS=$USERS BIG=$BIG DURATION=$DURATION BASE=$BASE)"
echo
echo "| measure | ours | against | ratio | target | |"
echo "| --- | --- | --- | --- | --- | --- |"
printf '%s\n' "${rows[@]}"
