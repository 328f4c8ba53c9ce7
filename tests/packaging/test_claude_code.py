"""The real Claude Code CLI (npm @anthropic-ai/claude-code) reads what `configure
claude-code` wrote, in a home of its own, and checks each server with the model-free
`claude mcp list`: the entry on the emulator shows as connected; an entry whose key is
missing where Claude Code runs shows as failed, with the gateway's reason."""

import os
import subprocess

from sdk_launch import GATEWAY_BIN, NODE_BIN

CLEAN_PATH = "/usr/bin:/bin"


def home_env(home, **extra):
    return {
        "HOME": str(home),
        "PATH": CLEAN_PATH,
        # `mcp list` needs no model; nothing leaves loopback.
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_AUTOUPDATER": "1",
        **extra,
    }


def configure(home, *args):
    done = subprocess.run(
        [GATEWAY_BIN, "configure", "claude-code", *args],
        env=home_env(home, ARCADE_USER_ID="ann@example.com"),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


def claude_mcp_list(home):
    done = subprocess.run(
        [str(NODE_BIN / "claude"), "mcp", "list"],
        env=home_env(home),
        capture_output=True,
        text=True,
        timeout=180,
    )
    lines = {line.split(":", 1)[0]: line for line in done.stdout.splitlines() if ": " in line}
    return done, lines


def test_claude_code_shows_the_emulator_entry_connected_and_a_keyless_one_failed_with_why(tmp_path):
    configure(tmp_path, "--emulator")
    configure(tmp_path, "--name", "arcade-nokey", "--toolkit", "Math")
    done, lines = claude_mcp_list(tmp_path)
    said = done.stdout + done.stderr
    assert "✔ Connected" in lines.get("arcade", ""), said
    assert os.path.realpath(GATEWAY_BIN) in lines["arcade"], said
    failed = lines.get("arcade-nokey", "")
    assert "Failed" in failed and "Connected" not in failed, said
    assert "could not start" in failed and "set ARCADE_API_KEY" in failed, said
