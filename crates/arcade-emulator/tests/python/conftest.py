"""pytest fixtures of the emulator's Python tests (see emulator_process.py)."""

from emulator_process import emulator  # noqa: F401  (a fixture, registered by import)
