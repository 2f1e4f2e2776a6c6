"""The SQLite store: schema versioning, WAL, exact round trips, all-or-nothing writes."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine import store as store_module
from engine.data.history import load_history
from engine.model import DataSource
from engine.store import SCHEMA_VERSION, Store, StoreError


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store(tmp_path / "optimus.db")
    yield opened
    opened.close()


def test_new_store_is_wal_at_the_latest_schema(store: Store) -> None:
    assert store.schema_version == SCHEMA_VERSION
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"bars", "chain_snapshots", "chain_slices", "chain_quotes"} <= set(store.db.table_names())


def test_default_path_is_in_the_user_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(store_module.platformdirs, "user_data_dir", lambda *a, **k: str(tmp_path / "data"))
    assert store_module.default_path() == tmp_path / "data" / "optimus.db"


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer than this program"):
        Store(path)


def test_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a usable SQLite database"):
        Store(path)


def test_migrations_resume_from_the_stored_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "m.db"
    Store(path).close()
    applied: list[int] = []
    next_version = store_module.SCHEMA_VERSION + 1

    def add_extra_table(db: object) -> None:
        applied.append(next_version)
        db.execute("CREATE TABLE extra (x INTEGER)")  # type: ignore[attr-defined]

    monkeypatch.setattr(
        store_module, "MIGRATIONS", (*store_module.MIGRATIONS, (next_version, "extra", add_extra_table))
    )
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", next_version)
    reopened = Store(path)
    assert applied == [next_version]
    assert reopened.schema_version == next_version
    reopened.close()


def test_bars_read_back_identical(store: Store) -> None:
    history = load_history()
    spx = history.series["SPX"].rename(columns=str.lower)
    spx.index = history.frame.index
    store.save_bars("SPX", spx, DataSource.RECORDED)
    back = store.load_bars("SPX")
    assert back.index.equals(spx.index)
    np.testing.assert_array_equal(back.to_numpy(), spx[["open", "high", "low", "close"]].to_numpy())
    window = store.load_bars(
        "SPX", history.close_time(date(2008, 10, 6)), history.close_time(date(2008, 10, 10))
    )
    assert [t.date() for t in window.index] == [date(2008, 10, d) for d in (6, 7, 8, 9, 10)]


def test_nan_survives_the_round_trip(store: Store) -> None:
    index = pd.DatetimeIndex(["2024-01-02 16:00"]).tz_localize("America/New_York")
    bars = pd.DataFrame({"open": [np.nan], "high": [2.0], "low": [1.0], "close": [1.5]}, index=index)
    store.save_bars("X", bars, DataSource.RECORDED)
    back = store.load_bars("X")
    assert np.isnan(back["open"].iloc[0])
    assert back["close"].iloc[0] == 1.5


def test_a_failed_write_leaves_nothing(store: Store) -> None:
    def crash_mid_write() -> None:
        with store.transaction() as db:
            db["bars"].insert(
                {
                    "series": "Y",
                    "ts_utc": "2024-01-02T21:00:00.000000+00:00",
                    "open": 1.0,
                    "high": 1.0,
                    "low": 1.0,
                    "close": 1.0,
                    "source": "recorded",
                }
            )
            raise RuntimeError("crash mid-write")

    with pytest.raises(RuntimeError):
        crash_mid_write()
    assert store.load_bars("Y").empty
