"""pytest fixtures of the contract check's tests: the emulator process helpers come
from the emulator crate's test helpers, and the checker is imported from this folder."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "crates" / "arcade-emulator" / "tests" / "python"))
