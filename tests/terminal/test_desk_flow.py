"""The whole desk driven through the panels' own widgets, on a real replay (modelled chains, paper broker).

replay to a signal -> candidate with its gate report -> approve -> confirmation -> order -> fill ->
position -> close from the positions panel -> gone, P&L in the log and the equity chart; the same
for reject, roll and a veto. The terminal is parked at the 2015-01-13 close; the strategy's next
signal is the 2015-01-16 close.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Coroutine, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel, QMessageBox, QPushButton, QSpinBox, QWidget
from pytestqt.qtbot import QtBot

from engine.data.history import MarketHistory, load_history
from engine.model import CandidateStatus, Expiration, OrderStatus, Right
from engine.model.desk import ConnectionView
from terminal import docks
from terminal.desk_bridge import DeskBridge
from terminal.main_window import MainWindow
from terminal.replay_setup import DATASET, ReplayPlan, open_terminal_replay
from tests.terminal.async_support import run_on_qt_loop
from tests.waiting import until
from widgets.order_ticket import OrderTicketDialog
from widgets.roll_dialog import RollDialog

PARK, SIGNAL, LAST = date(2015, 1, 13), date(2015, 1, 16), date(2015, 6, 30)
CANDIDATE, POSITION = "C-SPX-2015-01-16", "P-SPX-2015-01-16"


@pytest.fixture(scope="module")
def history() -> MarketHistory:
    """Return the bundled history (loaded once)."""
    return load_history()


@pytest.fixture
def desk(qtbot: QtBot, tmp_path: Path, history: MarketHistory) -> Iterator[tuple[MainWindow, DeskBridge]]:
    """Return the terminal's window and bridge on a replay parked at the 2015-01-13 close."""
    window = MainWindow(docks.default_docks())
    qtbot.addWidget(window)
    window.resize(1600, 960)
    window.show()
    plan = ReplayPlan(date(2015, 1, 2), LAST, PARK, tmp_path / "journal.sqlite")
    session = open_terminal_replay(history, plan)
    connection = ConnectionView("paper", "paper", True)
    bridge = DeskBridge(window, session, plan.first, plan.last, DATASET, connection)
    bridge.refresh()
    bridge.flush()
    yield window, bridge
    bridge._timer.stop()
    session.journal.store.close()


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run an async scenario on the qasync loop, as the terminal runs."""
    run_on_qt_loop(scenario())




def click(parent: QWidget, name: str) -> None:
    """Click the button called `name` inside `parent` (as the trader would)."""
    button = parent.findChild(QAbstractButton, name)
    assert button is not None, f"no button {name!r}"
    assert button.isEnabled(), f"button {name!r} is disabled"
    button.click()


def ticket_of(bridge: DeskBridge) -> OrderTicketDialog:
    """Return the order ticket on screen."""
    assert isinstance(bridge.dialog, OrderTicketDialog), f"expected an order ticket, got {bridge.dialog!r}"
    return bridge.dialog


async def to_signal(window: MainWindow, bridge: DeskBridge) -> None:
    """Press Next signal and wait for the candidate to show."""
    click(window.panel(docks.REPLAY), "replayNextSignal")
    await until(lambda: not bridge.playing and bridge.session.cursor() is not None
                and bridge.session.cursor().date() == SIGNAL, "the next signal")
    candidates = window.panel(docks.CANDIDATES)
    await until(lambda: candidates.selected_candidate_id() == CANDIDATE, "the candidate in the panel")


async def approve_and_fill(window: MainWindow, bridge: DeskBridge, contracts: int | None = None) -> None:
    """Approve the selected candidate through its ticket, then step into the entry window."""
    candidates = window.panel(docks.CANDIDATES)
    if contracts is not None:
        candidates.findChild(QSpinBox, "contractsSpin").setValue(contracts)
    click(candidates, "approveButton")
    ticket = ticket_of(bridge)
    assert ticket.ticket.can_send
    click(ticket, "sendButton")
    assert bridge.session.journal.candidate(CANDIDATE).status is CandidateStatus.APPROVED
    click(window.panel(docks.REPLAY), "replayStep")  # the 10:30 entry window and that day's close
    positions = window.panel(docks.POSITIONS)
    await until(lambda: positions.selected_position_id() == POSITION or _rows(positions) > 0, "the position")


def _rows(panel: QWidget) -> int:
    return panel.model.rowCount()


def _log_has(bridge: DeskBridge, kind: str, text: str) -> bool:
    return any(line.kind == kind and text in line.text for line in bridge.view.log) if bridge.view else False


def test_signal_approve_fill_then_close_from_the_positions_panel(desk: tuple[MainWindow, DeskBridge]) -> None:
    window, bridge = desk

    async def scenario() -> None:
        await to_signal(window, bridge)
        details = window.panel(docks.CANDIDATES).details
        gates = next(view.gates for view in bridge.view.candidates if view.candidate_id == CANDIDATE)
        assert len(gates) >= 10
        assert all(gate.name in details.gate_names() for gate in gates)  # the full report is shown
        risk_graph = window.panel(docks.RISK_GRAPH)
        await until(lambda: not risk_graph.is_placeholder_shown(), "the candidate's risk graph")
        assert CANDIDATE in risk_graph.title_text()
        await approve_and_fill(window, bridge, contracts=1)
        order = bridge.session.journal.order(f"O-{CANDIDATE}")
        assert order.status is OrderStatus.FILLED
        positions = window.panel(docks.POSITIONS)
        positions.select_position(POSITION)
        click(positions, "closeButton")
        ticket = ticket_of(bridge)
        assert ticket.ticket.action == "close"
        equity_before = bridge.view.equity_curve.equity[-1]
        click(ticket, "sendButton")
        await until(lambda: _rows(positions) == 0, "the position to leave the panel")
        await until(lambda: _log_has(bridge, "TRADE CLOSED", "MANUAL CLOSE"), "the close in the log")
        record = bridge.session.journal.position(POSITION)
        assert record.status == "closed"
        expected = bridge.session.book.equity([])
        equity = window.panel(docks.EQUITY)
        await until(lambda: abs(equity.equity_data()[1][-1] - expected) < 0.005,
                    "the equity chart's live point to show the book after the close")
        assert expected != pytest.approx(equity_before, abs=0.005)  # the close's costs moved it

    run(scenario)


def test_reject_leaves_no_order(desk: tuple[MainWindow, DeskBridge]) -> None:
    window, bridge = desk

    async def scenario() -> None:
        await to_signal(window, bridge)
        click(window.panel(docks.CANDIDATES), "rejectButton")
        assert bridge.session.journal.candidate(CANDIDATE).status is CandidateStatus.REJECTED
        click(window.panel(docks.REPLAY), "replayStep")
        await until(lambda: bridge.session.cursor().date() > SIGNAL, "the next session")
        assert bridge.session.journal.order(f"O-{CANDIDATE}") is None
        await until(lambda: bridge.view.at.date() > SIGNAL, "the view of the next session")
        shown = {row.candidate_id: row.candidate.status for row in bridge.view.candidates}
        assert shown[CANDIDATE] is CandidateStatus.REJECTED

    run(scenario)


def test_a_veto_refuses_the_approval_naming_the_limit(desk: tuple[MainWindow, DeskBridge]) -> None:
    window, bridge = desk

    async def scenario() -> None:
        await to_signal(window, bridge)
        candidates = window.panel(docks.CANDIDATES)
        candidates.findChild(QSpinBox, "contractsSpin").setValue(400)
        click(candidates, "approveButton")
        ticket = ticket_of(bridge)
        limit = ticket.ticket.verdict.limit
        assert not ticket.ticket.can_send
        shown = " ".join(label.text() for label in ticket.findChildren(QLabel))
        assert f"VETOED by {limit}" in shown  # the ticket names the limit that refused it
        assert not ticket.findChild(QPushButton, "sendButton").isEnabled()
        click(ticket, "cancelButton")
        candidate = bridge.session.journal.candidate(CANDIDATE)
        assert candidate.status is CandidateStatus.NEW
        assert limit in candidate.detail
        await until(lambda: _log_has(bridge, "RISK VETO", limit), "the veto in the log")
        click(window.panel(docks.REPLAY), "replayStep")
        await until(lambda: bridge.session.cursor().date() > SIGNAL, "the next session")
        assert bridge.session.journal.order(f"O-{CANDIDATE}") is None

    run(scenario)


def test_roll_from_the_positions_panel_as_one_combo(desk: tuple[MainWindow, DeskBridge]) -> None:
    window, bridge = desk

    async def scenario() -> None:
        await to_signal(window, bridge)
        await approve_and_fill(window, bridge, contracts=1)
        positions = window.panel(docks.POSITIONS)
        positions.select_position(POSITION)
        click(positions, "rollButton")
        dialog = bridge.dialog
        assert isinstance(dialog, RollDialog)
        click(dialog, "previewButton")
        ticket = ticket_of(bridge)
        assert ticket.ticket.action == "roll"
        assert len(ticket.ticket.legs) == 4
        click(ticket, "sendButton")
        rolled = f"{POSITION}-R1"
        await until(lambda: [r.position_id for r in bridge.view.positions] == [rolled], "the rolled position")
        assert bridge.session.journal.position(POSITION).exit_reason == "ROLLED"
        new = bridge.session.journal.position(rolled).position
        assert new.structure.expiry > bridge.session.journal.position(POSITION).position.structure.expiry

    run(scenario)


def test_halt_asks_for_confirmation_then_halts(desk: tuple[MainWindow, DeskBridge], qtbot: QtBot) -> None:
    window, bridge = desk

    async def scenario() -> None:
        breaker = window.panel(docks.BREAKER)
        breaker.reason_edit.setText("FOMC at 14:00")
        click(breaker, "haltButton")
        box = bridge.dialog
        assert isinstance(box, QMessageBox)
        assert bridge.session.breaker.load().manual_halt is None  # nothing before the confirmation
        box.button(QMessageBox.StandardButton.Yes).click()
        await until(lambda: breaker.badge_text() == "HALTED", "the halt in the breaker panel")
        assert "FOMC" in breaker.texts()["status"]

    run(scenario)


def test_keyboard_shortcuts_play_and_step(desk: tuple[MainWindow, DeskBridge], qtbot: QtBot) -> None:
    window, bridge = desk

    async def scenario() -> None:
        before = bridge.session.cursor()
        qtbot.keyClick(window, Qt.Key.Key_F10)  # step one session
        await until(lambda: bridge.session.cursor() != before, "a step")
        assert window.session_status()[2].startswith("replay: ")
        await until(lambda: window.session_status()[2].startswith("replay: 2015-01-14"), "the status time")
        assert window.session_status()[1] == "account: PAPER"
        assert math.isinf(bridge.session.clock.speed)

    run(scenario)




def test_a_double_click_on_a_chain_strike_starts_a_manual_spread(desk: tuple[MainWindow, DeskBridge]) -> None:
    window, bridge = desk

    async def scenario() -> None:
        chain = window.panel(docks.CHAIN)
        expiration = _feb(bridge)
        chain.show_slice(bridge.session.feed.chains.slice_at(PARK, expiration))  # the terminal's chain
        chain.sig_strike_clicked.emit(Right.PUT, 1950.0)  # what the chain's double-click emits
        candidates = window.panel(docks.CANDIDATES)
        manual = candidates.selected_candidate_id()
        assert manual is not None
        assert manual.startswith("C-M")
        structure = bridge.session.journal.candidate(manual).structure
        assert [leg.strike for leg in structure.legs] == [1950.0, 1900.0]
        assert structure.expiry == chain.shown_expiry()

    run(scenario)


def _feb(bridge: DeskBridge) -> Expiration:
    """Return the 2015-02-20 monthly as listed at the parking close."""
    return next(e for e in bridge.session.feed.chains.expirations(PARK) if e.expiry == date(2015, 2, 20))


def test_selecting_a_candidate_asks_the_chain_for_its_expiry(desk: tuple[MainWindow, DeskBridge],
                                                             qtbot: QtBot) -> None:
    window, bridge = desk

    async def scenario() -> None:
        with qtbot.waitSignal(bridge.sig_expiry_wanted, timeout=30000) as wanted:
            await to_signal(window, bridge)
        expiry = bridge.session.journal.candidate(CANDIDATE).structure.expiry
        assert wanted.args[0].expiry == expiry

    run(scenario)
