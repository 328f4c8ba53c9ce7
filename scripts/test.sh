#!/usr/bin/env bash
# The whole test suite: Rust unit and integration tests (rmcp's client against the real
# binary), then the Python clients (the `mcp` SDK and `arcadepy`) against it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-python.sh
cargo build --bins --examples
cargo test --all-targets
GATEWAY_BIN="$PWD/target/debug/arcade-mcp-gateway" .venv/bin/python -m pytest tests/python -q
