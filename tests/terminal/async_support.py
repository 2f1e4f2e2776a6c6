"""Run a coroutine on a qasync loop over the test's QApplication, as the terminal does."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import qasync
from PySide6.QtWidgets import QApplication

Result = TypeVar("Result")


def run_on_qt_loop(coroutine: Coroutine[Any, Any, Result]) -> Result:
    """Run `coroutine` to completion on a fresh qasync loop; return its result."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        return runner.run(coroutine)
