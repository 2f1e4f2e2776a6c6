"""The trader's desk on a real replay session: approve, veto, reject, close, roll, cancel, modify, halt.

Every test runs the real session (modelled feed, paper broker, SQLite journal) to the close of
2015-01-16, when the default strategy proposes a put credit spread, and acts on it as a trader.
"""

from __future__ import annotations

import math
from datetime import date

import pytest

from engine.accounting import fill_cash
from engine.desk import Desk
from engine.desk_view import ViewContext, build_desk_view
from engine.errors import InputError
from engine.model import CandidateStatus, OrderStatus, Right
from engine.model.desk import CandidateEdit, ConnectionView, ReplayView, RollRequest
from engine.session import SessionOptions, TradingSession, candidate_id, entry_order_id, position_id_of
from tests.engine.session.conftest import Replay

FIRST, SIGNAL, LAST = date(2015, 1, 2), date(2015, 1, 16), date(2015, 3, 31)
CANDIDATE = candidate_id("SPX", SIGNAL)
POSITION = position_id_of(CANDIDATE)


def _at_signal(replay: Replay, exit_mode: str = "auto") -> tuple[TradingSession, Desk]:
    session = replay(options=SessionOptions(auto_approve=False, exit_mode=exit_mode))  # type: ignore[arg-type]
    session.run(FIRST, SIGNAL)
    return session, Desk(session)


def _opened(replay: Replay, exit_mode: str = "auto") -> tuple[TradingSession, Desk]:
    session, desk = _at_signal(replay, exit_mode)
    assert desk.approve(CandidateEdit(CANDIDATE, contracts=1)).approved
    session.step_day(FIRST, LAST)  # the entry window and the close of the next session
    return session, desk


def _context(session: TradingSession) -> ViewContext:
    replay = ReplayView("bundled", FIRST, LAST, session.clock.now(), False, math.inf, False)
    return ViewContext(replay, ConnectionView("paper", "paper", True))


def test_the_approval_ticket_prices_the_order_and_changes_nothing(replay: Replay) -> None:
    session, desk = _at_signal(replay)
    ticket = desk.approval_ticket(CandidateEdit(CANDIDATE))
    assert ticket.can_send
    assert ticket.action == "open"
    assert ticket.contracts == 2
    assert [leg.ratio for leg in ticket.legs] == [-1, 1]
    assert ticket.limit_price == pytest.approx(round(ticket.natural_price / 0.05) * 0.05, abs=0.051)
    assert ticket.commission_estimate == pytest.approx(2 * 2 * 1.29)
    assert session.journal.candidate(CANDIDATE).status is CandidateStatus.NEW


def test_an_approval_goes_out_in_the_next_window_and_opens_the_position(replay: Replay) -> None:
    session, desk = _at_signal(replay)
    verdict = desk.approve(CandidateEdit(CANDIDATE, contracts=1, limit_price=None))
    assert verdict.approved
    assert session.journal.order(entry_order_id(CANDIDATE)) is None  # not before the window
    session.step_day(FIRST, LAST)
    assert session.journal.order(entry_order_id(CANDIDATE)).status is OrderStatus.FILLED
    record = session.journal.position(POSITION)
    assert record is not None
    assert record.position.contracts == 1
    view = build_desk_view(session, _context(session))
    assert [row.position_id for row in view.positions] == [POSITION]
    assert view.candidates[-1].candidate.status is CandidateStatus.FILLED


def test_an_approval_beyond_a_limit_is_refused_naming_it(replay: Replay) -> None:
    session, desk = _at_signal(replay)
    verdict = desk.approve(CandidateEdit(CANDIDATE, contracts=400))
    assert not verdict.approved
    assert verdict.limit
    candidate = session.journal.candidate(CANDIDATE)
    assert candidate.status is CandidateStatus.NEW  # refused, the trader may retry smaller
    assert verdict.limit in candidate.detail
    assert any(kind == "RISK VETO" and verdict.limit in text for _, kind, text in session.journal.log_tail(5))
    assert desk.approve(CandidateEdit(CANDIDATE, contracts=1)).approved
    session.step_day(FIRST, LAST)
    assert session.journal.order(entry_order_id(CANDIDATE)).order.contracts == 1


def test_a_rejected_candidate_is_never_sent(replay: Replay) -> None:
    session, desk = _at_signal(replay)
    desk.reject(CANDIDATE, "too close to the FOMC")
    session.step_day(FIRST, LAST)
    assert session.journal.candidate(CANDIDATE).status is CandidateStatus.REJECTED
    assert session.journal.order(entry_order_id(CANDIDATE)) is None
    with pytest.raises(InputError, match="only a new candidate"):
        desk.approve(CandidateEdit(CANDIDATE))


def test_a_manual_close_fills_and_books_the_pnl_to_the_cent(replay: Replay) -> None:
    session, desk = _opened(replay)
    order_id = desk.close(POSITION)
    assert session.journal.order(order_id).status is OrderStatus.FILLED
    record = session.journal.position(POSITION)
    assert record.status == "closed"
    assert record.exit_reason == "MANUAL CLOSE"
    fills = session.journal.fills()
    expected = (record.position.entry_credit + record.exit_price) * 100 - sum(f.commission for f in fills)
    assert record.realised_pnl == pytest.approx(expected, abs=1e-9)
    cash = session.book.starting_equity + sum(fill_cash(f, 100) for f in fills)
    assert session.book.cash == pytest.approx(cash, abs=1e-9)
    closes = [text for _, kind, text in session.journal.log_tail(5) if kind == "TRADE CLOSED"]
    assert any("MANUAL CLOSE" in text for text in closes)
    assert build_desk_view(session, _context(session)).positions == ()


