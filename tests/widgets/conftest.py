"""Fixtures of the panel tests: headless Qt, no user directories, no leaked windows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from tests.widgets.qt_support import check_no_leaks, live_top_level_widgets, widget_key


@pytest.fixture(autouse=True)
def isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the terminal's config directory at the test's temporary directory."""
    folder = tmp_path / "config"
    monkeypatch.setenv("OPTIMUS_CONFIG_DIR", str(folder))
    monkeypatch.setenv("OPTIMUS_DATA_DIR", str(tmp_path / "data"))  # replay journals too
    return folder


@pytest.fixture(autouse=True)
def no_leaked_windows(qapp: QApplication, request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test that leaves a top-level widget alive once its fixtures are gone."""
    before = {widget_key(w) for w in live_top_level_widgets(collect=False)}
    yield
    # This fixture is torn down after the test's own; drop the test's references to their
    # values so what they owned can be collected (pytest itself drops them a moment later).
    request.node.funcargs.clear()
    check_no_leaks(before)
