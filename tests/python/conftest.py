"""pytest fixtures of the gateway's Python tests: the `emulator` fixture, a real
`arcade-emulator` process per test, comes from the emulator crate's test helpers."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "crates" / "arcade-emulator" / "tests" / "python"))

from emulator_process import emulator  # noqa: E402,F401  (a fixture, registered by import)
