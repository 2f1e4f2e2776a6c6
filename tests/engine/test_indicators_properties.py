"""Properties of the indicators on arbitrary series (hypothesis), including against TA-Lib."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import talib
from hypothesis import given, settings
from hypothesis import strategies as st
from talib._ta_lib import MA_Type  # the stubs declare it there, not on the package

import engine.indicators as ind
from engine.indicators._inputs import FloatArray

# Repeated levels make flat stretches, ties, zero true ranges and undefined DX likely.
price = st.one_of(st.floats(1.0, 1000.0), st.sampled_from([100.0, 100.25, 99.5]))
closes = st.lists(price, max_size=90).map(lambda values: np.array(values, dtype=np.float64))
periods = st.integers(1, 30)
talib_periods = st.integers(2, 30)  # TA-Lib rejects period 1 for RSI, ADX, BBANDS and STDDEV
FAST = settings(max_examples=80, deadline=None)


@st.composite
def ohlc(draw: st.DrawFn) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Draw bars whose high and low straddle the close."""
    close = draw(closes)
    spreads = st.lists(st.floats(0.0, 5.0), min_size=len(close), max_size=len(close))
    up, down = np.array(draw(spreads)), np.array(draw(spreads))
    return close + up, np.maximum(close - down, 0.5), close


def assert_close(ours: FloatArray, theirs: FloatArray, scale: float) -> None:
    """Assert identical NaN positions and values equal to 1e-10 of `scale` (the output's range)."""
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10 * scale)


@FAST
@given(close=closes, period=periods)
def test_rsi_is_between_0_and_100(close: FloatArray, period: int) -> None:
    values = ind.rsi(close, period)
    values = values[~np.isnan(values)]
    assert ((values >= 0.0) & (values <= 100.0)).all()


@FAST
@given(close=closes, period=periods, num_std=st.floats(0.0, 3.0))
def test_bollinger_bands_are_ordered_around_the_sma(close: FloatArray, period: int, num_std: float) -> None:
    upper, middle, lower = ind.bollinger(close, period, num_std)
    ready = ~np.isnan(middle)
    assert (upper[ready] >= middle[ready]).all()
    assert (middle[ready] >= lower[ready]).all()
    np.testing.assert_array_equal(middle, ind.sma(close, period))
    np.testing.assert_allclose(upper - middle, middle - lower, rtol=1e-12, atol=1e-12 * max(close, default=1))


@FAST
@given(high_low_close=ohlc(), period=periods)
def test_atr_adx_and_hv_stay_in_their_ranges(
    high_low_close: tuple[FloatArray, FloatArray, FloatArray], period: int
) -> None:
    high, low, close = high_low_close
    atr, adx = ind.atr(high, low, close, period), ind.adx(high, low, close, period)
    hv = ind.historical_volatility(close, period)
    assert (atr[~np.isnan(atr)] >= 0.0).all()
    assert ((adx[~np.isnan(adx)] >= 0.0) & (adx[~np.isnan(adx)] <= 100.0 + 1e-9)).all()
    assert (hv[~np.isnan(hv)] >= 0.0).all()


@FAST
@given(level=st.floats(0.01, 1e5), count=st.integers(0, 80), period=st.integers(1, 20))
def test_indicators_of_a_constant_price(level: float, count: int, period: int) -> None:
    flat = np.full(count, level)
    ready = slice(period - 1, None)
    np.testing.assert_allclose(ind.sma(flat, period)[ready], level, rtol=1e-14)
    np.testing.assert_allclose(ind.ema(flat, period)[ready], level, rtol=1e-14)
    upper, _, lower = ind.bollinger(flat, period, 2.0)
    np.testing.assert_allclose(upper[ready] - lower[ready], 0.0, atol=1e-12 * level)
    after = slice(period, None)
    # TA-Lib's convention, matched: a flat market has RSI 0 (not 50) and ADX 0.
    assert (ind.rsi(flat, period)[after] == 0.0).all()
    assert (ind.atr(flat, flat, flat, period)[after] == 0.0).all()
    assert (ind.adx(flat, flat, flat, period)[2 * period - 1 :] == 0.0).all()
    assert (ind.historical_volatility(flat, period)[after] == 0.0).all()


