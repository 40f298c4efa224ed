"""Parses the shared filter fixtures with PyPI scim2-filter-parser for about 3 seconds and
prints filters/second. Run by run.sh."""

import json
import os
import sys
import time

from scim2_filter_parser.lexer import SCIMLexer
from scim2_filter_parser.parser import SCIMParser

here = os.path.dirname(os.path.abspath(__file__))
fixtures = os.environ.get("FIXTURES", os.path.join(here, "..", "fixtures"))
with open(os.path.join(fixtures, "filters.json")) as f:
    filters = json.load(f)


def parse(text):
    return SCIMParser().parse(SCIMLexer().tokenize(text))


usable = []
for text in filters:
    try:
        parse(text)
        usable.append(text)
    except Exception:
        pass

for _ in range(200):
    for text in usable:
        parse(text)
n = 0
start = time.perf_counter()
while time.perf_counter() - start < 3:
    for _ in range(50):
        for text in usable:
            parse(text)
    n += 50 * len(usable)
elapsed = time.perf_counter() - start
print(f"scim2-filter-parser parse: {round(n / elapsed)} filters/s ({len(usable)} of {len(filters)} fixtures accepted)")
sys.exit(0)
