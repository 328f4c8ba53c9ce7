#!/usr/bin/env bash
# The whole test suite: Rust unit and integration tests of the whole workspace (rmcp's
# client against the real binaries; the TypeScript SDK launching what `configure`
# writes), the Python clients (the `mcp` SDK against the gateway, `arcadepy` against
# the emulator), `@arcadeai/arcadejs` against the emulator, the packaging (the wheel
# installed with no Rust, uvx, the Claude Desktop bundle, the real Claude Code CLI),
# the official MCP conformance suite, then the contract check: every exchange with an
# emulator during all of the above, checked against Arcade's API (docs/arcade-api.md).
# Redis is installed when missing, and its tests fail rather than skip without it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-redis.sh
export REQUIRE_REDIS=1
bash scripts/setup-python.sh
# Debian's headless Chromium and its driver, for the user verifier's browser test
# (screenshots of its pages land in target/screenshots/).
sudo_unless_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
{ command -v chromium >/dev/null && command -v chromedriver >/dev/null; } ||
  (sudo_unless_root apt-get update -q &&
    sudo_unless_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver)
npm ci --prefix tests/conformance --no-audit --no-fund --loglevel=error
npm ci --prefix tests/clients --no-audit --no-fund --loglevel=error
npm ci --prefix tests/packaging --no-audit --no-fund --loglevel=error
cargo build --workspace --bins --examples
# Every emulator started from here on (in a test binary or as a process) records its
# /v1 exchanges in this folder, one file per process.
export ARCADE_EMULATOR_CONTRACT_LOG="$PWD/target/contract-log"
rm -rf "$ARCADE_EMULATOR_CONTRACT_LOG"
cargo test --workspace --all-targets
debug="${CARGO_TARGET_DIR:-$PWD/target}/debug"
export GATEWAY_BIN="$debug/arcade-mcp-gateway" EMULATOR_BIN="$debug/arcade-emulator"
.venv/bin/python -m pytest tests/python tests/packaging crates/arcade-emulator/tests/python tests/contract -q
node --test tests/clients/arcadejs.test.mjs
bash tests/conformance/run.sh
.venv/bin/python tests/contract/check_contract.py "$ARCADE_EMULATOR_CONTRACT_LOG"
