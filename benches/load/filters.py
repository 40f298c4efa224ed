"""Helper of benches/load/filters.sh (Python 3, standard library only).

Subcommands, each talking to the bridge at BASE (e.g. http://127.0.0.1:3211/scim/v2) with
the bearer token in the TOKEN environment variable:

  count                      prints "<users> <groups>" (totalResults of two count=0 lists)
  preload N SEED             creates N users with varied attributes through /Bulk
  groups N_GROUPS SEED       creates groups (one "Sales Team") with a few members each
  sequential ENGINE FILTERS USERS REPEAT BUDGET
                             markdown rows: each fixture filter REPEAT times (fewer once
                             its requests took BUDGET seconds), one request at a time, on
                             /Users (and on /Groups when it only names Group attributes),
                             then the extra rows (sortBy, startIndex)
  mix ENGINE FILTERS PID CLIENTS SECONDS
                             CLIENTS threads loop over every fixture filter for SECONDS
                             while /proc/PID/status is sampled; one markdown row
  scan CLIENTS SECONDS FILTER...
                             CLIENTS threads loop over FILTERs (full scans) on /Users for
                             SECONDS, sleeping 0.2 s after a 429; prints
                             "<requests> <200> <429> <other> <median ms of the 200s>"

Users are user{i}@example.com, except every i with i % 40 == 7 (SPECIAL_MOD, SPECIAL_REM):
those carry other userNames (J... / j..., "bjensen", a UUID), so lookups of userN skip them.
Everything is seeded: the same N and SEED give the same users.
"""

import http.client
import json
import os
import random
import re
import statistics
import string
import sys
import threading
import time
import urllib.parse

SPECIAL_MOD, SPECIAL_REM = 40, 7
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
# The bridge's default --max-body-bytes is 1 MiB: a Bulk body stays under it.
MAX_BULK_BYTES = 900_000

GIVEN = ["Mary", "Patricia", "Linda", "Barbara", "Elizabeth", "Susan", "Margaret", "Dorothy",
         "Robert", "Michael", "William", "David", "Richard", "Charles", "Thomas", "Daniel",
         "Aiko", "Chen", "Fatima", "Olga", "Pedro", "Priya", "Sven", "Zoe", "Kwame", "Ana"]
J_GIVEN = ["James", "John", "Jennifer", "Jessica", "Joseph", "Julia", "Jorge", "Jasmine"]
FAMILY = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
          "Rodriguez", "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Taylor",
          "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris",
          "O'Brien", "O'Neill", "Malley", "McMalley", "Nakamura", "Kowalski", "Jensen"]
TITLES = ["Engineer", "Senior Engineer", "Manager", "Tour Guide", "Analyst", "Director",
          "Designer", "Accountant", "Support Specialist", "Recruiter"]
DEPARTMENTS = ["Sales", "Engineering", "Finance", "Support", "Marketing", "Legal", "People",
               "Operations", "Research", "Facilities"]
ALNUM = string.ascii_letters + string.digits


def env_token():
    return os.environ["TOKEN"]


class Client:
    """One kept-alive HTTP/1.1 connection to the bridge."""

    def __init__(self, base, timeout=600):
        u = urllib.parse.urlsplit(base)
        self.host, self.port, self.prefix = u.hostname, u.port, u.path.rstrip("/")
        self.timeout = timeout
        self.headers = {"Authorization": "Bearer " + env_token(),
                        "Content-Type": "application/scim+json"}
        self.conn = None

    def call(self, method, path, body=None):
        """(status, body bytes, headers); reconnects once if the connection was closed."""
        data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, self.prefix + path, body=data, headers=self.headers)
                resp = self.conn.getresponse()
                raw = resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return resp.status, raw, resp
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def json(self, method, path, body=None):
        status, raw, _ = self.call(method, path, body)
        if status >= 300:
            sys.exit(f"{method} {path}: {status} {raw[:500]!r}")
        return json.loads(raw)


def q(filter_text):
    """The filter as a query-string value (RFC 3986 percent-encoding, spaces as %20)."""
    return urllib.parse.quote(filter_text, safe="")


# --- preload -----------------------------------------------------------------------------