def test_a_roll_closes_and_reopens_as_one_combo_whose_halves_add_up(replay: Replay) -> None:
    session, desk = _opened(replay)
    options = desk.roll_options(POSITION)
    assert options.expirations
    assert all(e.expiry > options.current_expiry for e in options.expirations)
    assert options.long_offset == -50.0  # a put spread's long leg sits a width below the short
    request = RollRequest(POSITION, options.default_expiry, options.current_short_strike - 25.0)
    ticket = desk.roll_ticket(request)
    assert ticket.can_send
    assert len(ticket.legs) == 4
    assert ticket.action == "roll"
    order_id = desk.roll(request)
    assert session.journal.order(order_id).status is OrderStatus.FILLED
    old = session.journal.position(POSITION)
    new = session.journal.position(f"{POSITION}-R1")
    assert old.status == "closed"
    assert old.exit_reason == "ROLLED"
    assert new is not None
    assert new.status == "open"
    assert new.position.structure.expiry == options.default_expiry
    assert min(leg.strike for leg in new.position.structure.legs if leg.quantity < 0) == request.short_strike
    fill = session.journal.fills(order_id)[0]
    assert old.exit_price + new.position.entry_credit == pytest.approx(fill.price, abs=1e-12)
    first_commissions = session.journal.fills(entry_order_id(CANDIDATE))[0].commission
    assert (old.commissions - first_commissions) + new.commissions == pytest.approx(fill.commission, abs=1e-9)


def test_manual_exits_are_signalled_to_the_trader_not_sent(replay: Replay) -> None:
    session, desk = _opened(replay, exit_mode="manual")
    for _ in range(40):
        session.step_day(FIRST, LAST)
        if session.pending_exit(POSITION) is not None:
            break
    signal = session.pending_exit(POSITION)
    assert signal is not None
    assert not [e for e in session.journal.orders() if e.order.order_id.startswith("X-")]
    row = build_desk_view(session, _context(session)).positions[0]
    assert signal.reason.value in row.exit_signal
    desk.close(POSITION)
    assert session.journal.position(POSITION).exit_reason == signal.reason.value


def test_a_working_order_can_be_modified_until_it_fills_or_cancelled(replay: Replay) -> None:
    session, desk = _opened(replay)
    unreachable = desk.close(POSITION, limit=5.0)  # a credit to close a short spread: never fills
    assert session.journal.order(unreachable).status is OrderStatus.WORKING
    with pytest.raises(InputError, match="already has a closing"):
        desk.close(POSITION)
    desk.modify(unreachable, -30.0)  # pay up to 30.00: fills at the model's price
    assert session.journal.order(unreachable).status is OrderStatus.FILLED
    assert session.journal.order(unreachable).order.limit_price == -30.0


def test_a_working_order_can_be_cancelled(replay: Replay) -> None:
    session, desk = _opened(replay)
    working = desk.close(POSITION, limit=5.0)
    desk.cancel(working)
    assert session.journal.order(working).status is OrderStatus.CANCELLED
    assert session.journal.position(POSITION).status == "open"
    with pytest.raises(InputError, match="only a working order"):
        desk.modify(working, -30.0)


def test_a_manual_halt_refuses_approvals_until_resumed(replay: Replay) -> None:
    session, desk = _at_signal(replay)
    desk.halt("CPI tomorrow")
    view = build_desk_view(session, _context(session))
    assert view.breaker.state == "halted"
    assert "CPI tomorrow" in view.breaker.status_text
    ticket = desk.approval_ticket(CandidateEdit(CANDIDATE))
    assert not ticket.can_send
    assert "breaker" in ticket.verdict.limit
    desk.resume("data out")
    assert build_desk_view(session, _context(session)).breaker.state == "armed"
    assert desk.approve(CandidateEdit(CANDIDATE)).approved


def test_the_desk_view_shows_the_gate_report_regime_and_curve(replay: Replay) -> None:
    session, _ = _at_signal(replay)
    view = build_desk_view(session, _context(session))
    row = view.candidates[-1]
    assert row.candidate_id == CANDIDATE
    assert len(row.gates) >= 10
    assert row.regime
    assert view.regime.signal
    assert view.regime.day == SIGNAL
    assert len(view.regime.gates) >= 10
    assert len(view.equity_curve.times) == len(session.journal.days())
    assert any(mark.kind == "signal" and mark.day == SIGNAL for mark in view.marks)
    assert view.spot == pytest.approx(session.feed.history.frame["spx_close"].loc[str(SIGNAL)].item())


def test_a_manual_spread_from_the_chain_is_a_candidate_like_the_strategys(replay: Replay) -> None:
    session, desk = _at_signal(replay)
    expiry = session.journal.candidate(CANDIDATE).structure.expiry
    manual = desk.propose_spread(expiry, Right.PUT, 1900.0, contracts=1)
    candidate = session.journal.candidate(manual)
    assert candidate.status is CandidateStatus.NEW
    assert [leg.strike for leg in candidate.structure.legs] == [1900.0, 1850.0]
    assert candidate.structure.credit_mid > 0
    assert desk.approve(CandidateEdit(manual)).approved
    session.step_day(FIRST, LAST)
    assert session.journal.position(position_id_of(manual)).status == "open"
    with pytest.raises(InputError, match="no credit"):
        desk.propose_spread(expiry, Right.PUT, 1000.0)  # so far out both legs are worth the same
