# Shell functions the load scripts share (sourced by run.sh and ../ratios.sh). Each
# script sets CONN (wrk's connections), DURATION and `auth` (the curl arguments with the
# bearer token) before calling them.

# Waits up to 30 s for URL to answer 2xx.
wait_up() { for _ in $(seq 1 600); do curl -sf -o /dev/null "$1" && return 0; sleep 0.05; done; return 1; }

# The time now, in seconds with fractions; `since T` is the time elapsed since T.
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc -l; }

# wrk on URL with SCRIPT (may be empty) for DURATION and CONN connections; prints wrk's
# whole report, and the statuses other than 2xx on stderr.
wrk_run() {
  local url=$1 script=$2 out
  out=$(wrk -t2 -c"$CONN" -d"$DURATION" --latency ${script:+-s "$script"} "$url" 2>&1)
  if grep -q "Non-2xx" <<<"$out"; then
    echo "wrk saw errors ($script): $(grep -E '^(status|Non-2xx)' <<<"$out" | tr '\n' ' ')" >&2
  fi
  printf '%s\n' "$out"
}

# Writes /Bulk request bodies creating users userFROM..userTO-1 (1,000 operations each)
# into DIR, named so that they sort in order.
bulk_files() {
  local from=$1 to=$2 dir=$3
  rm -rf "$dir"; mkdir -p "$dir"
  python3 - "$from" "$to" "$dir" <<'PY'
import json, sys
a, b, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
for start in range(a, b, 1000):
    ops = [{"method": "POST", "path": "/Users", "bulkId": f"u{i}",
            "data": {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                     "userName": f"user{i}@example.com", "active": True}}
           for i in range(start, min(start + 1000, b))]
    with open(f"{out}/{start:09d}.json", "w") as f:
        json.dump({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": ops}, f)
PY
}

# Sends the /Bulk bodies in DIR to the SCIM base URL, one after another, each answered
# before the next.
send_bulks() {
  local url=$1 dir=$2 body
  for body in "$dir"/*.json; do
    curl -sf -o /dev/null "${auth[@]}" -H 'Content-Type: application/scim+json' --data-binary "@$body" "$url/Bulk"
  done
}
