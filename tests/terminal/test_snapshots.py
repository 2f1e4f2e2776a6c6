"""What the terminal computes for the panels: expiry choice, the future-blind chart series."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from engine.data.history import MarketHistory, load_history
from terminal import snapshots
from tests.widgets.qt_support import expiration
from widgets.chart_panel import session_time

DAY = date(2008, 10, 10)


@pytest.fixture(scope="module")
def history() -> MarketHistory:
    return load_history()


def test_default_expiration_is_nearest_45_dte_monthly_on_ties() -> None:
    listed = [expiration(date(2008, 10, 17), "weekly-fri"), expiration(date(2008, 11, 21)),
              expiration(date(2008, 12, 19))]
    assert snapshots.default_expiration(listed, DAY).expiry == date(2008, 11, 21)
    tie = [expiration(date(2008, 11, 21), "weekly-fri"), expiration(date(2008, 11, 21))]
    assert snapshots.default_expiration(tie, DAY).kind == "monthly"
    with pytest.raises(ValueError, match="2008-10-10"):
        snapshots.default_expiration([], DAY)


def test_trader_expiry_is_kept_while_listed() -> None:
    listed = [expiration(date(2008, 11, 21)), expiration(date(2008, 12, 19))]
    assert snapshots.choose_expiration(listed, DAY, date(2008, 12, 19)).expiry == date(2008, 12, 19)
    assert snapshots.choose_expiration(listed, DAY, date(2008, 10, 17)).expiry == date(2008, 11, 21)


def test_chart_series_is_a_year_ending_at_the_day(history: MarketHistory) -> None:
    series = snapshots.chart_series(history, DAY, None)
    assert series.as_of == DAY
    assert series.times[-1] == session_time(DAY)
    assert series.times[0] > session_time(date(2007, 10, 10))
    assert 245 <= len(series.times) <= 256
    position = history.position_of(DAY)
    assert series.close[-1] == history.frame["spx_close"].iloc[position]
    assert not series.has_indicators


def test_weekend_day_snaps_to_the_friday(history: MarketHistory) -> None:
    assert snapshots.session_on_or_before(history, date(2008, 10, 12)) == DAY


def test_chart_indicators_see_nothing_after_the_day(history: MarketHistory) -> None:
    from engine import indicators

    series = snapshots.chart_series(history, DAY, indicators)
    close_to_day = history.frame["spx_close"].to_numpy()[: history.position_of(DAY) + 1]
    assert series.ema_long[-1] == pytest.approx(indicators.ema(close_to_day, 200)[-1])
    assert series.rsi[-1] == pytest.approx(indicators.rsi(close_to_day, 14)[-1])
    assert np.isfinite(series.bb_upper).all()
    assert np.isfinite(series.ema_long).all()
    later = snapshots.chart_series(history, date(2008, 12, 31), indicators)
    same_day = np.searchsorted(later.times, session_time(DAY))
    assert later.rsi[same_day] == pytest.approx(series.rsi[-1])  # later data changes nothing before


def test_describe_source_names_the_bundled_history(history: MarketHistory) -> None:
    assert snapshots.describe_source(history, None) == "bundled history"
