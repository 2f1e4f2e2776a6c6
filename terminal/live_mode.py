"""Live mode on the window: the desk on Interactive Brokers (TWS or IB Gateway) instead of the replay.

The same TradingSession as a replay (DESIGN.md, "one code path"), with three parts swapped: the feed
(engine.brokers.ib.feed.IbFeed: IB's quotes and chain), the broker (engine.brokers.ib.broker.IbBroker)
and the clock (the wall clock, or one parked at ``--as-of`` that runs on with the wall clock from
there). engine.live.LiveRunner runs the session's steps when their moment comes and works the
orders every second.

How a connection goes (`LiveMode.connect`, from Broker ▸ Connect… or ``optimus --ib``):

1. The dialog says "connecting"; a ContractBook, an IbConnection and an IbFeed are built (the feed
   before connecting: it subscribes on every (re)connect by itself) and the link connects. Every
   message of the link goes to the dialog; once a live session exists, warnings and errors (and
   the link's own connect/reconnect notes) also go to the journal's log (kind ``BROKER``) and the
   status bar. A failed connect leaves the dialog saying why, and nothing else changes.
2. Connected: today's bar is made from the live index quotes; a journal under the data directory
   (``live/<account>.sqlite``; a clock parked with ``--as-of`` gets a journal of its own, never
   the account's real one), an IbBroker and the session open; the session reconciles with IB.
3. The replay's bridge is stopped and unwired; a live DeskBridge takes the panels; the runner
   starts; the chain panel shows IB's streamed strikes of the target expiry (`LiveChain`, once a
   second), labelled quoted (and delayed when IB sends delayed data); the chart shows the history
   with today's live bar.

Disconnect stops the runner and the chain and closes the link; the panels keep showing the live
journal, the status bar says "disconnected". A new Connect opens a new live session in its place.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QEvent, QMetaObject, QObject, QTimer, Signal

from engine.brokers.ib.connection import (
    BrokerConnectError,
    LinkState,
    TimedMessage,
)
from engine.brokers.ib.errors import Severity
from engine.brokers.ib.feed import IbFeed
from engine.clock import MARKET_TZ
from engine.data.history import MarketHistory
from engine.errors import OptimusError
from engine.model import ChainSlice, Expiration
from engine.model.connection import IbSettings
from terminal import docks
from terminal.desk_bridge import DeskBridge
from terminal.main_window import MainWindow
from terminal.replay_setup import data_directory, terminal_settings
from widgets.chain_panel import ChainPanel
from widgets.chart_panel import ChartPanel
from widgets.connect_dialog import ConnectDialog
from widgets.smile_panel import SmilePanel

if TYPE_CHECKING:
    from terminal.controller import TerminalController

from terminal.live_setup import (
    LiveLink,
    LiveSession,
    LiveTime,
    build_link,
    connection_view,
    log_text,
    open_live_session,
)

log = logging.getLogger(__name__)

CHAIN_REFRESH_MS = 1000  # the live chain is re-read from the feed once a second
LOG_KIND = "BROKER"
CHAIN_TITLE = "Option chain"
WAITING_FOR_CHAIN = "waiting for IB's option chain…"

# --- the chain panel on the live feed ----------------------------------------------------------


class LiveChain(QObject):
    """Feed the chain and smile panels from the live feed once a second (module doc).

    Signals:
        sig_chain_shown(object): a live ChainSlice was handed to the chain panel.
    """

    sig_chain_shown = Signal(object)

    def __init__(self, window: MainWindow, feed: IbFeed, time: LiveTime,
                 on_refresh: Callable[[], None]) -> None:
        super().__init__(window)
        self.window, self.feed, self.time = window, feed, time
        self.on_refresh = on_refresh
        self.expiration: Expiration | None = None
        self.shown: ChainSlice | None = None
        self._listed: tuple[tuple[Expiration, ...], Expiration | None, date | None] = ((), None, None)
        self._timer = QTimer(self)
        self._timer.setInterval(CHAIN_REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._link: QMetaObject.Connection | None = None

    @property
    def panel(self) -> ChainPanel:
        """Return the chain panel."""
        panel = self.window.panel(docks.CHAIN)
        assert isinstance(panel, ChainPanel)
        return panel

    def start(self) -> None:
        """Show the chain now and then once a second; follow the trader's expiry choice."""
        self._link = self.panel.sig_expiry_selected.connect(self.choose)
        self._timer.start()
        self.refresh()

    def stop(self, note: str) -> None:
        """Stop following the feed; the chain panel shows `note` instead."""
        self._timer.stop()
        if self._link is not None:
            QObject.disconnect(self._link)
            self._link = None
        self.panel.show_placeholder(note)
        self.window.dock(docks.CHAIN).setWindowTitle(CHAIN_TITLE)

    def choose(self, expiration: Expiration) -> None:
        """Show another streamed expiry (the selector's or a selected trade's)."""
        if expiration in self.feed.targets:
            self.expiration = expiration
            self.refresh()

    def refresh(self) -> None:
        """Show the latest quotes of the expiry shown; a failure is logged, the next second tries again."""
        try:
            self._refresh()
        except Exception:  # a bad quote must not stop the chain: the next refresh tries again
            log.exception("cannot show the live chain")
        self.on_refresh()

    def _refresh(self) -> None:
        now = self.time.now()
        targets = tuple(self.feed.targets)
        if not targets:
            self.panel.show_placeholder(WAITING_FOR_CHAIN)
            return
        if self.expiration not in targets:
            self.expiration = targets[0]
        strikes = self.feed.streamed_strikes(self.expiration)
        if not strikes:
            self.panel.show_placeholder(WAITING_FOR_CHAIN)
            return
        listed = (targets, self.expiration, now.date())
        if listed != self._listed:  # refilling the selector every second would close its popup
            self._listed = listed
            self.panel.set_expirations(targets, now.date(), self.expiration)
        chain = self.feed.slice_at(now, self.expiration, strikes)
        self._show(chain)

    def _show(self, chain: ChainSlice) -> None:
        self.panel.show_slice(chain)
        smile = self.window.panel(docks.SMILE) if docks.SMILE in self.window.dock_names() else None
        if isinstance(smile, SmilePanel):
            smile.set_slice(chain)  # the IV smile of the expiry the chain shows
        delayed = " · delayed" if self.feed.delayed else ""
        self.window.dock(docks.CHAIN).setWindowTitle(f"{CHAIN_TITLE} · IB {chain.source.value}{delayed}")
        account = self.feed.connection.account
        self.window.set_data_source(f"IB {account}, chains {chain.source.value.upper()}{delayed.upper()}")
        self.window.set_date_text(f"as of {chain.as_of.astimezone(MARKET_TZ):%Y-%m-%d %H:%M:%S} ET")
        self.shown = chain
        self.sig_chain_shown.emit(chain)


