"""Shared fixtures of the IB tests."""

from __future__ import annotations

import pytest

from engine.data.history import MarketHistory, load_history


@pytest.fixture(scope="module")
def history() -> MarketHistory:
    """Return the bundled history (loaded once per module)."""
    return load_history()
