"""Market diagnosis (002 §3.1-3.2) and the future-blind MarketState it reads."""

from __future__ import annotations

import math
from dataclasses import fields
from datetime import date

import numpy as np
import pytest

from engine import indicators
from engine.config import UnderlyingParams
from engine.data.history import MarketHistory, load_history
from engine.model import CheckStatus, GateResult
from engine.strategy.diagnosis import (
    HY_WIDENING_BP,
    PUT_CALL_CALM_BAND,
    contango_word,
    diagnose,
)
from engine.strategy.market_state import MarketState, MarketStates
from tests.engine.strategy.test_regime import make_state

PARAMS = UnderlyingParams()
NAN = math.nan


def check(state: MarketState, name: str) -> GateResult:
    """Return one named diagnosis check of a state."""
    return next(c for c in diagnose(state, PARAMS).checks if c.name == name)


@pytest.fixture(scope="module")
def history() -> MarketHistory:
    return load_history()


@pytest.fixture(scope="module")
def states(history: MarketHistory) -> MarketStates:
    return MarketStates(history, PARAMS)


def test_diagnosis_lists_the_checks_of_002() -> None:
    diagnosis = diagnose(make_state(), PARAMS)
    assert [c.name for c in diagnosis.volatility] == ["IV Rank", "VIX Level", "VIX Term Structure", "IV/HV"]
    assert [c.name for c in diagnosis.sentiment] == ["Trend", "Breadth", "Put/Call (5d)", "HY Credit Spreads"]


@pytest.mark.parametrize(
    ("name", "field", "missing_value"),
    [
        ("IV Rank", "iv_rank", NAN),
        ("VIX Level", "vix", NAN),
        ("VIX Term Structure", "term_ratio", NAN),
        ("IV/HV", "iv_hv", NAN),
        ("Trend", "trend_ema", NAN),
        ("Breadth", "breadth_pct", NAN),
        ("Put/Call (5d)", "put_call_5d", NAN),
        ("HY Credit Spreads", "hy_spread_change_bp", NAN),
    ],
)
def test_a_missing_input_is_no_data_never_a_pass(name: str, field: str, missing_value: float) -> None:
    result = check(make_state(**{field: missing_value}), name)
    assert result.status is CheckStatus.NO_DATA
    assert not result.passed
    assert result.detail.startswith("no data")
    assert result.value is None


def test_volatility_checks_at_their_thresholds() -> None:
    assert check(make_state(iv_rank=50.0), "IV Rank").status is CheckStatus.FAIL
    assert check(make_state(iv_rank=50.1), "IV Rank").passed
    assert check(make_state(vix=35.0), "VIX Level").passed
    assert check(make_state(vix=35.01), "VIX Level").status is CheckStatus.FAIL
    assert check(make_state(term_ratio=1.0499), "VIX Term Structure").passed
    assert check(make_state(term_ratio=1.05), "VIX Term Structure").status is CheckStatus.FAIL
    assert check(make_state(iv_hv=1.0), "IV/HV").status is CheckStatus.FAIL
    assert check(make_state(iv_hv=1.001), "IV/HV").passed


def test_sentiment_checks_at_their_thresholds() -> None:
    assert check(make_state(breadth_pct=40.0), "Breadth").status is CheckStatus.FAIL
    assert check(make_state(breadth_pct=40.1), "Breadth").passed
    low, high = PUT_CALL_CALM_BAND
    assert check(make_state(put_call_5d=low), "Put/Call (5d)").passed
    assert check(make_state(put_call_5d=high), "Put/Call (5d)").passed
    fear = check(make_state(put_call_5d=high + 0.01), "Put/Call (5d)")
    assert fear.status is CheckStatus.FAIL
    assert "fear" in fear.detail
    assert "complacency" in check(make_state(put_call_5d=low - 0.01), "Put/Call (5d)").detail
    assert check(make_state(hy_spread_change_bp=HY_WIDENING_BP), "HY Credit Spreads").passed
    widening = check(make_state(hy_spread_change_bp=HY_WIDENING_BP + 1), "HY Credit Spreads")
    assert widening.status is CheckStatus.FAIL


