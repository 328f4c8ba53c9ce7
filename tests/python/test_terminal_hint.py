"""`serve` started by hand in a terminal says on stderr that it waits for an MCP client
and how to try it, instead of sitting silent; launched by a client (stdin a pipe), it
says nothing of the kind. The terminal is a real pseudo-terminal on stdin."""

import os
import pty
import select
import subprocess
import time

GATEWAY_BIN = os.environ.get("GATEWAY_BIN", "target/debug/arcade-mcp-gateway")
HINT = "waiting for an MCP client"


def stderr_until(process, needle, seconds):
    """The stderr read until `needle` shows up or `seconds` pass."""
    seen = b""
    deadline = time.monotonic() + seconds
    while needle.encode() not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([process.stderr], [], [], 0.2)
        if ready:
            chunk = os.read(process.stderr.fileno(), 4096)
            if not chunk:
                break
            seen += chunk
    return seen.decode(errors="replace")


def test_serve_in_a_terminal_says_it_waits_and_how_to_try_it():
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [GATEWAY_BIN, "serve", "--emulator", "--no-catalog-cache"],
        stdin=terminal,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={"PATH": "/usr/bin:/bin"},
    )
    os.close(terminal)
    try:
        said = stderr_until(process, HINT, 60)
    finally:
        process.kill()
        process.wait()
        os.close(controller)
    hint = [line for line in said.splitlines() if HINT in line]
    assert len(hint) == 1, said
    assert "configure claude-code" in hint[0] and "call Math.Add --emulator" in hint[0], hint


def test_serve_launched_by_a_client_prints_no_hint():
    finished = subprocess.run(
        [GATEWAY_BIN, "serve", "--emulator", "--no-catalog-cache"],
        stdin=subprocess.PIPE,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert "serving over stdio" in finished.stderr.decode(), finished.stderr
    assert HINT not in finished.stderr.decode()
