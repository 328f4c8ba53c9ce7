"""Starting a stdio entry the way a desktop client does, with the TypeScript MCP SDK
(tests/clients/launch.mjs), for the packaging tests."""

import json
import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LAUNCH = REPO / "tests" / "clients" / "launch.mjs"
GATEWAY_BIN = os.environ.get("GATEWAY_BIN", str(REPO / "target" / "debug" / "arcade-mcp-gateway"))
NODE_BIN = REPO / "tests" / "packaging" / "node_modules" / ".bin"


def launch(spec, env=None, timeout=120):
    """Launches a stdio entry with the TypeScript SDK as a desktop client does
    (tests/clients/launch.mjs): the tool names it lists, and the `called …` line."""
    done = subprocess.run(
        ["node", str(LAUNCH), json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, f"{spec}\n{done.stdout}\n{done.stderr}"
    lines = done.stdout.splitlines()
    return [line for line in lines if not line.startswith("called ")], [
        line for line in lines if line.startswith("called ")
    ]
