"""The desktop application: one QApplication, one qasync event loop, the engine on that loop.

The window is shown and painted before anything slow happens (no pandas, no numba on the
path to the first paint); the history, the kernel warm-up and the first snapshot follow
behind it (see terminal.controller).

Live mode (terminal.live_mode): the Broker menu connects to Interactive Brokers and swaps the
desk from the replay to a live session; ``--ib HOST:PORT`` does so at start (``--as-of`` parks the
live clock at a moment and lets it run on from there).

Measurement hooks: with ``OPTIMUS_FIRST_PAINT_MARKER=1`` the process prints
``FIRST_PAINT <time.time()>`` when the main window first paints and ``READY <time.time()>``
when both panels show their data; ``exit_after_first_paint`` stops right after the first.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import os
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import qasync
from PySide6.QtWidgets import QApplication, QMessageBox

from terminal.docks import LayoutStore, default_docks
from terminal.main_window import DEFAULT_SIZE, MainWindow
from terminal.qt_compat import check_bindings, quiet_known_qt_messages
from terminal.theme import Theme, apply_theme, load_theme

if TYPE_CHECKING:
    from engine.model.connection import IbSettings
    from terminal.controller import TerminalController
    from terminal.desk_bridge import DeskBridge
    from terminal.live_mode import LiveMode

MARKER_ENV = "OPTIMUS_FIRST_PAINT_MARKER"
Value = TypeVar("Value")
APP_TITLE = "Optimus Terminal"


@dataclass(frozen=True, slots=True)
class LaunchOptions:
    """How the terminal was asked to start (from the command line)."""

    day: date | None = None  # the replay parks at this session's close (default: the demo's)
    screenshot: Path | None = None
    size: tuple[int, int] | None = None
    exit_after_first_paint: bool = False
    first: date | None = None  # the replay's range (default: the parking day's year to the end)
    last: date | None = None
    journal: Path | None = None  # resume this replay journal (default: a new one)
    approve_all: bool = False  # approve every candidate at once, as a headless replay does
    theme: str = "dark"
    ib: IbSettings | None = None  # connect to Interactive Brokers at start (--ib HOST:PORT)
    as_of: datetime | None = None  # the live clock starts here and runs on (default: the wall clock)

    @property
    def window_size(self) -> tuple[int, int]:
        """Return the window size to open with."""
        return self.size or DEFAULT_SIZE


def markers_enabled() -> bool:
    """Return True when start-up markers are to be printed."""
    return os.environ.get(MARKER_ENV) == "1"


def _marker(name: str, moment: float | None = None) -> None:
    if markers_enabled():
        print(f"{name} {moment if moment is not None else time.time()}", flush=True)


def run(options: LaunchOptions) -> int:
    """Run the terminal until its window closes (or the screenshot is written); return the exit code."""
    if options.screenshot is not None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    check_bindings()
    quiet_known_qt_messages()
    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_TITLE)
    # The loop, not Qt, decides when we are done (after the layout is saved, tasks cancelled).
    app.setQuitOnLastWindowClosed(False)
    with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
        return runner.run(run_terminal(app, options))


def make_window(theme: Theme, options: LaunchOptions) -> MainWindow:
    """Build the main window; restore the saved layout unless taking a screenshot."""
    interactive = options.screenshot is None and not options.exit_after_first_paint
    store = LayoutStore() if options.screenshot is None else None
    window = MainWindow(default_docks(theme.chain_colors(), theme.chart), store)
    window.resize(*options.window_size)
    if store is None or not window.restore_layout():
        window.reset_layout()  # again at the final size, for the default split
    if not interactive:
        window.set_layout_saving(False)  # measuring or screenshotting must not rewrite a layout
    return window


async def run_terminal(app: QApplication, options: LaunchOptions) -> int:
    """Show the window, then feed it; return the process exit code."""
    window = await _show_window(app, options)
    try:
        if options.exit_after_first_paint:
            return 0
        # After the paint, and off the GUI thread: the controller pulls in pandas (~0.5 s).
        loaded = await asyncio.get_running_loop().run_in_executor(
            None, importlib.import_module, "terminal.controller")
        controller: TerminalController = loaded.TerminalController(window)
        try:
            if options.screenshot is not None:
                return await _take_screenshot(window, controller, options)
            return await _run_interactive(window, controller, options)
        finally:
            await controller.aclose()
    finally:
        window.set_layout_saving(False)
        window.close()
        window.deleteLater()


async def _show_window(app: QApplication, options: LaunchOptions) -> MainWindow:
    theme = load_theme(options.theme)
    apply_theme(app, theme)  # before any plot exists: pyqtgraph reads its colours at creation
    window = make_window(theme, options)
    painted: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    window.sig_first_painted.connect(lambda moment: _settle(painted, moment))
    window.show()
    _marker("FIRST_PAINT", await painted)
    return window


async def start_desk(window: MainWindow, controller: TerminalController,
                     options: LaunchOptions) -> DeskBridge:
    """Show the market at the parking day, open the replay there, and connect the desk's panels."""
    from engine.model.desk import ConnectionView
    from terminal.desk_bridge import DeskBridge
    from terminal.replay_setup import DATASET, open_terminal_replay, plan_replay

    history = await controller.load_history_only()
    plan = plan_replay(history, options.day, options.first, options.last, options.journal,
                       options.approve_all)
    await controller.start(plan.park)
    window.show_activity("opening the replay…")
    session = open_terminal_replay(history, plan)
    connection = ConnectionView("paper", "paper", True, "embedded paper broker (modelled fills)")
    bridge = DeskBridge(window, session, plan.first, plan.last, DATASET, connection)
    bridge.sig_replay_day_changed.connect(controller.request_date)
    bridge.sig_expiry_wanted.connect(controller.request_expiry)
    window.set_browsing(False)
    bridge.refresh()
    bridge.flush()
    bridge.raise_what_matters()
    # Everything loaded so far (history, pandas, numba, Qt wrappers) lives as long as the process:
    # move it out of the cyclic collector's reach, so a full collection during a replay does not
    # walk it (that walk alone can hold the GUI thread for 100+ ms).
    gc.collect()
    gc.freeze()
    window.show_activity(f"replay parked at the {plan.park.isoformat()} close · journal {plan.journal.name}")
    return bridge


