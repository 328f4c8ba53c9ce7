#!/usr/bin/env bash
# Runs one cargo-fuzz target of fuzz/ on the stable toolchain.
#
#   scripts/fuzz.sh TARGET [SECONDS]    # fuzz TARGET for SECONDS (default 600)
#   scripts/fuzz.sh --list              # the targets
#   scripts/fuzz.sh --build             # build every target, run none
#
# Targets: tool_conversion, stdio_jsonrpc, http_transport. The seeds in
# fuzz/corpus/TARGET/seed-* start each run; what the fuzzer adds next to them is
# ignored by git, and a crash is written to fuzz/artifacts/TARGET/.
# Needs `cargo install cargo-fuzz`. cargo-fuzz wants nightly features:
# RUSTC_BOOTSTRAP=1 unlocks them on stable, and `-s none` skips AddressSanitizer
# (a nightly-only -Z flag); Rust's own checks still turn memory bugs into panics.
set -euo pipefail
cd "$(dirname "$0")/.."

export RUSTC_BOOTSTRAP=1
# Inside the one target dir of the repository, apart from the debug builds.
opts=(-s none --target-dir target/fuzz)

case "${1:-}" in
  --list) exec cargo fuzz list ;;
  --build) exec cargo fuzz build "${opts[@]}" ;;
  ""|-*) echo "usage: scripts/fuzz.sh TARGET [SECONDS] | --list | --build" >&2; exit 2 ;;
esac

target=$1
seconds=${2:-600}
mkdir -p "fuzz/corpus/$target" "fuzz/artifacts/$target"
exec cargo fuzz run "${opts[@]}" "$target" "fuzz/corpus/$target" -- \
  -jobs=1 -workers=1 -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 \
  -artifact_prefix="fuzz/artifacts/$target/" -print_final_stats=1
