#!/usr/bin/env bash
# The whole test suite: Rust unit and integration tests of the whole workspace (rmcp's
# client against the real binaries; the TypeScript SDK launching what `configure`
# writes), the Python clients (the `mcp` SDK against the gateway, `arcadepy` against
# the emulator), then the official MCP conformance suite. Redis is installed when
# missing, and its tests fail rather than skip without it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-redis.sh
export REQUIRE_REDIS=1
bash scripts/setup-python.sh
npm ci --prefix tests/conformance --no-audit --no-fund --loglevel=error
npm ci --prefix tests/clients --no-audit --no-fund --loglevel=error
cargo build --workspace --bins --examples
cargo test --workspace --all-targets
GATEWAY_BIN="$PWD/target/debug/arcade-mcp-gateway" EMULATOR_BIN="$PWD/target/debug/arcade-emulator" \
  .venv/bin/python -m pytest tests/python crates/arcade-emulator/tests/python -q
bash tests/conformance/run.sh