def user(i, rng):
    """User i: a realistic mix of attributes, with the fixtures' needles at special i."""
    special = i % SPECIAL_MOD == SPECIAL_REM
    given = rng.choice(J_GIVEN if special else GIVEN)
    family = "O'Malley" if rng.random() < 0.02 else rng.choice(FAMILY)
    local = f"user{i}"
    user_name = f"{local}@example.com"
    if special:
        local = re.sub(r"[^a-z]", "", f"{given[0]}{family}".lower()) + str(i)
        # Half with a capital J: `userName sw "J"` is case-insensitive (RFC 7643 §2.2).
        user_name = (local[0].upper() + local[1:] if i % 80 == SPECIAL_REM else local) + "@example.com"
    external_id = "00u" + "".join(rng.choices(ALNUM, k=17))
    if external_id == "00u1a2b3c4d5e6f7g8h9":
        external_id = "00u0" + external_id[4:]
    u = {"schemas": [CORE_USER], "userName": user_name, "externalId": external_id,
         "name": {"givenName": given, "familyName": family, "formatted": f"{given} {family}"},
         "displayName": f"{given} {family}", "active": rng.random() >= 0.03}
    u["userType"] = rng.choices(["Employee", "Contractor", "Intern"], [70, 20, 10])[0]
    if rng.random() < 0.5:
        u["title"] = rng.choice(TITLES)
    r = rng.random()
    if r < 0.95:
        domain = "example.com" if r < 0.55 else "example.org" if r < 0.85 else "example.net"
        emails = [{"type": "work", "value": f"{local}@{domain}", "primary": True}]
        if rng.random() < 0.35:
            home = rng.choice(["example.org", "mail.example.net"])
            emails.append({"type": "home", "value": f"{local}.home@{home}"})
        u["emails"] = emails
    r = rng.random()
    if r < 0.10:
        u["ims"] = [{"type": "xmpp", "value": f"{local}@{'foo.com' if r < 0.06 else 'jabber.example.org'}"}]
    if rng.random() < 0.6:
        u["schemas"].append(ENTERPRISE)
        u[ENTERPRISE] = {"employeeNumber": str(1_000_000 + i), "department": rng.choice(DEPARTMENTS)}
    # The needles of benches/fixtures/filters.json, all on special slots.
    if i == SPECIAL_REM:
        u["userName"] = "bjensen"
        u["name"] = {"givenName": "Barbara", "familyName": "Jensen", "formatted": "Ms. Barbara J Jensen III"}
        u["displayName"] = "Babs Jensen"
        u["emails"] = [{"type": "work", "value": "bjensen@example.com", "primary": True},
                       {"type": "home", "value": "babs@jensen.org"}]
    elif i == SPECIAL_REM + SPECIAL_MOD:
        u["userName"] = "5f0a5d0c-3e1b-4d53-9a77-6a1b8a2c9e41"
    elif i == SPECIAL_REM + 2 * SPECIAL_MOD:
        u["externalId"] = "00u1a2b3c4d5e6f7g8h9"
    elif i == SPECIAL_REM + 3 * SPECIAL_MOD:
        if ENTERPRISE not in u["schemas"]:
            u["schemas"].append(ENTERPRISE)
        u[ENTERPRISE] = {"employeeNumber": "701984", "department": "Tour Operations"}
    return u


def bulk_bodies(ops):
    """Bulk request bodies of at most 1,000 operations and MAX_BULK_BYTES each."""
    pending = [ops[k:k + 1000] for k in range(0, len(ops), 1000)]
    while pending:
        chunk = pending.pop(0)
        body = json.dumps({"schemas": [BULK], "Operations": chunk}).encode()
        if len(body) > MAX_BULK_BYTES and len(chunk) > 1:
            half = len(chunk) // 2
            pending[:0] = [chunk[:half], chunk[half:]]
            continue
        yield len(chunk), body


def post_bulk(client, ops):
    """Posts ops through /Bulk, exiting on any failed operation."""
    for n, body in bulk_bodies(ops):
        status, raw, _ = client.call("POST", "/Bulk", body)
        if status != 200:
            sys.exit(f"/Bulk: {status} {raw[:500]!r}")
        results = json.loads(raw)["Operations"]
        bad = [r for r in results if not str(r.get("status", "")).startswith("2")]
        if len(results) != n or bad:
            sys.exit(f"/Bulk: {len(bad)} of {n} operations failed, first: {json.dumps(bad[:1])}")


