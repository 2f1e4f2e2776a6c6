"""A year of replay at full speed with the chain and charts visible never stalls the GUI thread.

The whole terminal runs as it does for a trader (window, every panel, the bridge's 100 ms
coalesced refresh, the chain and chart following the replay's close in their worker thread),
replaying 2015 at Max speed with every candidate approved so positions open and close. A 5 ms
QTimer on the GUI thread records the longest gap between its ticks: the main thread's longest
stall. The Done-when bound is 100 ms. Kernels are warmed first (as the terminal does at start):
the stall measured is the replay's, not numba's first compilation.
"""

from __future__ import annotations

import gc
import time
from datetime import date
from pathlib import Path

from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from terminal import docks
from terminal.app import LaunchOptions, start_desk
from terminal.controller import TerminalController
from terminal.main_window import MainWindow
from tests.terminal.async_support import run_on_qt_loop
from tests.waiting import until

FIRST, LAST = date(2015, 1, 2), date(2015, 12, 31)
TICK_MS = 5
MAX_STALL_S = 0.100


class StallMeter:
    """Record the longest gap between ticks of a fast timer on the GUI thread."""

    def __init__(self) -> None:
        self.longest = 0.0
        self.ticks = 0
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        """Start measuring from now."""
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        """Stop measuring."""
        self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self._last)
        self._last = now
        self.ticks += 1


def test_a_year_at_full_speed_never_stalls_the_gui_thread_over_100_ms(qtbot: QtBot, tmp_path: Path) -> None:
    window = MainWindow(docks.default_docks())
    qtbot.addWidget(window)
    window.resize(1600, 960)
    window.show()
    controller = TerminalController(window)  # the terminal's own: history loader, kernel warm-up
    meter = StallMeter()
    options = LaunchOptions(day=FIRST, first=FIRST, last=LAST, journal=tmp_path / "journal.sqlite",
                            approve_all=True)

    async def scenario() -> None:
        bridge = await start_desk(window, controller, options)  # as `optimus` starts
        await controller.wait_idle()
        session = bridge.session
        for name in (docks.CHAIN, docks.CHART):
            assert window.dock(name).isVisible()
            assert not window.dock(name).visibleRegion().isEmpty()
        meter.start()
        bridge.play()
        await until(lambda: not bridge.playing, "the end of 2015", patience=300.0)
        meter.stop()
        assert session.cursor().date() == date(2015, 12, 31)
        assert len(session.journal.positions()) > 3  # trades happened along the way
        chain = window.panel(docks.CHAIN)
        await until(lambda: chain.as_of() >= date(2015, 12, 30), "the chain to follow the replay")
        await bridge.aclose()
        await controller.aclose()
        session.journal.store.close()

    try:
        run_on_qt_loop(scenario())
    finally:
        gc.unfreeze()  # start_desk froze the heap for the terminal's lifetime; give it back
    print(f"longest GUI stall {meter.longest * 1000:.1f} ms over {meter.ticks} ticks")
    assert meter.ticks > 50
    assert meter.longest <= MAX_STALL_S, f"the GUI thread stalled {meter.longest * 1000:.0f} ms"