# --- the Qt side: dialog, status bar, desk -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LiveOptions:
    """How live mode starts: the dialog's first settings, the clock, where live journals go."""

    ib: IbSettings = field(default_factory=IbSettings)
    as_of: datetime | None = None
    journal_folder: Path | None = None  # default: <data directory>/live
    backoff_s: tuple[float, ...] = ()  # reconnect waits (default: the connection's own)

    def folder(self) -> Path:
        """Return where live journals are written."""
        return self.journal_folder or data_directory() / "live"


class LiveMode(QObject):
    """The Broker menu's side of the terminal: connect, show the link, swap the desk to live (module doc).

    Signals:
        sig_live_started(object): a live session took the desk; carries its DeskBridge.
    """

    sig_live_started = Signal(object)

    def __init__(self, window: MainWindow, history: MarketHistory, replay: DeskBridge | None = None,
                 controller: TerminalController | None = None, options: LiveOptions | None = None) -> None:
        super().__init__(window)
        self.window, self.history, self.controller = window, history, controller
        self.options = options or LiveOptions()
        self.time = LiveTime(self.options.as_of)
        self.settings = terminal_settings()
        self.bridge: DeskBridge | None = replay  # whichever desk the panels show
        self.replay = replay
        self.link: LiveLink | None = None
        self.live: LiveSession | None = None
        self.chain: LiveChain | None = None
        self.dialog = ConnectDialog(self.options.ib, window)
        self._tasks: set[asyncio.Task[object]] = set()
        self._runner_task: asyncio.Task[None] | None = None
        self._recorder_task: asyncio.Task[None] | None = None
        self._logged = 0  # how many of the link's messages the journal has seen
        self.last_error = ""  # why the last connect failed
        self._replay_hidden = False
        self.dialog.sig_connect.connect(self.request_connect)
        self.dialog.sig_disconnect.connect(self.request_disconnect)
        window.sig_broker_connect_requested.connect(self.open_dialog)
        window.sig_broker_disconnect_requested.connect(self.request_disconnect)
        window.installEventFilter(self)
        window.set_broker_actions(True, False)

    # --- the trader's requests ----------------------------------------------------------------

    def open_dialog(self) -> None:
        """Show the connect dialog, non-modal (a nested modal loop would re-enter asyncio)."""
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()

    def request_connect(self, settings: IbSettings, ask_on_failure: bool = False) -> None:
        """Connect with these settings, as a task; with `ask_on_failure` a failure opens the dialog."""
        self._spawn(self._connect_or_ask(settings) if ask_on_failure else self.connect_broker(settings))

    async def _connect_or_ask(self, settings: IbSettings) -> None:
        if not await self.connect_broker(settings):
            self.open_dialog()  # it shows why, with the settings ready to correct

    def request_disconnect(self) -> None:
        """Close the link, as a task on the loop."""
        self._spawn(self.disconnect_broker())

    def _spawn(self, coroutine: Coroutine[Any, Any, object]) -> None:
        task: asyncio.Task[object] = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- connecting ---------------------------------------------------------------------------

    @property
    def connecting(self) -> bool:
        """Return True while a connect is under way."""
        return self.link is not None and self.link.connection.state is LinkState.CONNECTING

    async def connect_broker(self, settings: IbSettings) -> bool:
        """Connect to TWS and take the desk live; return False (the dialog says why) when it fails."""
        if self.connecting or (self.live is not None and self.live.connection.connected):
            return False  # one link at a time: Disconnect first
        self.dialog.set_state("connecting")
        self.window.set_broker_actions(False, False)
        try:
            link = build_link(settings, self.history, self.settings, self.time, self.options.backoff_s)
        except OptimusError as error:
            return self._failed(f"Cannot connect: {error}")
        self._follow(link)
        try:
            await link.connection.connect()
        except BrokerConnectError as error:
            self._forget(link)  # the dialog has the connection's sentence already
            self.last_error = str(error)
            return self._failed("")
        try:
            live = open_live_session(link, self.settings, self.options.folder(), self.time)
            await live.broker.settle()
        except OptimusError as error:
            await link.connection.disconnect()
            self._forget(link)
            return self._failed(f"Connected, but the live session cannot open: {error}")
        await self._go_live(live)
        return True

    def _failed(self, text: str) -> bool:
        if text:
            self.last_error = text
            self.dialog.add_message(self.time.now(), text, "error")
        self.dialog.set_state("disconnected")
        self.window.set_broker_actions(True, self.live is not None and self.live.connection.connected)
        return False

    def _follow(self, link: LiveLink) -> None:
        self.link = link
        self._logged = 0
        link.connection.on_message.append(self._on_message)
        link.connection.on_state.append(self._on_state)

    def _forget(self, link: LiveLink) -> None:
        for listeners, listener in ((link.connection.on_message, self._on_message),
                                    (link.connection.on_state, self._on_state)):
            with contextlib.suppress(ValueError):
                listeners.remove(listener)  # type: ignore[arg-type]
        if self.link is link:
            self.link = self.live.link if self.live is not None else None

    async def _go_live(self, live: LiveSession) -> None:
        """Swap the desk to the live session: old bridge stopped, new bridge, runner, chain."""
        previous = self.live
        if previous is not None:  # an earlier live session (disconnected, or still reconnecting)
            await self._stop_runner()
            await previous.broker.settle()
            await previous.connection.disconnect()
        await self._retire_desk()
        if previous is not None:
            self._forget(previous.link)
            previous.journal.store.close()
        self.live = live
        self._log_messages()
        with live.journal.transaction():
            kind = "paper" if live.connection.paper else "LIVE"
            live.journal.log(self.time.now(), LOG_KIND, f"[IB] Live session on {live.connection.account} "
                             f"({kind}), journal {live.journal.store.path}")
        try:  # catch up the steps already due now, so the desk opens at the live moment
            live.runner.tick()
        except Exception:  # as in the runner's own loop: logged, and the next tick tries again
            log.exception("the first live tick failed")
        bridge = DeskBridge(self.window, live.session, live.day, live.day, self._dataset(live),
                            connection_view(live.connection, live.feed), live=True,
                            confirmations=live.confirmations, live_account=live.connection.account)
        self.bridge = bridge
        self.chain = LiveChain(self.window, live.feed, self.time, self._on_chain_refresh)
        bridge.sig_expiry_wanted.connect(self.chain.choose)
        self._hide_replay()
        self._runner_task = asyncio.ensure_future(live.runner.run())
        if live.recorder is not None:  # the chains as streamed, once a minute, for replays later
            self._recorder_task = asyncio.ensure_future(live.recorder.run())
        self.chain.start()
        bridge.refresh()
        bridge.flush()
        self.window.dock(docks.LOG).raise_()  # what the link said; the candidates come at the close
        self.window.set_broker_actions(False, True)
        self.window.show_activity(f"live on IB {live.connection.account}")
        self._spawn(self._show_live_chart(live))
        self.sig_live_started.emit(bridge)

    def _dataset(self, live: LiveSession) -> str:
        parked = f" · clock from {self.time.as_of:%Y-%m-%d %H:%M:%S} ET" if self.time.as_of else ""
        return f"IB {live.connection.account} · quoted chains · IB broker{parked}"

    async def _retire_desk(self) -> None:
        """Stop and unwire the desk on screen (the replay's, or an earlier live one)."""
        controller, self.controller = self.controller, None  # once: it drew the replay's days
        if controller is not None:
            await controller.wait_idle()  # a replay day still being drawn must not land after ours
            controller.chain_panel.sig_expiry_selected.disconnect(controller.request_expiry)
        if self.chain is not None:
            self.chain.stop("")
            self.chain.deleteLater()
            self.chain = None
        old, self.bridge = self.bridge, None
        if old is not None:
            await old.aclose()
            old.detach()
            if old is self.replay:
                old.session.journal.store.close()  # the replay is done: live mode does not go back
                self.replay = None
            old.deleteLater()

    async def _show_live_chart(self, live: LiveSession) -> None:
        """Draw the chart from the history with today's live bar (indicators off the GUI thread)."""
        from engine import indicators
        from terminal import snapshots

        history = live.feed.history
        try:
            series = await asyncio.get_running_loop().run_in_executor(
                None, snapshots.chart_series, history, live.day, indicators)
        except Exception:  # the chart is a picture of the past: the desk works without it
            log.exception("cannot draw the live chart")
            return
        chart = self.window.panel(docks.CHART)
        if self.live is live and isinstance(chart, ChartPanel):
            chart.set_series(series)

    def _hide_replay(self) -> None:
        """Hide the replay controls (nothing to play live); the saved layout keeps them (eventFilter)."""
        dock = self.window.dock(docks.REPLAY)
        if dock.isVisible():
            dock.hide()
            self._replay_hidden = True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Show the replay dock again just before the window closes, so the saved layout has it."""
        if watched is self.window and event.type() == QEvent.Type.Close and self._replay_hidden:
            self.window.dock(docks.REPLAY).show()
            self._replay_hidden = False
        return False

    # --- what the link says ---------------------------------------------------------------------

    def _on_message(self, timed: TimedMessage) -> None:
        message = timed.message
        self.dialog.add_message(self.time.of_wall(timed.at), str(message), message.severity.value)
        if self.live is not None and message.severity is not Severity.INFO:
            self.window.show_activity(f"IB: {message}")
        self._log_messages()

    def _log_messages(self) -> None:
        """Write the link's messages not yet journaled into the live journal's log (kind BROKER)."""
        live = self.live
        if live is None or self.link is not live.link:
            return
        messages = live.connection.messages[self._logged:]
        self._logged += len(messages)
        lines = [(self.time.of_wall(timed.at), text) for timed in messages if (text := log_text(timed))]
        if not lines:
            return
        with live.journal.transaction():
            for at, text in lines:
                live.journal.log(at, LOG_KIND, text)
        if self.bridge is not None:
            self.bridge.invalidate()

    def _on_state(self, state: LinkState) -> None:
        link = self.link
        if link is None:
            return
        connection = link.connection
        account = connection.account if state is LinkState.CONNECTED else ""
        self.dialog.set_state(state.value, account, connection.paper if account else None)
        if self.live is not None and self.live.link is link:
            down = state is LinkState.DISCONNECTED
            self.window.set_broker_actions(down, not down)
            self._show_connection()

    def _show_connection(self) -> None:
        if self.live is not None and self.bridge is not None and self.bridge.live:
            self.bridge.set_connection(connection_view(self.live.connection, self.live.feed))

    def _on_chain_refresh(self) -> None:
        self._show_connection()  # delayed data is known only once quotes arrive
        if self.bridge is not None:
            self.bridge.invalidate()  # the marks and the clock moved

    # --- disconnecting and shutdown ---------------------------------------------------------------

    async def disconnect_broker(self) -> None:
        """Stop the runner and the chain and close the link; the desk keeps showing the live journal."""
        live = self.live
        if live is None:
            return
        await self._stop_runner()
        if self.chain is not None:
            self.chain.stop("disconnected from IB: Broker ▸ Connect to Interactive Brokers… to go on")
        await live.broker.settle()
        await live.connection.disconnect()
        self._show_connection()
        self.window.set_broker_actions(True, False)
        self.window.show_activity(f"disconnected from IB · journal {live.journal.store.path.name}")

    async def _stop_runner(self) -> None:
        tasks = [task for task in (self._runner_task, self._recorder_task) if task is not None]
        self._runner_task = self._recorder_task = None
        if self.live is not None:
            self.live.runner.stop()
            if self.live.recorder is not None:
                self.live.recorder.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def wait_chain(self, patience_s: float = 30.0) -> ChainSlice:
        """Wait until the live chain shows quotes (screenshots); raise TimeoutError after `patience_s`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + patience_s
        while self.chain is None or self.chain.shown is None or not _has_quotes(self.chain.shown):
            if loop.time() > deadline:
                raise TimeoutError("IB's option chain did not come in")
            await asyncio.sleep(0.05)
        return self.chain.shown

    async def aclose(self) -> None:
        """Stop everything live mode runs (tasks, runner, chain, link, journal) and the desk on screen."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.disconnect_broker()
        if self.link is not None and (self.live is None or self.link is not self.live.link):
            await self.link.connection.disconnect()  # a connect that was cut short
        if self.bridge is not None:
            await self.bridge.aclose()
        if self.live is not None:
            self.live.journal.store.close()
        self.window.removeEventFilter(self)
        self.dialog.close()


def _has_quotes(chain: ChainSlice) -> bool:
    return bool(np.isfinite(chain.puts.bid).any() or np.isfinite(chain.calls.bid).any())

