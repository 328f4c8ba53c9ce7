#!/usr/bin/env bash
# The whole test suite: Rust unit and integration tests of the whole workspace (rmcp's
# client against the real binaries; the TypeScript SDK launching what `configure`
# writes), the Python clients (the `mcp` SDK against the gateway, `arcadepy` against
# the emulator), the packaging (the wheel installed with no Rust, uvx, the Claude
# Desktop bundle, the real Claude Code CLI), then the official MCP conformance suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-python.sh
npm ci --prefix tests/conformance --no-audit --no-fund --loglevel=error
npm ci --prefix tests/clients --no-audit --no-fund --loglevel=error
npm ci --prefix tests/packaging --no-audit --no-fund --loglevel=error
cargo build --workspace --bins --examples
cargo test --workspace --all-targets
debug="${CARGO_TARGET_DIR:-$PWD/target}/debug"
GATEWAY_BIN="$debug/arcade-mcp-gateway" EMULATOR_BIN="$debug/arcade-emulator" \
  .venv/bin/python -m pytest tests/python tests/packaging crates/arcade-emulator/tests/python -q
bash tests/conformance/run.sh
