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

# Cargo unpacks the crates of that temporary registry under $CARGO_HOME/registry/src/
# in a directory named after the registry's path (starting with "-": it has no host),
# and reuses an unpacked scim2-* of the same version on the next run even when its
# sources have changed since. Remove those stale copies (only ours, only from local
# registries) so each run verifies the sources as they are now.
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
rm -rf "$cargo_home"/registry/src/-*/scim2-filter-* "$cargo_home"/registry/src/-*/scim2-core-*
# Cargo also takes a registry crate's build as final (crates.io versions never change),
# so scim2-core's verification would link a scim2-filter compiled from an earlier run's
# sources. Verify in a target directory of its own, where every scim2-* build is one of
# these, and remove them first; the other dependencies' builds stay cached there.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/package-verify"
rm -rf "$CARGO_TARGET_DIR"/debug/.fingerprint/scim2-* "$CARGO_TARGET_DIR"/debug/deps/*scim2_*

cargo package --locked -p scim2-filter -p scim2-core "$@"

# Both licences the crates are offered under travel inside each .crate (the folders link
# to the texts at the root).
for crate in scim2-filter scim2-core; do
  files=$(cargo package --locked --list -p "$crate" "$@")
  for licence in LICENSE-MIT LICENSE-APACHE; do
    if ! grep -qxF "$licence" <<<"$files"; then
      echo "$crate: the packaged crate has no $licence" >&2
      exit 1
    fi
  done
done
