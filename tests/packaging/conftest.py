"""Fixtures of the packaging tests: the wheel (built once per run), the gateway binary,
the TypeScript SDK launcher, and the `emulator` fixture from the emulator crate's test
helpers (a real `arcade-emulator` process per test)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "crates" / "arcade-emulator" / "tests" / "python"))

from emulator_process import emulator  # noqa: E402,F401  (a fixture, registered by import)


@pytest.fixture(scope="session")
def wheel(tmp_path_factory):
    """The wheel, built once per run: the `dev` profile, so that maturin reuses the debug
    build the rest of the suite has just made (a release build would add many minutes
    to CI; the published wheels are built with the `dist` profile by the release
    workflow). `WHEEL` names a wheel built beforehand instead."""
    if os.environ.get("WHEEL"):
        return Path(os.environ["WHEEL"]).resolve()
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "maturin", "build", "--profile", "dev", "--out", str(out), "--quiet"],
        cwd=REPO,
        check=True,
    )
    (built,) = out.glob("arcade_mcp_gateway-*.whl")
    return built

