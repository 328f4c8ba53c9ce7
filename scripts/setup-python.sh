#!/usr/bin/env bash
# Creates .venv with the Python clients the tests drive (the `mcp` SDK, `arcadepy`, pytest)
# and the packaging tools (maturin, uv).
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt \
  -r tests/packaging/requirements.txt