@settings(max_examples=150, deadline=None)
@given(close=closes, period=talib_periods)
def test_close_indicators_match_talib_on_arbitrary_series(close: FloatArray, period: int) -> None:
    scale = max(close, default=1.0)
    assert_close(ind.sma(close, period), talib.SMA(close, period), scale)
    assert_close(ind.ema(close, period), talib.EMA(close, period), scale)
    assert_close(ind.rsi(close, period), talib.RSI(close, period), 100.0)
    for ours, theirs in zip(
        ind.bollinger(close, period), talib.BBANDS(close, period, 2.0, 2.0, MA_Type.SMA), strict=True
    ):
        assert_close(ours, theirs, scale)
    fast, slow = sorted((period, max(2, period // 2)))
    for ours, theirs in zip(ind.macd(close, fast, slow, 3), talib.MACD(close, fast, slow, 3), strict=True):
        assert_close(ours, theirs, scale)


@settings(max_examples=150, deadline=None)
@given(high_low_close=ohlc(), period=talib_periods)
def test_range_indicators_match_talib_on_arbitrary_series(
    high_low_close: tuple[FloatArray, FloatArray, FloatArray], period: int
) -> None:
    high, low, close = high_low_close
    assert_close(ind.atr(high, low, close, period), talib.ATR(high, low, close, period), max(high, default=1))
    assert_close(ind.adx(high, low, close, period), talib.ADX(high, low, close, period), 100.0)


STATES = [
    (ind.SmaState, lambda c, p: ind.sma(c, p)),
    (ind.EmaState, lambda c, p: ind.ema(c, p)),
    (ind.BollingerState, lambda c, p: np.column_stack(ind.bollinger(c, p))),
    (ind.RsiState, lambda c, p: ind.rsi(c, p)),
    (ind.HistoricalVolatilityState, lambda c, p: ind.historical_volatility(c, p)),
]


@pytest.mark.parametrize(
    ("state_type", "vectorised"), STATES, ids=lambda value: getattr(value, "__name__", "")
)
@settings(max_examples=40, deadline=None)
@given(close=closes, period=periods, leading_gap=st.integers(0, 3), data=st.data())
def test_incremental_equals_vectorised_on_arbitrary_series(
    state_type: Any, vectorised: Any, close: FloatArray, period: int, leading_gap: int, data: st.DataObject
) -> None:
    close = np.r_[np.full(leading_gap, np.nan), close]
    split = data.draw(st.integers(0, len(close)))
    expected = np.asarray(vectorised(close, period))
    state, values = state_type.from_history(close[:split], period), []
    for value in close[split:]:
        state, output = state.update(value)
        values.append(output)
    np.testing.assert_array_equal(np.array(values).reshape(expected[split:].shape), expected[split:])


@settings(max_examples=60, deadline=None)
@given(high_low_close=ohlc(), period=periods, data=st.data())
def test_incremental_range_indicators_equal_vectorised(
    high_low_close: tuple[FloatArray, FloatArray, FloatArray], period: int, data: st.DataObject
) -> None:
    high, low, close = high_low_close
    split = data.draw(st.integers(0, len(close)))
    for state_type, vectorised in ((ind.AtrState, ind.atr), (ind.AdxState, ind.adx)):
        state = state_type.from_history(high[:split], low[:split], close[:split], period)
        values = []
        for index in range(split, len(close)):
            state, value = state.update(high[index], low[index], close[index])
            values.append(value)
        np.testing.assert_array_equal(values, vectorised(high, low, close, period)[split:])


@settings(max_examples=60, deadline=None)
@given(
    close=closes, periods=st.tuples(st.integers(1, 12), st.integers(0, 14), st.integers(1, 9)), data=st.data()
)
def test_incremental_macd_equals_vectorised(
    close: FloatArray, periods: tuple[int, int, int], data: st.DataObject
) -> None:
    fast, extra, signal = periods
    split = data.draw(st.integers(0, len(close)))
    state, values = ind.MacdState.from_history(close[:split], fast, fast + extra, signal), []
    for value in close[split:]:
        state, output = state.update(value)
        values.append(output)
    expected = np.column_stack(ind.macd(close, fast, fast + extra, signal))[split:]
    np.testing.assert_array_equal(np.array(values).reshape(expected.shape), expected)
    assert math.isnan(state.value[0]) == (len(close) <= ind.macd_warmup(fast, fast + extra, signal))
