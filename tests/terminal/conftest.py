"""Fixtures of the terminal tests: the panel tests' (headless Qt, no user directories, no leaks)."""

from __future__ import annotations

from tests.widgets.conftest import isolated_config, no_leaked_windows

__all__ = ["isolated_config", "no_leaked_windows"]
