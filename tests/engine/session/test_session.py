"""TradingSession over the bundled history with the paper broker: accounting, settlement, approvals."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from engine import calendar
from engine.accounting import fill_cash, settlement_price
from engine.data.history import MarketHistory
from engine.errors import InputError
from engine.model import CandidateStatus, OrderStatus
from engine.session import SessionOptions, entry_order_id, position_id_of
from tests.engine.session.conftest import Replay, dump

FIRST, LAST = date(2015, 1, 1), date(2015, 3, 31)


def _candidate_of(position_id: str) -> str:
    """Return the candidate id a position was opened from (the inverse of position_id_of)."""
    candidate = "C-" + position_id.removeprefix("P-")
    assert position_id_of(candidate) == position_id
    return candidate


def test_a_replay_opens_and_closes_positions_through_orders_and_fills(replay: Replay) -> None:
    session = replay()
    steps = session.run(FIRST, LAST)
    assert steps == 2 * len(session.feed.sessions(FIRST, LAST))
    positions = session.journal.positions()
    assert len(positions) >= 3
    for record in positions:
        entry = session.journal.order(entry_order_id(_candidate_of(record.position_id)))
        assert entry is not None
        assert entry.status is OrderStatus.FILLED
        assert entry.order.limit_price <= record.position.entry_credit + 1e-9  # filled at or above its limit
    assert {r.exit_reason for r in positions if r.status == "closed"} <= {
        "PROFIT TARGET", "STOP LOSS", "TIME STOP", "REGIME SHIFT", "EXPIRY GUARD"}


def test_cash_is_the_sum_of_the_fills_and_equity_is_cash_less_the_marks(replay: Replay) -> None:
    session = replay()
    session.run(FIRST, LAST)
    journal = session.journal
    multipliers = {e.order.order_id: e.order.multiplier for e in journal.orders()}
    cash = 500_000.0 + sum(fill_cash(f, multipliers[f.order_id]) for f in journal.fills())
    last_day = journal.days()[-1]
    assert last_day["cash"] == pytest.approx(cash, abs=1e-6)
    open_positions = [r.position for r in journal.positions("open")]
    assert last_day["open_value"] == pytest.approx(session.book.open_value(open_positions), abs=1e-6)
    assert last_day["equity"] == pytest.approx(cash - session.book.open_value(open_positions), abs=1e-6)
    # every realised P&L is its fills' cash: credit in, debit out, commissions of both sides
    for record in journal.positions("closed"):
        pid = record.position_id
        mine = (entry_order_id(_candidate_of(pid)), f"S-{pid}")
        fills = [f for f in journal.fills() if f.order_id in mine or f.order_id.startswith(f"X-{pid}-")]
        assert record.realised_pnl == pytest.approx(sum(fill_cash(f, 100) for f in fills), abs=1e-6)


def test_two_runs_write_the_same_journal(replay: Replay, tmp_path: Path) -> None:
    replay("a.db").run(FIRST, LAST)
    replay("b.db").run(FIRST, LAST)
    assert dump(tmp_path / "a.db") == dump(tmp_path / "b.db")


def test_cutting_the_history_after_d_changes_nothing_decided_up_to_d(
    replay: Replay, history: MarketHistory, tmp_path: Path
) -> None:
    cut = date(2015, 2, 27)
    replay("full.db").run(FIRST, cut)
    replay("cut.db", source=history.up_to(cut)).run(FIRST, cut)
    assert dump(tmp_path / "full.db") == dump(tmp_path / "cut.db")


def test_a_position_held_to_expiry_is_cash_settled_am_on_the_monthly(
    replay: Replay, history: MarketHistory
) -> None:
    session = replay(options=SessionOptions(exit_mode="manual"))  # exits wait for a trader who never acts
    session.run(date(2015, 1, 1), date(2015, 4, 30))
    settled = [r for r in session.journal.positions("closed") if r.exit_reason == "SETTLED"]
    assert settled, "a position whose exits are manual must be settled at expiry"
    record = settled[0]
    leg = record.position.structure.legs[0]
    expiration = calendar.expiration_of(leg.expiry, leg.trading_class)
    row = history.row_of(leg.expiry)
    column = "spx_open" if expiration.settlement.value == "AM" else "spx_close"
    value = float(history.column(column)[row])
    assert record.exit_price == pytest.approx(settlement_price(record.position, value))
    assert record.closed_at == expiration.settles_at
    logs = [text for _, kind, text in session.journal.log_entries() if kind == "EXIT SIGNAL"]
    assert any(record.position_id in text for text in logs)  # the trader was told


def test_without_approval_a_candidate_waits_then_expires_at_the_next_window(replay: Replay) -> None:
    session = replay(options=SessionOptions(auto_approve=False))
    session.run(FIRST, LAST)
    candidates = session.journal.candidates()
    assert candidates
    assert all(c.status is CandidateStatus.EXPIRED for c in candidates[:-1])
    assert session.journal.positions() == []
    assert session.journal.orders() == []


def test_a_limit_the_market_never_reaches_does_not_fill(replay: Replay) -> None:
    session = replay()
    day = date(2015, 2, 3)  # a signal close (tests/engine/strategy pins it)
    session.run(FIRST, day)
    candidate = session.journal.candidate(f"C-SPX-{day.isoformat()}")
    assert candidate is not None
    assert candidate.status is CandidateStatus.APPROVED
    greedy = candidate.structure.credit_mid + 5.0  # five points above mid: no market pays that
    session.journal.update_candidate(type(candidate)(**{**_fields(candidate), "limit_price": greedy}))
    session.run(FIRST, calendar.next_session(day))
    entry = session.journal.order(f"O-{candidate.candidate_id}")
    assert entry is not None
    assert entry.status is OrderStatus.EXPIRED
    assert session.journal.candidate(candidate.candidate_id).status is CandidateStatus.EXPIRED  # type: ignore[union-attr]
    assert session.journal.fills(entry.order.order_id) == []


def _fields(candidate: object) -> dict[str, object]:
    return {name: getattr(candidate, name) for name in candidate.__slots__}  # type: ignore[attr-defined]


def test_step_day_runs_one_session_and_seek_runs_forward_only(replay: Replay) -> None:
    session = replay()
    assert session.step_day(FIRST, LAST) == 2  # 2015-01-02: the entry window, then the close
    assert session.journal.days()[-1]["day"] == "2015-01-02"
    session.seek(FIRST, date(2015, 1, 9))
    assert session.journal.days()[-1]["day"] == "2015-01-09"
    with pytest.raises(InputError, match="start a new journal"):
        session.seek(FIRST, date(2015, 1, 5))


def test_play_stops_after_the_first_close_with_a_signal(replay: Replay) -> None:
    import asyncio

    session = replay()
    asyncio.run(session.play(FIRST, LAST, until_signal=True))
    candidates = session.journal.candidates()
    assert len(candidates) == 1
    assert session.cursor() == calendar.session_close(candidates[0].signal_day)