def open_live_mode(window: MainWindow, controller: TerminalController, bridge: DeskBridge,
                   options: LaunchOptions) -> LiveMode:
    """Enable the Broker menu: live mode, ready to take the desk from the replay `bridge`."""
    from engine.model.connection import IbSettings
    from terminal.live_mode import LiveMode, LiveOptions

    assert controller.history is not None  # start_desk loaded it
    # A screenshot leaves nothing behind: its live journal goes beside its temporary replay journal.
    folder = options.journal.parent / "live" if options.screenshot and options.journal else None
    live = LiveOptions(options.ib or IbSettings(), options.as_of, folder)
    return LiveMode(window, controller.history, bridge, controller, live)


def _settle(future: asyncio.Future[Value], value: Value) -> None:
    if not future.done():
        future.set_result(value)


def _report(error: BaseException) -> int:
    from engine.errors import InputError

    print(f"optimus: error: {error}", file=sys.stderr)
    return 2 if isinstance(error, InputError) else 1


async def _take_screenshot(window: MainWindow, controller: TerminalController,
                           options: LaunchOptions) -> int:
    from engine.errors import OptimusError

    assert options.screenshot is not None
    if options.journal is None:  # a picture leaves no replay behind: journal in a temporary folder
        with tempfile.TemporaryDirectory(prefix="optimus-screenshot-") as folder:
            return await _take_screenshot(window, controller,
                                          replace(options, journal=Path(folder) / "journal.sqlite"))
    try:
        bridge = await start_desk(window, controller, options)
    except OptimusError as error:
        return _report(error)
    if options.ib is not None:
        return await _take_live_screenshot(window, controller, bridge, options)
    _marker("READY")
    await controller.wait_idle()
    bridge.refresh()
    bridge.flush()
    for _ in range(5):  # let deferred work (centring the chain, repaints) run first
        await asyncio.sleep(0.03)
    code = save_screenshot(window, options.screenshot)
    await bridge.aclose()
    bridge.session.journal.store.close()
    return code


async def _take_live_screenshot(window: MainWindow, controller: TerminalController, bridge: DeskBridge,
                                options: LaunchOptions) -> int:
    """Connect to IB, wait for its chain, then take the picture (the replay only warmed things up)."""
    from engine.errors import OptimusError

    assert options.ib is not None
    assert options.screenshot is not None
    live = open_live_mode(window, controller, bridge, options)
    try:
        if not await live.connect_broker(options.ib):
            return _report(OptimusError(live.last_error))
        try:
            await live.wait_chain()
        except TimeoutError as error:
            return _report(error)
        _marker("READY")
        assert live.bridge is not None
        live.bridge.refresh()
        live.bridge.flush()
        for _ in range(10):  # let deferred work (the chart, centring the chain, repaints) run first
            await asyncio.sleep(0.05)
        return save_screenshot(window, options.screenshot)
    finally:
        await live.aclose()
        bridge.session.journal.store.close()


def save_screenshot(window: MainWindow, path: Path) -> int:
    """Write the window as a PNG, atomically (a temp file renamed); return an exit code."""
    pixmap = window.grab()
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    if not pixmap.save(str(temporary), "PNG"):
        temporary.unlink(missing_ok=True)
        print(f"optimus: error: cannot write the screenshot to {path}", file=sys.stderr)
        return 1
    os.replace(temporary, path)
    return 0


async def _run_interactive(window: MainWindow, controller: TerminalController,
                           options: LaunchOptions) -> int:
    from engine.errors import InputError

    closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    window.sig_closed.connect(lambda: _settle(closed, None))
    start: asyncio.Future[DeskBridge] = asyncio.ensure_future(start_desk(window, controller, options))
    waiters: list[asyncio.Future[Any]] = [start, closed]
    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    if not start.done():
        start.cancel()  # closed while loading: stop the warm-up child before leaving
        await asyncio.gather(start, return_exceptions=True)
        return 0
    error = start.exception()
    if isinstance(error, InputError):
        return _report(error)  # a bad --date: say so and stop, as for any bad argument
    if error is not None:
        _report(error)
        # open(), not exec(): a nested modal loop would re-enter the asyncio loop.
        box = QMessageBox(QMessageBox.Icon.Critical, APP_TITLE, str(error), parent=window)
        box.open()
        await closed
        return 1
    live = open_live_mode(window, controller, start.result(), options)
    if options.ib is not None:
        live.request_connect(options.ib, ask_on_failure=True)
    await closed
    await live.aclose()
    return 0
