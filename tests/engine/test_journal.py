"""The trading journal over a real SQLite store: idempotent writes, windows, all-or-nothing blocks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from engine.errors import InputError
from engine.journal import Journal, PositionRecord, with_status
from engine.model import (
    CandidateStatus,
    ComboLeg,
    ExitPlan,
    Expiration,
    Fill,
    Leg,
    Order,
    OrderIntent,
    OrderStatus,
    Position,
    Right,
    Settlement,
    Structure,
    StructureKind,
    TradeCandidate,
)
from engine.store import Store

NY = ZoneInfo("America/New_York")
EXPIRY = date(2024, 3, 15)
DAY = date(2024, 3, 4)
T0 = datetime(2024, 3, 4, 10, 30, tzinfo=NY)
PLAN = ExitPlan(1.36, 5.45, date(2024, 3, 8), date(2024, 3, 6))
EXPIRATION = Expiration(EXPIRY, Settlement.AM, "SPX", datetime(2024, 3, 15, 9, 30, tzinfo=NY), "monthly")


def _leg(strike: float, quantity: int) -> Leg:
    return Leg(Right.PUT, strike, EXPIRY, quantity, 5.0, 5.2, 5.1, 0.18, -0.2, 0.001, -1.3, 3.4, "SPX")


STRUCTURE = Structure(
    StructureKind.PUT_CREDIT_SPREAD, "SPX", (_leg(5050.0, -1), _leg(5000.0, 1)),
    2.725, 2.55, 2.725, 47.275, (5047.275,), 0.81, 0.1, -0.0004, 0.21, -0.33,
)


def candidate(candidate_id: str = "C-1", at: datetime = T0, **changes: object) -> TradeCandidate:
    value = TradeCandidate(candidate_id, "SPX", DAY, at, STRUCTURE, EXPIRATION, 2, 0.7, PLAN)
    return replace(value, **changes)


def order(order_id: str = "O-1", at: datetime = T0, **changes: object) -> Order:
    legs = (ComboLeg(Right.PUT, 5050.0, EXPIRY, -1, "SPX"), ComboLeg(Right.PUT, 5000.0, EXPIRY, 1, "SPX"))
    value = Order(order_id, "SPX", OrderIntent.OPEN, legs, 2, 2.5, at, at + timedelta(minutes=5), "P-1")
    return replace(value, **changes)


def fill(fill_id: str = "O-1-F1", order_id: str = "O-1", at: datetime = T0, **changes: object) -> Fill:
    value = Fill(fill_id, order_id, at, 2, 2.6375, (5.05, 2.4125), 5.16)
    return replace(value, **changes)


def position_record(position_id: str = "P-1", opened_at: datetime = T0, **changes: object) -> PositionRecord:
    position = Position(position_id, "SPX", STRUCTURE, 2, 2.6, opened_at.astimezone(NY).date(), PLAN)
    value = PositionRecord(position, "open", opened_at, commissions=5.16, exit_mode="auto")
    return replace(value, **changes)


def closed(record: PositionRecord, at: datetime, pnl: float = 250.0) -> PositionRecord:
    return replace(
        record, status="closed", closed_at=at, exit_price=-1.3, exit_reason="profit target",
        realised_pnl=pnl, commissions=10.32,
    )


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "j.db"


@pytest.fixture
def store(path: Path) -> Iterator[Store]:
    opened = Store(path)
    yield opened
    opened.close()


@pytest.fixture
def journal(store: Store) -> Journal:
    return Journal(store)


def count(journal: Journal, table: str) -> int:
    return int(journal.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


# --- candidates ---------------------------------------------------------------------------------


def test_add_candidate_is_idempotent(journal: Journal) -> None:
    assert journal.add_candidate(candidate()) is True
    changed = candidate(detail="a second proposal with the same id", contracts=9)
    assert journal.add_candidate(changed) is False
    assert count(journal, "candidates") == 1
    assert journal.candidate("C-1") == candidate()  # the first write stands


def test_candidate_reads_back_equal_and_unknown_is_none(journal: Journal) -> None:
    journal.add_candidate(candidate(limit_price=2.65))
    assert journal.candidate("C-1") == candidate(limit_price=2.65)
    assert journal.candidate("nope") is None


def test_candidates_filter_by_status_in_proposal_order(journal: Journal) -> None:
    journal.add_candidate(candidate("C-3", T0 + timedelta(minutes=2)))
    journal.add_candidate(candidate("C-1", T0))
    journal.add_candidate(candidate("C-2", T0 + timedelta(minutes=1), status=CandidateStatus.APPROVED))
    assert [c.candidate_id for c in journal.candidates()] == ["C-1", "C-2", "C-3"]
    assert [c.candidate_id for c in journal.candidates([CandidateStatus.NEW])] == ["C-1", "C-3"]
    approved = journal.candidates([CandidateStatus.APPROVED])
    assert [c.candidate_id for c in approved] == ["C-2"]
    both = journal.candidates([CandidateStatus.NEW, CandidateStatus.APPROVED])
    assert [c.candidate_id for c in both] == ["C-1", "C-2", "C-3"]
    assert journal.candidates([CandidateStatus.FILLED]) == []
    assert journal.candidates([]) == []


def test_update_candidate_changes_status_and_the_filter_follows(journal: Journal) -> None:
    journal.add_candidate(candidate())
    journal.update_candidate(with_status(candidate(), CandidateStatus.VETOED, "heat over 25 %"))
    stored = journal.candidate("C-1")
    assert stored is not None
    assert (stored.status, stored.detail) == (CandidateStatus.VETOED, "heat over 25 %")
    assert journal.candidates([CandidateStatus.NEW]) == []
    assert journal.candidates([CandidateStatus.VETOED]) == [stored]


def test_a_naive_proposal_time_is_refused(journal: Journal) -> None:
    with pytest.raises(InputError):
        journal.add_candidate(candidate(at=datetime(2024, 3, 4, 10, 30)))  # noqa: DTZ001 - on purpose
    assert count(journal, "candidates") == 0


# --- orders -------------------------------------------------------------------------------------


def test_add_order_writes_created_and_an_event(journal: Journal) -> None:
    journal.add_order(order(), "C-1", "entry")
    stored = journal.order("O-1")
    assert stored is not None
    assert stored.order == order()
    assert stored.status is OrderStatus.CREATED
    assert (stored.candidate_id, stored.reason) == ("C-1", "entry")
    events = journal.order_events("O-1")
    assert events == [{"at_utc": T0.astimezone(UTC).isoformat(), "status": "created", "detail": "entry"}]


def test_unknown_order_is_none_and_cannot_change_status(journal: Journal) -> None:
    assert journal.order("nope") is None
    assert journal.order_events("nope") == []
    with pytest.raises(InputError, match="not in the journal"):
        journal.set_order_status("nope", OrderStatus.WORKING, T0)


def test_set_order_status_records_events_and_ignores_an_unchanged_status(journal: Journal) -> None:
    journal.add_order(order(), "C-1", "entry")
    journal.set_order_status("O-1", OrderStatus.WORKING, T0 + timedelta(seconds=1), "acknowledged")
    journal.set_order_status("O-1", OrderStatus.WORKING, T0 + timedelta(seconds=2), "again")  # no change
    journal.set_order_status("O-1", OrderStatus.FILLED, T0 + timedelta(seconds=3), "filled 2 @ 2.60")
    stored = journal.order("O-1")
    assert stored is not None
    assert stored.status is OrderStatus.FILLED
    events = journal.order_events("O-1")
    assert [(e["status"], e["detail"]) for e in events] == [
        ("created", "entry"), ("working", "acknowledged"), ("filled", "filled 2 @ 2.60"),
    ]
    assert events[1]["at_utc"] == (T0 + timedelta(seconds=1)).astimezone(UTC).isoformat()


def test_orders_filter_by_status_in_creation_order(journal: Journal) -> None:
    journal.add_order(order("O-2", T0 + timedelta(minutes=1)), "C-2", "entry")
    journal.add_order(order("O-1", T0), "", "exit: profit target")
    journal.set_order_status("O-2", OrderStatus.WORKING, T0 + timedelta(minutes=1))
    assert [o.order.order_id for o in journal.orders()] == ["O-1", "O-2"]
    assert [o.order.order_id for o in journal.orders([OrderStatus.WORKING])] == ["O-2"]
    assert [o.order.order_id for o in journal.orders([OrderStatus.CREATED])] == ["O-1"]
    assert journal.orders([OrderStatus.FILLED]) == []
    assert journal.order("O-1") is not None
    assert journal.order("O-1").candidate_id == ""  # type: ignore[union-attr]


# --- fills ----------------------------------------------------------------------------------------


def test_add_fill_is_idempotent_by_fill_id(journal: Journal) -> None:
    journal.add_order(order(), "C-1", "entry")
    assert journal.add_fill(fill()) is True
    assert journal.add_fill(fill(price=9.99, commission=99.0)) is False
    assert journal.fills() == [fill()]
    assert count(journal, "fills") == 1


def test_fills_are_in_time_order_and_filter_by_order(journal: Journal) -> None:
    journal.add_order(order("O-1"), "C-1", "entry")
    journal.add_order(order("O-2"), "C-2", "entry")
    late = fill("O-1-F2", "O-1", T0 + timedelta(minutes=2))
    early = fill("O-2-F1", "O-2", T0 + timedelta(minutes=1))
    first = fill("O-1-F1", "O-1", T0)
    same_time = fill("A-tie", "O-2", T0 + timedelta(minutes=2))  # a tie in time goes by fill id
    for value in (late, early, first, same_time):
        journal.add_fill(value)
    assert journal.fills() == [first, early, same_time, late]
    assert journal.fills("O-1") == [first, late]
    assert journal.fills("O-2") == [early, same_time]
    assert journal.fills("nope") == []


def test_fills_read_back_exact(journal: Journal) -> None:
    journal.add_order(order(), "C-1", "entry")
    value = fill(price=0.1 + 0.2, leg_prices=(5.05, 2.4125, 0.1 + 0.7), at=T0 + timedelta(microseconds=7))
    journal.add_fill(value)
    [back] = journal.fills()
    assert back == value
    assert back.at.tzinfo is not None
    assert back.price.hex() == value.price.hex()
    assert [p.hex() for p in back.leg_prices] == [p.hex() for p in value.leg_prices]


# --- positions ------------------------------------------------------------------------------------


def test_open_and_close_a_position(journal: Journal) -> None:
    record = position_record()
    journal.open_position(record)
    stored = journal.position("P-1")
    assert stored == record
    assert stored is not None
    assert (stored.status, stored.closed_at, stored.realised_pnl) == ("open", None, None)
    assert stored.exit_reason == ""
    assert journal.positions("open") == [record]
    assert journal.positions("closed") == []

    done = closed(record, T0 + timedelta(days=3))
    journal.close_position(done)
    assert journal.position("P-1") == done
    assert journal.positions("open") == []
    assert journal.positions("closed") == [done]
    assert journal.positions() == [done]
    assert journal.position("nope") is None


def test_a_close_needs_its_exit_fields(journal: Journal) -> None:
    record = position_record()
    journal.open_position(record)
    with pytest.raises(InputError, match="closed_at, exit_price and P&L"):
        journal.close_position(replace(closed(record, T0 + timedelta(days=1)), realised_pnl=None))
    with pytest.raises(InputError):
        journal.close_position(replace(closed(record, T0 + timedelta(days=1)), closed_at=None))
    with pytest.raises(InputError):
        journal.close_position(replace(closed(record, T0 + timedelta(days=1)), exit_price=None))
    assert journal.positions("open") == [record]


def test_positions_in_opening_order(journal: Journal) -> None:
    for position_id, minutes in (("P-3", 20), ("P-1", 0), ("P-2", 10)):
        journal.open_position(position_record(position_id, T0 + timedelta(minutes=minutes)))
    journal.close_position(closed(journal.position("P-1"), T0 + timedelta(days=1)))  # type: ignore[arg-type]
    assert [p.position_id for p in journal.positions()] == ["P-1", "P-2", "P-3"]
    assert [p.position_id for p in journal.positions("open")] == ["P-2", "P-3"]
    assert [p.position_id for p in journal.positions("closed")] == ["P-1"]


def test_set_exit_mode(journal: Journal) -> None:
    journal.open_position(position_record())
    journal.set_exit_mode("P-1", "manual")
    assert journal.position("P-1").exit_mode == "manual"  # type: ignore[union-attr]
    journal.set_exit_mode("P-1", "auto")
    assert journal.position("P-1").exit_mode == "auto"  # type: ignore[union-attr]


@pytest.mark.parametrize("mode", ["sometimes", "", "AUTO"])
def test_set_exit_mode_rejects_other_modes(journal: Journal, mode: str) -> None:
    journal.open_position(position_record())
    with pytest.raises(InputError, match="auto or manual"):
        journal.set_exit_mode("P-1", mode)
    assert journal.position("P-1").exit_mode == "auto"  # type: ignore[union-attr]


# --- windows: [start, end) ------------------------------------------------------------------------


START = datetime(2024, 3, 4, 0, 0, tzinfo=NY)
END = datetime(2024, 3, 5, 0, 0, tzinfo=NY)


def test_closed_between_is_start_inclusive_end_exclusive(journal: Journal) -> None:
    moments = {
        "before": START - timedelta(microseconds=1),
        "at-start": START,
        "inside": START + timedelta(hours=16),
        "just-before-end": END - timedelta(microseconds=1),
        "at-end": END,
    }
    for position_id, at in moments.items():
        record = position_record(position_id, START - timedelta(days=5))
        journal.open_position(record)
        journal.close_position(closed(record, at))
    journal.open_position(position_record("still-open", START + timedelta(hours=1)))
    found = journal.closed_between(START, END)
    assert [p.position_id for p in found] == ["at-start", "inside", "just-before-end"]
    assert all(p.status == "closed" for p in found)


def test_closed_between_accepts_the_window_in_any_zone(journal: Journal) -> None:
    record = position_record("P-1", START - timedelta(days=1))
    journal.open_position(record)
    journal.close_position(closed(record, datetime(2024, 3, 4, 16, 0, tzinfo=NY)))
    assert len(journal.closed_between(START.astimezone(UTC), END.astimezone(UTC))) == 1
    tokyo = ZoneInfo("Asia/Tokyo")
    assert len(journal.closed_between(START.astimezone(tokyo), END.astimezone(tokyo))) == 1


def test_opened_between_is_start_inclusive_end_exclusive(journal: Journal) -> None:
    for position_id, at in (
        ("before", START - timedelta(seconds=1)),
        ("at-start", START),
        ("inside", START + timedelta(hours=10, minutes=30)),
        ("at-end", END),
        ("after", END + timedelta(hours=1)),
    ):
        journal.open_position(position_record(position_id, at))
    assert journal.opened_between(START, END) == 2
    assert journal.opened_between(END, END + timedelta(days=1)) == 2
    assert journal.opened_between(START, START) == 0


def test_commissions_between_is_start_inclusive_end_exclusive(journal: Journal) -> None:
    journal.add_order(order(), "C-1", "entry")
    for fill_id, at, commission in (
        ("F-before", START - timedelta(microseconds=1), 100.0),
        ("F-start", START, 1.25),
        ("F-inside", START + timedelta(hours=11), 2.5),
        ("F-end", END, 1000.0),
    ):
        journal.add_fill(fill(fill_id, "O-1", at, commission=commission))
    assert journal.commissions_between(START, END) == pytest.approx(3.75)
    assert journal.commissions_between(END + timedelta(days=1), END + timedelta(days=2)) == 0.0
    assert isinstance(journal.commissions_between(START, START), float)


# --- log and state ---------------------------------------------------------------------------------


def test_log_entries_in_the_order_written(journal: Journal) -> None:
    entries = [
        (T0 + timedelta(minutes=5), "ENTRY", "sold 2 SPX 5050/5000P"),
        (T0, "SIGNAL", "written second, stamped earlier"),
        (T0 + timedelta(minutes=5), "EXIT", "same moment as the first"),
    ]
    for at, kind, text in entries:
        journal.log(at, kind, text)
    read = journal.log_entries()
    assert read == entries
    assert all(at.tzinfo is not None for at, _, _ in read)


def test_state_is_none_until_set_and_set_replaces(journal: Journal) -> None:
    assert journal.state("last_day") is None
    journal.set_state("last_day", "2024-03-04")
    assert journal.state("last_day") == "2024-03-04"
    journal.set_state("last_day", "2024-03-05")
    assert journal.state("last_day") == "2024-03-05"
    assert count(journal, "session_state") == 1


# --- transactions and reopening ----------------------------------------------------------------------


def test_a_transaction_that_raises_writes_nothing(journal: Journal) -> None:
    journal.set_state("before", "kept")

    def write_a_whole_step() -> None:
        with journal.transaction():
            journal.add_candidate(candidate())
            journal.add_order(order(), "C-1", "entry")
            journal.set_order_status("O-1", OrderStatus.FILLED, T0 + timedelta(seconds=5))
            journal.add_fill(fill())
            journal.open_position(position_record())
            journal.log(T0, "ENTRY", "half way")
            journal.set_state("before", "overwritten")
            journal.set_state("last_day", "2024-03-04")
            raise RuntimeError("crash mid-step")

    with pytest.raises(RuntimeError, match="crash mid-step"):
        write_a_whole_step()
    for table in ("candidates", "orders", "order_events", "fills", "positions", "journal_log"):
        assert count(journal, table) == 0, table
    assert journal.state("before") == "kept"
    assert journal.state("last_day") is None
    assert not journal.db.conn.in_transaction
    # and the journal is usable afterwards
    assert journal.add_candidate(candidate()) is True
    assert journal.candidates() == [candidate()]


def test_a_transaction_that_completes_writes_everything(journal: Journal) -> None:
    with journal.transaction():
        journal.add_candidate(candidate())
        journal.add_order(order(), "C-1", "entry")
        journal.add_fill(fill())
    assert count(journal, "candidates") == count(journal, "orders") == count(journal, "fills") == 1
    assert not journal.db.conn.in_transaction


def test_a_failing_inner_block_rolls_back_with_the_outer_one(journal: Journal) -> None:
    def nested() -> None:
        with journal.transaction():
            journal.add_candidate(candidate("C-outer"))
            with journal.transaction():
                journal.add_candidate(candidate("C-inner"))
            raise RuntimeError("the outer block fails after the inner one finished")

    with pytest.raises(RuntimeError, match="after the inner one"):
        nested()
    assert journal.candidates() == []


def test_a_transaction_that_raises_is_rolled_back_on_disk(path: Path, store: Store) -> None:
    journal = Journal(store)

    def crash() -> None:
        with journal.transaction():
            journal.add_candidate(candidate())
            journal.set_state("k", "v")
            raise RuntimeError("crash")

    with pytest.raises(RuntimeError, match="crash"):
        crash()
    store.close()
    reopened = Store(path)
    try:
        again = Journal(reopened)
        assert again.candidates() == []
        assert again.state("k") is None
    finally:
        reopened.close()


def test_reopening_the_store_shows_the_same_rows(path: Path) -> None:
    first = Store(path)
    journal = Journal(first)
    journal.add_candidate(candidate(limit_price=2.65))
    journal.add_order(order(), "C-1", "entry")
    journal.set_order_status("O-1", OrderStatus.FILLED, T0 + timedelta(seconds=3), "filled")
    journal.add_fill(fill())
    record = position_record()
    journal.open_position(record)
    journal.open_position(position_record("P-2", T0 + timedelta(minutes=1)))
    journal.close_position(closed(record, T0 + timedelta(days=2)))
    journal.set_exit_mode("P-2", "manual")
    journal.log(T0, "ENTRY", "sold 2")
    journal.set_state("last_day", "2024-03-04")
    snapshot = (
        journal.candidates(), journal.orders(), journal.order_events("O-1"), journal.fills(),
        journal.positions(), journal.log_entries(), journal.state("last_day"),
    )
    first.close()

    second = Store(path)
    try:
        again = Journal(second)
        assert (
            again.candidates(), again.orders(), again.order_events("O-1"), again.fills(),
            again.positions(), again.log_entries(), again.state("last_day"),
        ) == snapshot
        assert again.candidate("C-1") == candidate(limit_price=2.65)
        assert again.fills() == [fill()]
        assert again.position("P-1") == closed(record, T0 + timedelta(days=2))
        assert again.position("P-2").exit_mode == "manual"  # type: ignore[union-attr]
        assert [e["status"] for e in again.order_events("O-1")] == ["created", "filled"]
        assert again.add_candidate(candidate()) is False  # still idempotent after a restart
        assert again.add_fill(fill()) is False
    finally:
        second.close()
