#!/usr/bin/env bash
# Proves the library crates package for crates.io: `cargo package` builds the .crate
# files and then compiles each one from its unpacked contents, as a user would get it.
#
# scim2-core depends on scim2-filter, which is not on crates.io yet. Packaged alone,
# scim2-core cannot be verified (its verification resolves scim2-filter from the
# registry). Packaged together in one invocation, cargo resolves the workspace
# dependency against the scim2-filter it has just packaged, so both are verified.
# Publishing follows the same order: scim2-filter first, then scim2-core.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo package --locked -p scim2-filter -p scim2-core "$@"
