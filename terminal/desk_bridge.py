"""The bridge between a running TradingSession and the panels: views in, intents out.

* **Views in, coalesced.** The engine publishes events (engine.events) as things change; the
  bridge only marks itself dirty. A 100 ms timer rebuilds one DeskView (engine.desk_view) when
  dirty and hands each panel its part: at most ten repaints a second however fast the replay runs.
* **Intents out, confirmed.** A panel's intent that would send an order opens an order ticket
  (widgets.order_ticket) priced and risk-checked on current quotes; only its Send calls the
  desk. A veto shows in the ticket, naming the limit, and Send stays disabled. Halt, resume,
  close-all and limit changes ask a yes/no confirmation. Dialogs are opened with ``open()``:
  a nested modal loop would re-enter the asyncio loop.
* **Replay.** Play runs the session's steps on the replay clock as a task on the loop; pause
  cancels it between steps (a step is never cut in half: steps are synchronous).
* **Live** (``live=True``, terminal.live_setup): the session is driven by the live runner, not by
  the replay controls: no Replay menu, the replay panel's intents are not wired, the chain is fed
  by the live feed (not by the replay day), and the status bar names the broker link
  (``IB · paper · DU1234567 · connected``). `detach` unwires a bridge that another replaces.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QMetaObject, QObject, Qt, QTimer, Signal, SignalInstance
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QMenu, QMessageBox, QWidget

from engine import calendar
from engine.clock import MARKET_TZ
from engine.desk import Desk
from engine.desk_view import ViewContext, build_desk_view
from engine.errors import OptimusError
from engine.events import DeskEvent, EventHub, EventKind
from engine.model import Right, Structure
from engine.model.desk import CandidateEdit, ConnectionView, DeskView, OrderTicket, ReplayView, RollRequest
from engine.risk_graph import risk_graph_of
from engine.session import TradingSession, position_id_of
from terminal import docks
from terminal.main_window import MainWindow
from widgets.order_ticket import OrderTicketDialog
from widgets.roll_dialog import RollDialog

if TYPE_CHECKING:  # ib_async loads only when the desk goes live
    from engine.brokers.ib.broker import LiveConfirmations

log = logging.getLogger(__name__)
REFRESH_MS = 100  # at most ten repaints a second (DESIGN.md, throttled GUI updates)
BREATH_S = 0.001  # between replay steps at Max speed: the loop paints and takes input (~0.5 s a year)
SHORTCUTS = {"approve": "Ctrl+Return", "reject": "Ctrl+Backspace", "play": "Ctrl+Space", "step": "F10",
             "next_signal": "F9"}


class DeskBridge(QObject):
    """Feed the panels from one session and turn their intents into desk commands (module doc).

    Signals:
        sig_view_shown(object): a DeskView was handed to the panels (tests wait on it).
        sig_replay_day_changed(object): the last completed close moved; carries its ``date``
            (the chain and chart show that close: nothing after the replay clock).
        sig_expiry_wanted(object): the trader selected a candidate or position; carries its
            ``Expiration`` so the chain shows the expiry whose strikes are highlighted.

    In live mode (``live=True``) `first` and `last` are the live session's day.
    """

    sig_view_shown = Signal(object)
    sig_replay_day_changed = Signal(object)
    sig_expiry_wanted = Signal(object)

    def __init__(self, window: MainWindow, session: TradingSession, first: date, last: date,
                 dataset: str, connection: ConnectionView, live: bool = False,
                 confirmations: LiveConfirmations | None = None, live_account: str = "") -> None:
        super().__init__(window)
        self.window, self.session = window, session
        self.first, self.last, self.dataset, self.connection = first, last, dataset, connection
        self.live = live
        self.confirmations = confirmations  # a LIVE account: each ticket confirms its own order
        self.live_account = live_account
        self._links: list[QMetaObject.Connection] = []  # the panels' intents wired here (detach)
        self._menus: list[QMenu] = []
        self._actions: list[QAction] = []
        self.hub = EventHub()
        self.desk = Desk(session, self.hub)
        self.view: DeskView | None = None
        self.dialog: QWidget | None = None  # the confirmation or roll dialog on screen, if any
        self._dirty = True
        self._pending: list[Callable[[], object]] = []  # panel updates of the view being shown
        self._draining = False
        self._play_task: asyncio.Task[int] | None = None
        self._shown_day: date | None = None
        self._selected: tuple[str, str] = ("", "")  # ("candidate" | "position", id) for the risk graph
        self._risk_date: date | None = None
        self._graph_key: tuple[object, ...] | None = None  # what the risk graph shown was priced for
        self._views_built = 0
        self.hub.subscribe(self._on_event)
        session.listeners.append(lambda step: self.hub.publish(DeskEvent(EventKind.STEP, step.moment)))
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._connect_panels()
        self._install_actions()
        self._timer.start()

    def _install_actions(self) -> None:
        """Add the Trade and Replay menus; their shortcuts work wherever the focus is in the window."""
        candidates, replay = self.panel(docks.CANDIDATES), self.panel(docks.REPLAY)
        menus = [
            ("&Trade", (("&Approve selected candidate…", SHORTCUTS["approve"], candidates.approve_selected),
                        ("&Reject selected candidate", SHORTCUTS["reject"], candidates.reject_selected))),
            ("&Replay", (("&Play / pause", SHORTCUTS["play"], replay.toggle_play),
                         ("&Step one session", SHORTCUTS["step"], replay.step),
                         ("&Next signal", SHORTCUTS["next_signal"], replay.next_signal))),
        ]
        if self.live:
            menus.pop()  # the live runner drives the session: nothing to play or step
        for title, entries in menus:
            menu = self.window.menuBar().addMenu(title)
            self._menus.append(menu)
            for text, keys, slot in entries:
                action = QAction(text, self.window)
                action.setShortcut(QKeySequence(keys))
                action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
                action.triggered.connect(slot)
                menu.addAction(action)
                self.window.addAction(action)
                self._actions.append(action)

    # --- panels -------------------------------------------------------------------------------

    def panel(self, name: str) -> QWidget:
        """Return a panel of the window by its dock name."""
        return self.window.panel(name)

    def _connect_panels(self) -> None:
        p = self.panel
        wiring: list[tuple[SignalInstance, Callable[..., object]]] = [
            (p(docks.CANDIDATES).sig_approve_requested, self.request_approval),
            (p(docks.CANDIDATES).sig_reject_requested, self.reject),
            (p(docks.CANDIDATES).sig_candidate_selected, lambda cid: self._select("candidate", cid)),
            (p(docks.POSITIONS).sig_close_requested, self.request_close),
            (p(docks.POSITIONS).sig_close_all_requested, self.request_close_all),
            (p(docks.POSITIONS).sig_roll_requested, self.request_roll),
            (p(docks.POSITIONS).sig_exit_mode_changed, self._guard(self.desk.set_exit_mode)),
            (p(docks.POSITIONS).sig_position_selected, lambda pid: self._select("position", pid)),
            (p(docks.ORDERS).sig_cancel_requested, self._guard(self.desk.cancel)),
            (p(docks.ORDERS).sig_modify_requested, self.request_modify),
            (p(docks.BREAKER).sig_halt_requested, lambda why: self._confirm_breaker("halt", why)),
            (p(docks.BREAKER).sig_resume_requested, lambda why: self._confirm_breaker("resume", why)),
            (p(docks.RISK_GRAPH).sig_date_chosen, self._choose_risk_date),
            (p(docks.CHAIN).sig_strike_clicked, self.propose_spread),
        ]
        replay = p(docks.REPLAY)
        if not self.live:
            wiring += [
                (replay.sig_play_requested, lambda: self.play(until_signal=False)),
                (replay.sig_pause_requested, self.pause),
                (replay.sig_step_requested, self.step),
                (replay.sig_next_signal_requested, lambda: self.play(until_signal=True)),
                (replay.sig_speed_chosen, self.set_speed),
                (replay.sig_range_chosen, self._choose_range),
            ]
        self._links = [signal.connect(slot) for signal, slot in wiring]

    def detach(self) -> None:
        """Unwire the panels' intents and remove this bridge's menus (another bridge takes the window).

        Call after `aclose`; the panels keep what they show until the next bridge shows its view.
        """
        self._timer.stop()
        for link in self._links:
            QObject.disconnect(link)
        self._links = []
        for action in self._actions:
            self.window.removeAction(action)
        for menu in self._menus:
            self.window.menuBar().removeAction(menu.menuAction())
            menu.deleteLater()
        self._actions, self._menus = [], []

    def set_connection(self, connection: ConnectionView) -> None:
        """Show another state of the broker link (live mode: connected or not, delayed data)."""
        if connection != self.connection:
            self.connection = connection
            self._dirty = True

    def invalidate(self) -> None:
        """Rebuild the view at the next refresh (live mode: quotes and the clock moved, no event said so)."""
        self._dirty = True

    def _on_event(self, event: DeskEvent) -> None:
        self._dirty = True

    def refresh(self) -> None:
        """Rebuild the view and show it, when something changed since the last time."""
        if not self._dirty:
            return
        self._dirty = False
        try:
            view = build_desk_view(self.session, ViewContext(self._replay_view(), self.connection))
        except Exception:  # a view that cannot be built must not stop the replay; say so
            log.exception("cannot build the desk view")
            return
        self.view = view
        self._views_built += 1
        self._show(view)

    def _show(self, view: DeskView) -> None:
        """Hand the view to the panels, one panel per event-loop turn.

        Each panel shows this one view (never half of a change), but the panels are updated in
        separate turns so the GUI thread services input and timers between them: a dozen panels
        re-laying out at once would otherwise hold it for tens of milliseconds. A newer view
        replaces whatever of the older one is still queued.
        """
        p = self.panel
        # Live: no replay to show, and the live feed (not the replay day) feeds the chain and chart.
        replay = not self.live
        pending: list[Callable[[], object] | None] = [
            lambda: p(docks.CANDIDATES).set_candidates(view.candidates),
            lambda: p(docks.POSITIONS).set_positions(view.positions),
            lambda: p(docks.ORDERS).set_orders(view.orders),
            lambda: p(docks.GREEKS).set_greeks(view.greeks),
            lambda: p(docks.REGIME).set_regime(view.regime),
            lambda: p(docks.BREAKER).set_breaker(view.breaker),
            lambda: p(docks.LOG).set_lines(view.log),
            lambda: p(docks.EQUITY).set_curve(view.equity_curve),
            lambda: p(docks.CHART).set_marks(view.marks),
            (lambda: p(docks.REPLAY).set_replay(view.replay)) if replay else None,
            lambda: self._show_highlights(view),
            self._show_risk_graph,
            lambda: self._show_status(view),
            (lambda: self._follow_day(view)) if replay else None,
        ]
        self._pending = [update for update in pending if update is not None]
        if not self._draining:
            self._draining = True
            QTimer.singleShot(0, self, self._show_next)

    def _show_next(self) -> None:
        if not self._pending:
            self._draining = False
            self.sig_view_shown.emit(self.view)
            return
        self._pending.pop(0)()
        QTimer.singleShot(0, self, self._show_next)

    def raise_what_matters(self) -> None:
        """Bring Candidates forward when one waits for the trader, else Positions when any are open."""
        if self.view is None:
            return
        if any(row.actionable for row in self.view.candidates):
            self.window.dock(docks.CANDIDATES).raise_()
        elif self.view.positions:
            self.window.dock(docks.POSITIONS).raise_()

    def flush(self) -> None:
        """Show the queued view now, all at once (screenshots, shutdown)."""
        while self._pending:
            self._pending.pop(0)()

    def _follow_day(self, view: DeskView) -> None:
        day = _last_close(view)
        if day is not None and day != self._shown_day:
            self._shown_day = day
            self.sig_replay_day_changed.emit(day)

    def _show_highlights(self, view: DeskView) -> None:
        shorts, longs = [], []
        structures = [c.candidate.structure for c in view.candidates if not c.candidate.status.is_final]
        structures += [row.position.structure for row in view.positions]
        for structure in structures:
            for leg in structure.legs:
                (shorts if leg.quantity < 0 else longs).append((leg.expiry, leg.strike))
        chain = self.panel(docks.CHAIN)
        shown = chain.shown_expiry()
        chain.set_highlights([k for e, k in shorts if e == shown], [k for e, k in longs if e == shown])

    def _show_status(self, view: DeskView) -> None:
        broker = view.connection
        if self.live:  # the live clock runs whether or not a step has run yet (a weekend has none)
            self.window.set_session_status(*live_status(broker, self.session.clock.now()))
            return
        state = "connected" if broker.connected else "DISCONNECTED"
        at = view.at
        clock = "not started" if at is None else at.astimezone(MARKET_TZ).strftime("%Y-%m-%d %H:%M ET")
        self.window.set_session_status(f"broker: {broker.broker} {state}",
                                       f"account: {broker.account_kind.upper()}", f"replay: {clock}")

    # --- the risk graph -----------------------------------------------------------------------

    def _select(self, kind: str, subject: str) -> None:
        self._selected = (kind, subject) if subject else ("", "")
        self._show_risk_graph()
        structure = self._structure_of(kind, subject)
        if structure is not None:
            leg = structure.legs[0]
            self.sig_expiry_wanted.emit(calendar.expiration_of(leg.expiry, leg.trading_class))

    def _structure_of(self, kind: str, subject: str) -> Structure | None:
        if kind == "candidate" and subject:
            candidate = self.session.journal.candidate(subject)
            return None if candidate is None else candidate.structure
        if kind == "position" and subject:
            record = self.session.journal.position(subject)
            return None if record is None else record.position.structure
        return None

    def _choose_risk_date(self, chosen: date) -> None:
        self._risk_date = chosen
        self._show_risk_graph()

    def _show_risk_graph(self) -> None:
        """Draw the selected trade's risk graph, priced again only when what it depends on changed."""
        kind, subject = self._selected
        key = (kind, subject, self._risk_date, self._views_built)
        if key == self._graph_key:
            return  # the same trade, date and view: the graph shown is still right
        self._graph_key = key
        graph = None
        if subject and self.view is not None:
            try:
                graph = risk_graph_of(self.session, kind, subject, self._risk_date)
            except OptimusError:
                graph = None
        self.panel(docks.RISK_GRAPH).set_graph(graph)

    # --- intents that send orders: a ticket first ---------------------------------------------

    def request_approval(self, edit: CandidateEdit) -> None:
        """Show the order an approval would send; Send approves it.

        A veto on current prices refuses the approval at once (journaled, logged, named in the
        candidate's status line) and the ticket shows it with Send disabled.
        """
        self._ticket(lambda: self._priced_approval(edit), lambda t: self._approve(edit))

    def _priced_approval(self, edit: CandidateEdit) -> OrderTicket:
        ticket = self.desk.approval_ticket(edit)
        if not ticket.can_send:
            self.desk.approve(edit)  # records the refusal with the limit; the candidate stays new
        return ticket

    def _approve(self, edit: CandidateEdit) -> None:
        verdict = self.desk.approve(edit)
        if not verdict.approved:  # prices moved between the ticket and Send
            self._warn(f"Approval refused by the risk manager: {verdict.limit}: {verdict.detail}")

    def propose_spread(self, right: Right, strike: float) -> None:
        """Start a manual credit spread on the clicked strike of the shown expiry (a new candidate)."""
        expiry = self.panel(docks.CHAIN).shown_expiry()
        if expiry is None or self.playing:
            return
        try:
            candidate_id = self.desk.propose_spread(expiry, right, strike)
        except OptimusError as error:
            self._warn(str(error))
            return
        self.refresh()
        self.flush()
        self.window.dock(docks.CANDIDATES).raise_()
        self.panel(docks.CANDIDATES).select_candidate(candidate_id)

    def reject(self, candidate_id: str) -> None:
        """Reject a candidate (nothing is sent, so no confirmation)."""
        self._guard(self.desk.reject)(candidate_id)

    def request_close(self, position_id: str) -> None:
        """Show the closing order of a position; Send sends it."""
        self._ticket(lambda: self.desk.close_ticket(position_id),
                     lambda t: self.desk.close(position_id, t.limit_price))

    def request_roll(self, position_id: str) -> None:
        """Ask where to roll (expiry, strike, limit), then show the roll's ticket."""
        try:
            options = self.desk.roll_options(position_id)
        except OptimusError as error:
            self._warn(str(error))
            return
        today = self.session.step_at(self.session.clock.now()).day
        dialog = RollDialog(options, today, self.window)
        dialog.sig_roll_chosen.connect(self._roll_chosen)
        self._open(dialog)

    def _roll_chosen(self, request: RollRequest) -> None:
        self._ticket(lambda: self.desk.roll_ticket(request), lambda t: self.desk.roll(request))

    def request_close_all(self) -> None:
        """Confirm, then send a closing order for every open position."""
        count = len(self.view.positions) if self.view else 0
        self._confirm(f"Close all {count} open positions at their natural prices now?",
                      self._guard(self.desk.close_all))

    def request_modify(self, order_id: str, limit: float) -> None:
        """Confirm, then change a working order's limit."""
        self._confirm(f"Change the limit of {order_id} to {limit:+.2f}?",
                      lambda: self._guard(self.desk.modify)(order_id, limit))

    def _confirm_breaker(self, action: str, why: str) -> None:
        text = ("Halt new entries until resumed?" if action == "halt" else "Resume new entries?")
        command = self.desk.halt if action == "halt" else self.desk.resume
        self._confirm(f"{text}\nReason: {why}", lambda: self._guard(command)(why))

    def _ticket(self, build: Callable[[], OrderTicket], send: Callable[[OrderTicket], object]) -> None:
        try:
            ticket = build()
        except OptimusError as error:
            self._warn(str(error))
            return
        if self.confirmations is not None:
            ticket = replace(ticket, live_account=self.live_account)
        dialog = OrderTicketDialog(ticket, self.window)
        dialog.sig_ticket_confirmed.connect(lambda t: self._guard(self._confirmed(send))(t))
        self._open(dialog)

    def _confirmed(self, send: Callable[[OrderTicket], object]) -> Callable[[OrderTicket], object]:
        """Return `send` preceded, for a live account, by the ticket's own order confirmation."""
        def confirmed_send(ticket: OrderTicket) -> object:
            if self.confirmations is not None:
                subject = ticket.subject_id
                self.confirmations.confirm(position_id_of(subject) if ticket.action == "open" else subject)
            return send(ticket)
        return confirmed_send

    def _confirm(self, text: str, action: Callable[[], object]) -> None:
        box = QMessageBox(QMessageBox.Icon.Question, "Optimus Terminal", text,
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self.window)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.accepted.connect(action)
        self._open(box)

    def _warn(self, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, "Optimus Terminal", text,
                          QMessageBox.StandardButton.Ok, self.window)
        self._open(box)

    def _open(self, dialog: QDialog) -> None:
        if self.dialog is not None:
            self.dialog.close()
        self.dialog = dialog
        dialog.finished.connect(lambda _: self._closed(dialog))
        dialog.open()

    def _closed(self, dialog: QDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()
        self._dirty = True

    def _guard(self, command: Callable[..., object]) -> Callable[..., None]:
        """Wrap a desk command: a refusal (bad state, no quote, a veto) becomes a message, not a crash."""
        def run(*args: object) -> None:
            try:
                command(*args)
            except OptimusError as error:
                self._warn(str(error))
            self._dirty = True
        return run

    # --- replay controls ----------------------------------------------------------------------

    @property
    def playing(self) -> bool:
        """Return True while the replay runs."""
        return self._play_task is not None and not self._play_task.done()

    def play(self, until_signal: bool = False) -> None:
        """Run the replay on its clock (to the end, or to the next signal) as a task."""
        if self.playing:
            return
        self._play_task = asyncio.ensure_future(
            self.session.play(self.first, self.last, until_signal, breath_s=BREATH_S))
        self._play_task.add_done_callback(self._played)
        self._dirty = True

    def _played(self, task: asyncio.Task[int]) -> None:
        self._dirty = True
        if not task.cancelled() and task.exception() is not None:
            self._warn(f"the replay stopped: {task.exception()}")

    def pause(self) -> None:
        """Stop the replay after the step it is in."""
        if self._play_task is not None:
            self._play_task.cancel()
        self._dirty = True

    async def wait_stopped(self) -> None:
        """Wait until a running replay task has ended."""
        if self._play_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._play_task

    def step(self) -> None:
        """Run the steps up to and including the next close."""
        if not self.playing:
            self._guard(self.session.step_day)(self.first, self.last)

    def set_speed(self, speed: float) -> None:
        """Set the replay's speed (simulated seconds per wall second; inf: as fast as it goes)."""
        self.session.clock.set_speed(speed)
        self._dirty = True

    def _choose_range(self, first: date, last: date) -> None:
        if self.session.cursor() is not None and first != self.first:
            self._warn("A replay never goes back: the first session of a started replay cannot change. "
                       "Start the terminal with a new journal (optimus --from ...) for another range.")
            return
        self.first, self.last = first, last
        self._dirty = True

    def _replay_view(self) -> ReplayView:
        cursor = self.session.cursor()
        finished = not self.session.pending_steps(self.first, self.last)
        return ReplayView(self.dataset, self.first, self.last, cursor and self.session.clock.now(),
                          self.playing, self.session.clock.speed, finished)

    async def aclose(self) -> None:
        """Stop the replay and the refresh timer."""
        self._timer.stop()
        self.pause()
        await self.wait_stopped()


def live_status(connection: ConnectionView, at: datetime | None) -> tuple[str, str, str]:
    """Return the status bar's broker, account and clock texts of a live session.

    E.g. ``("IB · paper · DU1234567 · connected", "account: PAPER", "live: 2015-01-16 15:59:31 ET")``;
    a live account reads ``LIVE`` so it stands out.
    """
    kind = "paper" if connection.account_kind == "paper" else "LIVE"
    state = "connected" if connection.connected else "disconnected"
    broker = " · ".join(part for part in (connection.broker, kind, connection.detail, state) if part)
    clock = "—" if at is None else at.astimezone(MARKET_TZ).strftime("%Y-%m-%d %H:%M:%S ET")
    return broker, f"account: {kind.upper()}", f"live: {clock}"


def _last_close(view: DeskView) -> date | None:
    """Return the last session whose close the replay has passed (what the chain and chart show)."""
    if view.at is None:
        return None
    day = view.at.astimezone(MARKET_TZ).date()
    if calendar.is_session(day) and view.at >= calendar.session_close(day):
        return day
    return calendar.previous_session(day)

