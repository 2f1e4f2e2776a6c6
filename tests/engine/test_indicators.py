"""The price indicators against TA-Lib (an independent implementation), and incremental vs vectorised.

Data: seeded random-walk OHLC bars (with unchanged closes and a flat stretch, so zero changes,
zero true ranges and undefined DX are exercised) and the real SPX history from 1990.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import talib
from talib._ta_lib import MA_Type  # the stubs declare it there, not on the package

import engine.indicators as ind
from engine.indicators._inputs import FloatArray

REPO_MARKET = Path(__file__).resolve().parents[2] / "resources" / "market" / "SPX.csv.gz"
RTOL = 1e-10


@dataclass(frozen=True)
class Bars:
    """Daily OHLC history (open is not used by any indicator)."""

    name: str
    high: FloatArray
    low: FloatArray
    close: FloatArray

    def head(self, count: int) -> Bars:
        """Return the first `count` bars."""
        return Bars(self.name, self.high[:count], self.low[:count], self.close[:count])


def random_walk_bars(seed: int, count: int = 1200) -> Bars:
    """Return a seeded random walk with realistic daily ranges, some unchanged closes and a flat stretch."""
    rng = np.random.default_rng(seed)
    returns = rng.normal(0.0003, 0.012, count)
    returns[rng.random(count) < 0.05] = 0.0
    close = 100.0 * np.exp(np.cumsum(returns))
    open_ = np.r_[close[0], close[:-1]] * (1.0 + rng.normal(0.0, 0.002, count))
    high = np.maximum(open_, close) * (1.0 + np.abs(rng.normal(0.0, 0.004, count)))
    low = np.minimum(open_, close) * (1.0 - np.abs(rng.normal(0.0, 0.004, count)))
    flat = slice(count // 4, count // 4 + 40)
    high[flat] = low[flat] = close[flat] = close[count // 4 - 1]
    return Bars(f"random-walk-{seed}", high, low, close)


def spx_bars() -> Bars:
    """Return the real SPX daily history from 1990 (bundled with the package; missing is a failure)."""
    frame = pd.read_csv(REPO_MARKET)
    frame = frame[frame["DATE"] >= "1990-01-01"]
    columns = (frame[name].to_numpy(np.float64) for name in ("HIGH", "LOW", "CLOSE"))
    return Bars("spx", *columns)


@pytest.fixture(scope="module", params=["random-walk-1", "random-walk-2", "spx"])
def bars(request: pytest.FixtureRequest) -> Bars:
    """Each test runs on two random walks and the real SPX history."""
    return spx_bars() if request.param == "spx" else random_walk_bars(int(request.param[-1]))


def assert_same_as_talib(ours: FloatArray, theirs: FloatArray, atol: float = 0.0) -> None:
    """Assert NaN in exactly the same places and the values equal to `RTOL`."""
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=atol)


@pytest.mark.parametrize("period", [1, 2, 20, 200])
def test_sma_matches_talib(bars: Bars, period: int) -> None:
    assert_same_as_talib(ind.sma(bars.close, period), talib.SMA(bars.close, period))


@pytest.mark.parametrize("period", [1, 2, 12, 200])
def test_ema_matches_talib(bars: Bars, period: int) -> None:
    assert_same_as_talib(ind.ema(bars.close, period), talib.EMA(bars.close, period))


@pytest.mark.parametrize(("period", "num_std"), [(2, 2.0), (20, 2.0), (20, 1.5), (30, 2.5), (20, 0.0)])
def test_bollinger_matches_talib_bbands_with_sma(bars: Bars, period: int, num_std: float) -> None:
    ours = ind.bollinger(bars.close, period, num_std)
    theirs = talib.BBANDS(bars.close, period, num_std, num_std, MA_Type.SMA)
    for our_band, their_band in zip(ours, theirs, strict=True):
        assert_same_as_talib(our_band, their_band)


@pytest.mark.parametrize("period", [2, 7, 14, 21])
def test_rsi_matches_talib(bars: Bars, period: int) -> None:
    assert_same_as_talib(ind.rsi(bars.close, period), talib.RSI(bars.close, period))


@pytest.mark.parametrize("period", [1, 2, 14, 30])
def test_atr_matches_talib(bars: Bars, period: int) -> None:
    ours = ind.atr(bars.high, bars.low, bars.close, period)
    assert_same_as_talib(ours, talib.ATR(bars.high, bars.low, bars.close, period))


@pytest.mark.parametrize("period", [2, 5, 14, 30])
def test_adx_matches_talib(bars: Bars, period: int) -> None:
    ours = ind.adx(bars.high, bars.low, bars.close, period)
    assert_same_as_talib(ours, talib.ADX(bars.high, bars.low, bars.close, period))


@pytest.mark.parametrize("periods", [(12, 26, 9), (5, 35, 5), (2, 3, 1), (10, 10, 4)])
def test_macd_matches_talib_including_its_ema_alignment(bars: Bars, periods: tuple[int, int, int]) -> None:
    ours = ind.macd(bars.close, *periods)
    theirs = talib.MACD(bars.close, *periods)
    # MACD and its histogram cross zero, where a relative tolerance means nothing: allow an
    # absolute error of RTOL times the price level.
    atol = RTOL * float(np.max(bars.close))
    for our_line, their_line in zip(ours, theirs, strict=True):
        assert_same_as_talib(our_line, their_line, atol=atol)


def test_macd_fast_ema_is_not_talib_ema_on_its_own(bars: Bars) -> None:
    """The alignment quirk is real: the line differs from EMA(12) − EMA(26) computed separately."""
    line, _, _ = ind.macd(bars.close, 12, 26, 9)
    naive = ind.ema(bars.close, 12) - ind.ema(bars.close, 26)
    assert not np.allclose(line[33:], naive[33:], rtol=1e-6)


@pytest.mark.parametrize("period", [2, 20, 60])
def test_historical_volatility_is_talib_stddev_of_log_returns(bars: Bars, period: int) -> None:
    log_returns = np.r_[np.nan, np.log(bars.close[1:] / bars.close[:-1])]
    expected = talib.STDDEV(log_returns, period, 1.0) * np.sqrt(252.0)
    # TA-Lib's rolling variance carries ~1e-14 of absolute error, which is a large relative
    # error when two returns nearly cancel (period 2); ours is accurate to ~1 ulp there (next test).
    assert_same_as_talib(ind.historical_volatility(bars.close, period, 252), expected, atol=1e-12)


def test_historical_volatility_of_two_returns_is_accurate_to_the_last_bits() -> None:
    """With period 2 the population std is |r1 − r2| / 2: check against exact rational arithmetic."""
    close = random_walk_bars(4, 300).close
    log_returns = np.log(close[1:] / close[:-1])
    hv = ind.historical_volatility(close, 2, 1.0)
    for index in range(2, 300):
        exact = abs(Fraction(log_returns[index - 1]) - Fraction(log_returns[index - 2])) / 2
        assert hv[index] == pytest.approx(float(exact), rel=4e-16, abs=0.0)


def test_historical_volatility_matches_a_direct_population_std() -> None:
    close = random_walk_bars(3, 200).close
    log_returns = np.log(close[1:] / close[:-1])
    expected = [np.std(log_returns[end - 20 : end]) * np.sqrt(252.0) for end in range(20, 200)]
    np.testing.assert_allclose(ind.historical_volatility(close, 20)[20:], expected, rtol=1e-12)


def test_leading_nans_are_skipped_like_talib(bars: Bars) -> None:
    gap = np.full(7, np.nan)
    high, low, close = (np.r_[gap, series] for series in (bars.high, bars.low, bars.close))
    assert_same_as_talib(ind.ema(close, 20), talib.EMA(close, 20))
    assert_same_as_talib(ind.rsi(close, 14), talib.RSI(close, 14))
    assert_same_as_talib(ind.adx(high, low, close, 14), talib.ADX(high, low, close, 14))
    np.testing.assert_array_equal(ind.macd(close)[2][7:], ind.macd(bars.close)[2])


# --- incremental == vectorised -------------------------------------------------------------


@dataclass(frozen=True)
class Incremental:
    """How to drive one indicator both ways on a `Bars` history."""

    name: str
    warmup: int
    vectorised: Callable[[Bars], FloatArray]
    fresh: Callable[[], Any]
    from_history: Callable[[Bars], Any]
    update: Callable[[Any, Bars, int], tuple[Any, Any]]


INCREMENTAL = [
    Incremental(
        "sma",
        ind.sma_warmup(20),
        lambda b: ind.sma(b.close, 20),
        lambda: ind.SmaState(20),
        lambda b: ind.SmaState.from_history(b.close, 20),
        lambda s, b, i: s.update(b.close[i]),
    ),
    Incremental(
        "ema",
        ind.ema_warmup(200),
        lambda b: ind.ema(b.close, 200),
        lambda: ind.EmaState(200),
        lambda b: ind.EmaState.from_history(b.close, 200),
        lambda s, b, i: s.update(b.close[i]),
    ),
    Incremental(
        "bollinger",
        ind.bollinger_warmup(20),
        lambda b: np.column_stack(ind.bollinger(b.close, 20, 2.0)),
        lambda: ind.BollingerState(20, 2.0),
        lambda b: ind.BollingerState.from_history(b.close, 20, 2.0),
        lambda s, b, i: s.update(b.close[i]),
    ),
    Incremental(
        "rsi",
        ind.rsi_warmup(14),
        lambda b: ind.rsi(b.close, 14),
        lambda: ind.RsiState(14),
        lambda b: ind.RsiState.from_history(b.close, 14),
        lambda s, b, i: s.update(b.close[i]),
    ),
    Incremental(
        "atr",
        ind.atr_warmup(14),
        lambda b: ind.atr(b.high, b.low, b.close, 14),
        lambda: ind.AtrState(14),
        lambda b: ind.AtrState.from_history(b.high, b.low, b.close, 14),
        lambda s, b, i: s.update(b.high[i], b.low[i], b.close[i]),
    ),
    Incremental(
        "adx",
        ind.adx_warmup(14),
        lambda b: ind.adx(b.high, b.low, b.close, 14),
        lambda: ind.AdxState(14),
        lambda b: ind.AdxState.from_history(b.high, b.low, b.close, 14),
        lambda s, b, i: s.update(b.high[i], b.low[i], b.close[i]),
    ),
    Incremental(
        "macd",
        ind.macd_warmup(12, 26, 9),
        lambda b: np.column_stack(ind.macd(b.close, 12, 26, 9)),
        lambda: ind.MacdState(12, 26, 9),
        lambda b: ind.MacdState.from_history(b.close, 12, 26, 9),
        lambda s, b, i: s.update(b.close[i]),
    ),
    Incremental(
        "historical_volatility",
        ind.historical_volatility_warmup(20),
        lambda b: ind.historical_volatility(b.close, 20, 252),
        lambda: ind.HistoricalVolatilityState(20, 252),
        lambda b: ind.HistoricalVolatilityState.from_history(b.close, 20, 252),
        lambda s, b, i: s.update(b.close[i]),
    ),
]


def split_points(count: int, warmup: int, name: str) -> list[int | None]:
    """Where to switch from history to bar-by-bar updates (None: start from a fresh state)."""
    if name == "spx":  # every bar is still checked; fewer restarts keep the suite fast
        return [None, count - 1500]
    return [None, 0, 1, warmup, warmup + 1, count // 2, count - 1, count]


def run_incremental(spec: Incremental, bars: Bars, split: int | None) -> tuple[Any, FloatArray]:
    """Seed a state at `split` (or fresh), feed the remaining bars; return it and its values."""
    state = spec.fresh() if split is None else spec.from_history(bars.head(split))
    values = []
    for index in range(split or 0, len(bars.close)):
        state, value = spec.update(state, bars, index)
        values.append(value)
    return state, np.array(values, dtype=np.float64)


@pytest.mark.parametrize("spec", INCREMENTAL, ids=lambda spec: spec.name)
def test_incremental_equals_vectorised_on_every_bar(bars: Bars, spec: Incremental) -> None:
    expected = spec.vectorised(bars)
    for split in split_points(len(bars.close), spec.warmup, bars.name):
        state, values = run_incremental(spec, bars, split)
        np.testing.assert_array_equal(values.reshape(expected[split or 0 :].shape), expected[split or 0 :])
        assert state.bars == len(bars.close)
        np.testing.assert_array_equal(np.asarray(state.value), expected[-1])


@pytest.mark.parametrize("spec", INCREMENTAL, ids=lambda spec: spec.name)
def test_state_readiness_follows_the_warmup(spec: Incremental) -> None:
    bars = random_walk_bars(5, 300)
    leading_nans = int(np.argmin(np.isnan(np.atleast_2d(spec.vectorised(bars).T)[0])))
    assert leading_nans == spec.warmup
    for count in (0, 1, spec.warmup, spec.warmup + 1, 300):
        state = spec.from_history(bars.head(count))
        assert state.bars_remaining == ind.warmup_bars_remaining(count, spec.warmup)
        assert state.ready == (count > spec.warmup)


@pytest.mark.parametrize("spec", INCREMENTAL, ids=lambda spec: spec.name)
def test_update_is_pure_and_leading_nans_wait(spec: Incremental) -> None:
    bars = random_walk_bars(6, 80)
    state = spec.fresh()
    gap = Bars("gap", np.full(1, np.nan), np.full(1, np.nan), np.full(1, np.nan))
    waited, value = spec.update(state, gap, 0)
    assert waited is state
    assert np.isnan(value).all()
    seeded = spec.from_history(bars.head(60))
    first, _ = spec.update(seeded, bars, 60)
    again, _ = spec.update(seeded, bars, 60)
    assert seeded.bars == 60
    assert first is not seeded
    np.testing.assert_array_equal(np.asarray(first.value), np.asarray(again.value))
