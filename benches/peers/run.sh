#!/usr/bin/env bash
# Runs the peer implementations on the shared fixtures (benches/fixtures/) and prints
# their throughput, to set beside `cargo bench -p scim-benches` figures from the same
# machine: npm scim2-parse-filter and scim-patch, PyPI scim2-filter-parser. Installs
# them into a throw-away directory (npm, and a Python venv).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here"/*.js "$here"/*.py "$work"/
export FIXTURES="$here/../fixtures"
cd "$work"
npm init -y >/dev/null
npm install --silent --no-audit --no-fund scim2-parse-filter@0.2.10 scim-patch@0.8.3 >/dev/null
node filter_parse.js
node patch.js
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q --disable-pip-version-check "scim2-filter-parser==0.7.0"
"$work/venv/bin/python" filter_parse.py
