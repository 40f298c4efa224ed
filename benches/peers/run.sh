#!/usr/bin/env bash
# Runs the peer implementations on the shared fixtures (benches/fixtures/) and prints
# their throughput, to set beside `cargo bench -p scim-benches` figures from the same
# machine. Installs the peers into a throw-away directory with npm.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here"/*.js "$work"/
export FIXTURES="$here/../fixtures"
cd "$work"
npm init -y >/dev/null
npm install --silent --no-audit --no-fund scim2-parse-filter@0.2.10 scim-patch@0.8.3 >/dev/null
node filter_parse.js
node patch.js