def preload(base, n, seed):
    if n < 4 * SPECIAL_MOD:
        sys.exit(f"USERS must be at least {4 * SPECIAL_MOD} (the fixtures' needles)")
    rng = random.Random(seed)
    client = Client(base)
    for start in range(0, n, 1000):
        ops = [{"method": "POST", "path": "/Users", "bulkId": f"u{i}", "data": user(i, rng)}
               for i in range(start, min(start + 1000, n))]
        post_bulk(client, ops)


def groups(base, count, seed):
    rng = random.Random(seed + 1)
    client = Client(base)
    ids = []
    while len(ids) < 5000:
        page = client.json("GET", f"/Users?attributes=id&startIndex={len(ids) + 1}&count=200")
        ids += [r["id"] for r in page["Resources"]]
        if not page["Resources"]:
            break
    ops = []
    for k in range(count):
        name = "Sales Team" if k == 0 else f"{rng.choice(DEPARTMENTS)} {rng.choice(['Team', 'Leads', 'Guild', 'Project'])} {k}"
        g = {"schemas": [CORE_GROUP], "displayName": name,
             "externalId": "00g" + "".join(rng.choices(ALNUM, k=17)),
             "members": [{"value": v} for v in rng.sample(ids, min(len(ids), rng.randint(0, 25)))]}
        ops.append({"method": "POST", "path": "/Groups", "bulkId": f"g{k}", "data": g})
    post_bulk(client, ops)


def count(base):
    client = Client(base)
    users = client.json("GET", "/Users?count=0")["totalResults"]
    grps = client.json("GET", "/Groups?count=0")["totalResults"]
    print(users, grps)


# --- measuring ---------------------------------------------------------------------------

GROUP_ATTRS = {"id", "externalid", "meta", "displayname", "members", "schemas"}
OPERATORS = r"(?:eq|ne|co|sw|ew|gt|ge|lt|le|pr)\b"


def on_groups(filter_text):
    """Whether every attribute the filter names (outside value filters) is a Group's."""
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', filter_text)
    while "[" in bare:
        new = re.sub(r"\[[^\[\]]*\]", "", bare)
        if new == bare:
            break
        bare = new
    paths = re.findall(r"([^\s()\[\]]+)\s+" + OPERATORS, bare, flags=re.I)
    for p in paths:
        if p.lower().startswith("urn:"):
            urn, _, p = p.rpartition(":")
            if not urn.lower().endswith(":group"):
                return False
        if p.split(".")[0].lower() not in GROUP_ATTRS:
            return False
    return bool(paths)


def targets(filters):
    """(endpoint, filter) for every fixture: /Users, and /Groups when it fits a Group."""
    out = [("/Users", f) for f in filters]
    out += [("/Groups", f) for f in filters if on_groups(f)]
    return out


def ms(seconds):
    return f"{seconds * 1000:.1f}"


def statuses_text(codes):
    counts = {}
    for c in codes:
        counts[c] = counts.get(c, 0) + 1
    if len(counts) == 1:
        return str(codes[0])
    return ", ".join(f"{c}×{n}" for c, n in sorted(counts.items()))


def sequential(base, engine, filters_file, users, repeat, budget):
    filters = json.load(open(filters_file))
    client = Client(base)
    mid = users // 2 + 1
    rows = [(f"`{e}`", f"`{f}`", f"{e}?filter={q(f)}&count=100") for e, f in targets(filters)]
    sort_filter = "name.familyName co \"O'Malley\""
    rows.append(("/Users (extra: sortBy=userName)", f"`{sort_filter}`",
                 f"/Users?filter={q(sort_filter)}&sortBy=userName&count=100"))
    sw = 'userName sw "user"'
    rows.append((f"/Users (extra: startIndex={mid})", f"`{sw}`",
                 f"/Users?filter={q(sw)}&startIndex={mid}&count=100"))
    rows.append((f"/Users (extra: startIndex={mid}, baseline)", "(none)",
                 f"/Users?startIndex={mid}&count=100"))
    for endpoint, shown, path in rows:
        codes, times, total = [], [], ""
        while len(times) < repeat and (not times or sum(times) < budget):
            t = time.perf_counter()
            status, raw, _ = client.call("GET", path)
            times.append(time.perf_counter() - t)
            codes.append(status)
            if status == 200:
                total = str(json.loads(raw)["totalResults"])
            elif not total:
                try:
                    total = "(" + json.loads(raw).get("scimType", "") + ")"
                except ValueError:
                    pass
        runs = "" if len(times) == repeat else f" (n={len(times)}, ROW_BUDGET)"
        print(f"| {engine} | {endpoint} | {shown} | {statuses_text(codes)}{runs} | {total} | "
              f"{ms(min(times))} | {ms(statistics.median(times))} | {ms(max(times))} |", flush=True)


