"""The installed Qt bindings keep None/True alive (PySide6 6.12.0 did not: see terminal.qt_compat)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal

from terminal.qt_compat import check_bindings, emit_leaks_true_references, void_calls_leak_none_references


class Emitter(QObject):
    sig_thing_happened = Signal()  # emitted by the test only


def test_installed_bindings_do_not_leak_singleton_references() -> None:
    assert not emit_leaks_true_references(), "this PySide6 loses a reference to True per emit"
    assert not void_calls_leak_none_references(), "this PySide6 loses a reference to None per call"
    check_bindings()  # raises on a leaking build


def test_many_emits_leave_the_singleton_counts_unchanged() -> None:
    emitter = Emitter()
    before_true, before_none = sys.getrefcount(True), sys.getrefcount(None)
    for _ in range(20_000):  # several times what aborted the interpreter under 6.12.0
        emitter.sig_thing_happened.emit()
        emitter.setObjectName("x")
    assert abs(sys.getrefcount(True) - before_true) < 100
    assert abs(sys.getrefcount(None) - before_none) < 100
