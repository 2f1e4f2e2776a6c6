"""The breaker's state in the SQLite store: migration 2, restart survival, atomic writes."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from engine import store as store_module
from engine.risk import BreakerRules, BreakerState, BreakerStore, CircuitBreaker, ClosedTrade, ManualAction
from engine.store import Store

DAY = date(2025, 7, 3)
BREAKER = CircuitBreaker(BreakerRules(count=3, cooldown_days=5))


def _stopped(i: int) -> ClosedTrade:
    return ClosedTrade(f"S{i}", -520.0, 9_480.0, stop_loss_exit=True)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "optimus.db"


@pytest.fixture
def breakers(path: Path) -> Iterator[BreakerStore]:
    store = Store(path)
    yield BreakerStore(store, BREAKER)
    store.close()


def test_migration_2_creates_the_breaker_tables(path: Path) -> None:
    store = Store(path)
    assert store.schema_version >= 2
    assert {"circuit_breaker", "circuit_breaker_events"} <= set(store.db.table_names())
    store.close()


def test_a_version_1_file_is_upgraded_in_place(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(store_module, "MIGRATIONS", store_module.MIGRATIONS[:1])
        patch.setattr(store_module, "SCHEMA_VERSION", 1)
        Store(path).close()
    store = Store(path)
    assert store.schema_version == store_module.SCHEMA_VERSION
    assert BreakerStore(store).load() == BreakerState()
    store.close()


def test_nothing_stored_reads_as_armed(breakers: BreakerStore) -> None:
    assert breakers.load() == BreakerState()


def test_state_survives_a_restart(path: Path) -> None:
    store = Store(path)
    written = BreakerStore(store, BREAKER)
    for i in range(3):
        written.record_close(_stopped(i), DAY)
    written.halt("ana", "reviewing the stops", date(2025, 7, 7))
    before = written.load()
    store.close()

    reopened = Store(path)
    after = BreakerStore(reopened, BREAKER).load()
    reopened.close()
    assert after == before
    assert after.halted_through == date(2025, 7, 11)
    assert after.manual_halt == ManualAction("ana", "reviewing the stops", date(2025, 7, 7))
    assert after.recent == ("L", "L", "L")
    assert after.is_halted(date(2025, 7, 14))  # the manual halt outlives the trip


def test_every_change_is_journalled(breakers: BreakerStore) -> None:
    for i in range(3):
        breakers.record_close(_stopped(i), DAY)
    breakers.resume("ben", "stops were bad marks", date(2025, 7, 7))
    events = breakers.events()
    assert [e["event"] for e in events] == ["close", "close", "trip", "resume"]
    assert events[2]["halted_through"] == "2025-07-11"
    assert events[3]["detail"] == "ben: stops were bad marks"
    assert breakers.load().last_resume == ManualAction("ben", "stops were bad marks", date(2025, 7, 7))


def test_a_failed_write_leaves_the_previous_state(breakers: BreakerStore) -> None:
    breakers.record_close(_stopped(1), DAY)
    before = breakers.load()
    # the state row is written first; refuse the journal line so the change fails half way
    breakers.store.db.execute(
        """CREATE TRIGGER refuse_journal BEFORE INSERT ON circuit_breaker_events
           BEGIN SELECT RAISE(ABORT, 'journal refused'); END"""
    )
    with pytest.raises(sqlite3.DatabaseError, match="journal refused"):
        breakers.record_close(_stopped(2), DAY)
    assert breakers.load() == before


def test_scopes_are_kept_apart(breakers: BreakerStore) -> None:
    other = BreakerStore(breakers.store, BREAKER, scope="strategy:000")
    other.halt("ana", "0-DTE paused", DAY)
    assert breakers.load() == BreakerState()
    assert other.load().manual_halt is not None
