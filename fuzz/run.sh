#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 30: a smoke run), seeded from seeds/
# and the SCIM dictionary. Needs cargo-fuzz; the stable toolchain is enough with
# RUSTC_BOOTSTRAP=1. Usage: fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-30}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(RUSTC_BOOTSTRAP=1 cargo fuzz list)
fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
for t in "${targets[@]}"; do
  case "$t" in
    path_*) seeds=seeds/path ;;
    patch_*) seeds=seeds/patch ;;
    resource_*) seeds=seeds/resource ;;
    service) seeds=seeds/service ;;
    *) seeds=seeds/filter ;;
  esac
  mkdir -p "corpus/$t"
  echo "== $t for ${secs}s"
  RUSTC_BOOTSTRAP=1 cargo fuzz run "$t" "corpus/$t" "$seeds" -- \
    -dict=dict/scim.dict -max_total_time="$secs" -max_len=512 -print_final_stats=1
done