def loop(base, paths, seconds, offset, tally, lock, latencies=None):
    """Requests paths round-robin from offset until seconds pass; counts statuses."""
    client = Client(base)
    end = time.monotonic() + seconds
    k = offset
    while time.monotonic() < end:
        t = time.perf_counter()
        try:
            status, _, _ = client.call("GET", paths[k % len(paths)])
        except (http.client.HTTPException, OSError):
            status = "error"  # counted as other; the next call reconnects
        took = time.perf_counter() - t
        k += 1
        with lock:
            key = status if status in (200, 429, 400) else "other"
            tally[key] = tally.get(key, 0) + 1
            if latencies is not None and status == 200:
                latencies.append(took)
        if status == 429:
            # Told to come back later (Retry-After): a minimal back-off.
            time.sleep(0.2)


def run_clients(base, paths, clients, seconds, latencies=None):
    tally, lock = {}, threading.Lock()
    threads = [threading.Thread(target=loop, args=(base, paths, seconds, c * len(paths) // clients,
                                                   tally, lock, latencies))
               for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return tally


def proc_status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                fields[k] = int(v.split()[0])
    return fields


def mb(kib):
    return f"{kib / 1024:.0f} MB"


def mix(base, engine, filters_file, pid, clients, seconds):
    filters = json.load(open(filters_file))
    paths = [f"{e}?filter={q(f)}&count=100" for e, f in targets(filters)]
    before = proc_status(pid)
    peak = [before["VmRSS"]]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], proc_status(pid)["VmRSS"])
            stop.wait(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    t = time.monotonic()
    tally = run_clients(base, paths, clients, seconds)
    took = time.monotonic() - t
    stop.set()
    sampler.join()
    after = proc_status(pid)
    total = sum(tally.values())
    print(f"| {engine} | {clients} × {len(paths)} filters, {took:.0f} s | {mb(before['VmRSS'])} "
          f"(VmHWM {mb(before['VmHWM'])}) | {mb(peak[0])} | {mb(after['VmHWM'])} | {mb(after['VmRSS'])} | "
          f"{total} | {tally.get(200, 0)} | {tally.get(429, 0)} | {tally.get(400, 0)} | "
          f"{tally.get('other', 0)} |", flush=True)


def scan(base, clients, seconds, filters):
    paths = [f"/Users?filter={q(f)}&count=100" for f in filters]
    latencies = []
    tally = run_clients(base, paths, clients, seconds, latencies)
    median = ms(statistics.median(latencies)) if latencies else "-"
    print(sum(tally.values()), tally.get(200, 0), tally.get(429, 0),
          sum(v for k, v in tally.items() if k not in (200, 429)), median)


def main():
    base = os.environ["BASE"]
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "count":
        count(base)
    elif cmd == "preload":
        preload(base, int(args[0]), int(args[1]))
    elif cmd == "groups":
        groups(base, int(args[0]), int(args[1]))
    elif cmd == "sequential":
        sequential(base, args[0], args[1], int(args[2]), int(args[3]), float(args[4]))
    elif cmd == "mix":
        mix(base, args[0], args[1], int(args[2]), int(args[3]), float(args[4]))
    elif cmd == "scan":
        scan(base, int(args[0]), float(args[1]), args[2:])
    else:
        sys.exit(f"unknown subcommand {cmd}")


if __name__ == "__main__":
    main()
