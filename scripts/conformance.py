"""Runs every scim2-tester check against a SCIM server and prints each result.

Usage: python conformance.py BASE_URL [TOKEN]
Prints one line per check, then `N passed, M failed`; exits 1 if any check failed.
A check passes when scim2-tester rates it SUCCESS, COMPLIANT or ACCEPTABLE.
"""

import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

PASSING = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE}


def main() -> int:
    url = sys.argv[1]
    token = sys.argv[2] if len(sys.argv) > 2 else None
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    client = SyncSCIMClient(Client(base_url=url, headers=headers, timeout=30))
    results = check_server(client)
    passed = failed = skipped = 0
    for r in results:
        kind = r.resource_type or "-"
        if r.status == Status.SKIPPED:
            skipped += 1
            continue
        ok = r.status in PASSING
        passed += ok
        failed += not ok
        mark = "ok  " if ok else "FAIL"
        line = f"{mark} {r.status.name:<10} [{kind}] {r.title}"
        if not ok:
            line += f"\n       reason: {r.reason}"
        print(line)
    print(f"conformance: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
