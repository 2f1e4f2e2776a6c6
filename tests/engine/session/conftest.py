"""Shared pieces of the session tests: the bundled history, a replay factory, a journal dump."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine.backtest.runner import open_replay
from engine.config import Settings, load_settings
from engine.data.history import MarketHistory, load_history
from engine.session import SessionOptions, TradingSession
from engine.store import Store

DUMP_QUERIES = {
    "candidates": "SELECT candidate_id, status, contracts, payload FROM candidates ORDER BY candidate_id",
    "orders": "SELECT order_id, status, limit_price, payload FROM orders ORDER BY order_id",
    "order_states": "SELECT order_id, status FROM order_events ORDER BY order_id, id",
    "fills": "SELECT fill_id, order_id, at_utc, contracts, price, commission FROM fills ORDER BY fill_id",
    "positions": "SELECT * FROM positions ORDER BY position_id",
    "daily": "SELECT * FROM daily ORDER BY day",
    "log": "SELECT at_utc, kind, text FROM journal_log ORDER BY seq",
    "breaker": "SELECT * FROM circuit_breaker",
}


@pytest.fixture(scope="session")
def history() -> MarketHistory:
    """Return the bundled history (loaded once)."""
    return load_history()


@pytest.fixture(scope="session")
def settings() -> Settings:
    """Return the default settings, never the user's file."""
    return load_settings(Path(__file__).parent / "no-user-settings.toml")


Replay = Callable[..., TradingSession]


@pytest.fixture
def replay(tmp_path: Path, history: MarketHistory, settings: Settings) -> Replay:
    """Return a factory of replay sessions journaled under tmp_path."""

    def make(name: str = "journal.db", options: SessionOptions | None = None,
             source: MarketHistory | None = None) -> TradingSession:
        return open_replay(source or history, settings, tmp_path / name, options or SessionOptions(),
                           durable=False)

    return make


def dump(path: Path) -> dict[str, list[Any]]:
    """Return everything a journal file holds that a restart must reproduce."""
    store = Store(path)
    try:
        return {name: [tuple(row) for row in store.db.execute(sql)] for name, sql in DUMP_QUERIES.items()}
    finally:
        store.close()
