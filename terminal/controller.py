"""The bridge between the engine and the panels of the first window.

Start-up order (the window is already painted when ``start`` runs):

1. The kernel warm-up starts in a child process (terminal.kernels) while the history loads in
   an executor thread: neither blocks the GUI thread.
2. As soon as the history is there, the chart shows the bars (no indicators yet) and the chain
   panel says the pricing kernels are warming up.
3. When the warm-up is done, the numba-backed modules are imported (their machine code now
   comes from the on-disk cache) and both panels get the chosen session.

Later date or expiry requests are coalesced: while one snapshot is being computed, only the
latest request waits, so clicking "next session" ten times computes at most two snapshots.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import TypeVar

from engine.data.history import MarketHistory, load_history
from engine.model import Expiration
from terminal import snapshots
from terminal.docks import CHAIN, CHART, SMILE
from terminal.kernels import WarmupOutcome, warm_kernels_in_subprocess
from terminal.main_window import MainWindow
from terminal.snapshots import DaySnapshot, EngineServices
from widgets.chain_panel import ChainPanel
from widgets.chart_panel import ChartPanel
from widgets.smile_panel import SmilePanel

log = logging.getLogger(__name__)
WARMING_UP = "warming up pricing kernels…"
Result = TypeVar("Result")


class TerminalController:
    """Load the history, warm the kernels, and keep both panels on the chosen session."""

    def __init__(self, window: MainWindow,
                 history_loader: Callable[[], MarketHistory] = load_history,
                 warm_kernels: Callable[[], Awaitable[WarmupOutcome]] = warm_kernels_in_subprocess,
                 services_loader: Callable[[MarketHistory], EngineServices] = snapshots.load_engine_services,
                 ) -> None:
        self._window = window
        self._history_loader = history_loader
        self._warm_kernels = warm_kernels
        self._services_loader = services_loader
        # One worker: engine calls run one at a time, in order, off the GUI thread.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine-compute")
        self._history: MarketHistory | None = None
        self._services: EngineServices | None = None
        self._wanted: tuple[date, date | None] | None = None
        self._preferred_expiry: date | None = None
        self._drain_task: asyncio.Task[None] | None = None
        self._kernel_note = WARMING_UP
        window.sig_date_requested.connect(self.request_date)
        self.chain_panel.sig_expiry_selected.connect(self.request_expiry)

    @property
    def chain_panel(self) -> ChainPanel:
        """Return the option-chain panel of the window."""
        panel = self._window.panel(CHAIN)
        assert isinstance(panel, ChainPanel)
        return panel

    @property
    def chart_panel(self) -> ChartPanel:
        """Return the chart panel of the window."""
        panel = self._window.panel(CHART)
        assert isinstance(panel, ChartPanel)
        return panel

    @property
    def history(self) -> MarketHistory | None:
        """Return the loaded history (None until loaded)."""
        return self._history

    async def _run(self, function: Callable[..., Result], *args: object) -> Result:
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    # --- start-up ----------------------------------------------------------------------------

    async def load_history_only(self) -> MarketHistory:
        """Load the history (off the GUI thread) without showing anything yet; keep it for start()."""
        if self._history is None:
            self._history = await self._run(self._history_loader)
        return self._history

    async def start(self, day: date | None = None) -> date:
        """Fill the panels for `day` (default: the last session); return the session shown.

        Raise InputError when `day` is outside the history, DataFileError when it cannot load.
        """
        self._window.show_activity(f"loading history; {WARMING_UP}")
        self.chain_panel.show_placeholder(WARMING_UP)
        self.chart_panel.show_placeholder("loading history…")
        warm_up = asyncio.ensure_future(self._warm_kernels())
        try:
            history = self._history or await self._run(self._history_loader)
            session = snapshots.session_on_or_before(history, day or history.last_date)
            self._history = history
            await self._show_bars_only(history, session)
            outcome = await warm_up
        finally:
            warm_up.cancel()
        self._kernel_note = outcome.message if outcome.ok else f"{outcome.message}; compiling here"
        self._window.show_activity(self._kernel_note)
        self._services = await self._run(self._services_loader, history)
        # Unlike later requests, a failure here propagates: there is nothing to show yet.
        self._apply(await self._run(snapshots.day_snapshot, history, self._services, session, None))
        self._window.set_sessions(history.dates)
        return session

    async def _show_bars_only(self, history: MarketHistory, session: date) -> None:
        series = await self._run(snapshots.chart_series, history, session, None)
        self.chart_panel.set_series(series, note=f"indicators: {WARMING_UP}")
        self._window.set_data_source(snapshots.describe_source(history, None))
        self._window.set_as_of(session)
        self._window.show_activity(WARMING_UP)

    # --- requests from the window --------------------------------------------------------------

    def request_date(self, day: date) -> None:
        """Show another session (the latest request wins)."""
        self._wanted = (day, self._preferred_expiry)
        self._schedule()

    def request_expiry(self, expiration: Expiration) -> None:
        """Show another expiry of the session shown; keep it while it stays listed."""
        self._preferred_expiry = expiration.expiry
        shown = self._window.as_of
        if shown is not None:
            self._wanted = (self._wanted[0] if self._wanted else shown, expiration.expiry)
            self._schedule()

    def _schedule(self) -> None:
        if self._services is None:
            return  # start() shows the first session; the date controls are off until then
        if self._drain_task is None or self._drain_task.done():
            self._drain_task = asyncio.ensure_future(self._drain())

    async def _drain(self) -> None:
        while self._wanted is not None:
            (day, expiry), self._wanted = self._wanted, None
            await self._show_snapshot(day, expiry)

    async def wait_idle(self) -> None:
        """Wait until every pending request has been shown."""
        while self._drain_task is not None and not self._drain_task.done():
            await self._drain_task

    # --- showing a session -------------------------------------------------------------------

    async def _show_snapshot(self, day: date, expiry: date | None) -> None:
        assert self._history is not None
        assert self._services is not None
        self._window.show_activity(f"loading {day.isoformat()}…")
        try:
            snapshot = await self._run(snapshots.day_snapshot, self._history, self._services, day, expiry)
        except Exception as error:  # a bad day must not take the terminal down; say what broke
            log.exception("cannot show %s", day)
            self.chain_panel.show_placeholder(f"cannot show {day.isoformat()}: {error}")
            self._window.show_activity(f"error: {error}")
            return
        self._apply(snapshot)

    def _apply(self, snapshot: DaySnapshot) -> None:
        # Both panels and the date control change in the same event-loop turn: never out of step.
        self.chart_panel.set_series(snapshot.chart)
        self.chain_panel.set_expirations(snapshot.expirations, snapshot.day, snapshot.expiration)
        self.chain_panel.show_slice(snapshot.chain_slice)
        if SMILE in self._window.dock_names():
            smile = self._window.panel(SMILE)
            assert isinstance(smile, SmilePanel)
            smile.set_slice(snapshot.chain_slice)  # the IV smile of the expiry the chain shows
        assert self._history is not None
        self._window.set_data_source(snapshots.describe_source(self._history, snapshot.chain_slice))
        self._window.set_as_of(snapshot.day)
        self._window.show_activity(f"showing {snapshot.day.isoformat()} close · {self._kernel_note}")

    # --- shutdown ----------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Cancel pending work and release the worker thread."""
        if self._drain_task is not None and not self._drain_task.done():
            self._drain_task.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)