def test_contango_words() -> None:
    assert contango_word(0.97) == "contango"
    assert contango_word(1.001) == "flat"
    assert contango_word(1.08) == "backwardation"


# --- MarketState from the bundled history ----------------------------------------------------


def _same(left: MarketState, right: MarketState) -> bool:
    """Compare two states field by field, NaN equal to NaN."""
    for f in fields(MarketState):
        a, b = getattr(left, f.name), getattr(right, f.name)
        if isinstance(a, float) and math.isnan(a) and math.isnan(b):
            continue
        if a != b and not (isinstance(a, tuple) and repr(a) == repr(b)):
            return False
    return True


@pytest.mark.parametrize("day", [date(1990, 6, 1), date(2008, 10, 10), date(2015, 2, 3), date(2020, 3, 16),
                                 date(2024, 11, 5)])
def test_state_of_a_day_is_the_same_from_the_history_cut_at_that_day(
    history: MarketHistory, states: MarketStates, day: date
) -> None:
    cut = MarketStates(history.up_to(day), PARAMS)
    assert _same(cut.on(day), states.on(day))


def test_every_indicator_column_is_causal(history: MarketHistory, states: MarketStates) -> None:
    # The vectorised columns over the whole history, cut at row n, equal the columns computed from
    # the first n rows only: no value looks ahead.
    for day in (date(2009, 9, 21), date(2019, 10, 14), date(2023, 6, 30)):
        cut = MarketStates(history.up_to(day), PARAMS)
        n = len(cut)
        for name, column in cut._columns.items():
            np.testing.assert_array_equal(column, states._columns[name][:n], err_msg=name)


def test_state_values_match_the_indicators(history: MarketHistory, states: MarketStates) -> None:
    day = date(2015, 2, 3)
    row = history.row_of(day)
    close = history.column("spx_close")
    state = states.on(day)
    assert state.close == close[row]
    assert state.trend_ema == indicators.ema(close, 200)[row]
    assert state.bb_lower == indicators.bollinger(close, 20, 2.0)[2][row]
    assert state.rsi_prior == indicators.rsi(close, 14)[row - 1]
    assert state.iv_rank == indicators.iv_rank(history.column("vix_close"), 252)[row]
    assert state.term_ratio == pytest.approx(state.vix / state.vix3m)
    assert len(state.touch_window) == PARAMS.bb_touch_lookback
    assert state.touch_window[-1].day == day


def test_put_call_is_smoothed_over_five_sessions_from_2019(
    history: MarketHistory, states: MarketStates
) -> None:
    assert math.isnan(states.on(date(2019, 10, 4)).put_call_5d)
    day = date(2021, 3, 10)
    row = history.row_of(day)
    raw = history.column("pc_total_put_call_ratio")[row - 4 : row + 1]
    assert states.on(day).put_call_5d == pytest.approx(float(np.mean(raw)))


def test_breadth_and_hy_spreads_come_only_from_the_caller(history: MarketHistory) -> None:
    day = date(2015, 2, 3)
    sessions = history.dates[history.row_of(day) - 20 : history.row_of(day) + 1]
    spreads = {d: 400.0 + i * 3.0 for i, d in enumerate(sessions)}  # +60 bp over 20 sessions
    supplied = MarketStates(history, PARAMS, breadth_pct={day: 55.0}, hy_spread_bp=spreads)
    state = supplied.on(day)
    assert state.breadth_pct == 55.0
    assert state.hy_spread_change_bp == pytest.approx(60.0)
    assert check(state, "HY Credit Spreads").status is CheckStatus.FAIL
    assert math.isnan(supplied.on(sessions[0]).breadth_pct)


def test_warm_up_counts_down_over_the_first_252_sessions(states: MarketStates) -> None:
    remaining = [states.at_row(row).warmup_bars_remaining for row in range(260)]
    assert remaining[:252] == list(range(252, 0, -1))
    assert remaining[252:] == [0] * 8
