"""Checks and quirks of the installed Qt bindings.

PySide6 6.12.0 (shiboken6 6.12.0) returns singletons without taking a reference to them:
``SignalInstance.emit()`` returns ``True``, and many void methods (``processEvents``,
``setText``, Python overrides of virtuals such as ``paintEvent``) return ``None``. Every call
takes one reference from the singleton. Python 3.12+ has immortal singletons and never
notices; on 3.11 the count reaches zero after a few thousand calls and the process aborts
("Fatal Python error: bool_dealloc"). 6.11.3 is not affected, so pyproject.toml pins
PySide6-Essentials below 6.12. ``check_bindings`` measures the leak at start-up and refuses
to run, with a message saying what to install, rather than crash minutes later.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from PySide6.QtCore import QMessageLogContext, QObject, QtMsgType, Signal, qInstallMessageHandler

log = logging.getLogger(__name__)
_PROBE_EMITS = 32


class _Probe(QObject):
    sig_probe_emitted = Signal()  # emitted only to measure the leak


def emit_leaks_true_references() -> bool:
    """Return True when emitting a Qt signal from Python takes a reference from ``True``."""
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(_PROBE_EMITS):
        probe.sig_probe_emitted.emit()
    return before - sys.getrefcount(True) >= _PROBE_EMITS


def void_calls_leak_none_references() -> bool:
    """Return True when a void Qt method takes a reference from ``None``."""
    probe = _Probe()
    before = sys.getrefcount(None)
    for _ in range(_PROBE_EMITS):
        probe.setObjectName("probe")
    return before - sys.getrefcount(None) >= _PROBE_EMITS


class BindingsError(RuntimeError):
    """The installed Qt bindings are known to crash this interpreter."""


def check_bindings() -> None:
    """Raise BindingsError when the installed PySide6 loses references to None/True/False."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return  # immortal singletons: the leak cannot hurt
    if emit_leaks_true_references() or void_calls_leak_none_references():
        raise BindingsError(
            f"PySide6 {_pyside_version()} drops references to None/True on every call and would "
            "crash Python 3.11 within minutes; install PySide6-Essentials<6.12 (pyproject.toml "
            "pins it: run `make demo` again or `pip install 'PySide6-Essentials<6.12'`)"
        )


def _pyside_version() -> str:
    import PySide6

    return str(PySide6.__version__)


_QUIET_MESSAGES = (
    # The offscreen platform (screenshots, tests, benchmarks) cannot resize a native window to
    # its size hints and says so on every top-level show; nothing is wrong.
    "This plugin does not support propagateSizeHints()",
)
_previous_handler: Callable[[QtMsgType, QMessageLogContext, str], object] | None = None
_quieted = False


def _filter_qt_message(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
    if any(quiet in message for quiet in _QUIET_MESSAGES):
        return
    if _previous_handler is not None:
        _previous_handler(mode, context, message)
    else:
        print(message, file=sys.stderr)  # what Qt's default handler does


def quiet_known_qt_messages() -> None:
    """Drop Qt's log messages that are known to be harmless; pass every other one on."""
    global _previous_handler, _quieted
    if not _quieted:
        _previous_handler = qInstallMessageHandler(_filter_qt_message)
        _quieted = True
