"""The `emulator` pytest fixture: a real `arcade-emulator` process per test.

Used by the emulator's own tests (the official `arcadepy` client against it) and by
the gateway's Python tests, whose conftest imports it.

The binary is `target/debug/arcade-emulator` (build it with `cargo build --workspace`),
or the path in `EMULATOR_BIN`. The emulator binds port 0 and prints
`arcade emulator listening on http://127.0.0.1:PORT`, which is where the URL is read.
"""

from __future__ import annotations

import os
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

REPO = Path(__file__).resolve().parents[4]
API_KEY = "arc_pytest_key"
READY_PREFIX = "arcade emulator listening on "


@dataclass
class RunningEmulator:
    """Where a started emulator listens and the key it wants."""

    base_url: str
    api_key: str


def emulator_bin() -> Path:
    return Path(os.environ.get("EMULATOR_BIN", REPO / "target" / "debug" / "arcade-emulator"))


def start_emulator(*extra_args: str) -> tuple[subprocess.Popen[str], RunningEmulator]:
    """Starts the emulator and waits (10 s at most) for its ready line."""
    binary = emulator_bin()
    if not binary.exists():
        pytest.fail(f"{binary} is missing: run `cargo build --workspace` or set EMULATOR_BIN")
    env = {**os.environ, "ARCADE_API_KEY": API_KEY, "RUST_LOG": "warn"}
    process = subprocess.Popen(
        [str(binary), "--bind", "127.0.0.1:0", *extra_args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    found: list[str] = []
    reader = threading.Thread(target=lambda: found.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout=10)
    line = found[0].strip() if found else ""
    if not line.startswith(READY_PREFIX):
        process.kill()
        pytest.fail(f"emulator did not start (first stdout line: {line!r})")
    return process, RunningEmulator(base_url=line[len(READY_PREFIX):], api_key=API_KEY)


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def emulator() -> Iterator[RunningEmulator]:
    """A fresh emulator with the demo catalog, stopped after the test."""
    process, running = start_emulator()
    try:
        yield running
    finally:
        stop(process)
