"""Moving averages and Bollinger bands, with TA-Lib's definitions and seeding.

- SMA: the mean of the last `period` closes, kept as a running total (as TA-Lib does): O(1) per
  bar, and the rounding it carries stays ~1e-13 relative over the whole SPX history.
- EMA: ``ema = (close - ema) * k + ema`` with ``k = 2 / (period + 1)``, seeded with the SMA of
  the first `period` closes, so its first value is on bar `period` (TA-Lib's default).
- Bollinger: middle = SMA; upper/lower = middle ± num_std × the population standard deviation
  (divide by `period`) of the same window. The deviation is computed two-pass around the
  middle band rather than as E[x²] − mean² (TA-Lib's BBANDS shortcut), which loses digits to
  cancellation at index levels; on SPX the bands agree with BBANDS to ~1e-13 relative.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ._inputs import (
    FloatArray,
    as_series,
    check_bar,
    check_number,
    check_period,
    kernel,
    series_start,
    tail,
)
from ._state import WarmingUp
from .warmup import bollinger_warmup, ema_warmup, sma_warmup

Bands = tuple[float, float, float]
NO_BANDS: Bands = (math.nan, math.nan, math.nan)


def ema_step(ema: float, close: float, k: float) -> float:
    """Return the next EMA: move `ema` toward `close` by the fraction `k`."""
    return (close - ema) * k + ema


def ema_factor(period: int) -> float:
    """Return the EMA smoothing factor ``2 / (period + 1)``."""
    return 2.0 / (period + 1.0)


def population_std(window: Sequence[float] | FloatArray, mean: float) -> float:
    """Return the population standard deviation of `window` around `mean`, summed in order."""
    squares = 0.0
    for value in window:
        deviation = value - mean
        squares += deviation * deviation
    return math.sqrt(squares / len(window))


# The same source compiled for the kernels, so both drivers do identical arithmetic.
_ema_step = kernel(ema_step)
_ema_factor = kernel(ema_factor)
_population_std = kernel(population_std)


@kernel
def _sma_kernel(close: FloatArray, start: int, period: int) -> tuple[FloatArray, float]:
    out = np.full(close.shape[0], np.nan)
    total = 0.0
    for i in range(start, close.shape[0]):
        total += close[i]
        if i - start + 1 >= period:
            out[i] = total / period
            total -= close[i - period + 1]
    return out, total


@kernel
def _ema_kernel(close: FloatArray, start: int, period: int) -> tuple[FloatArray, float, float]:
    out = np.full(close.shape[0], np.nan)
    k = _ema_factor(period)
    seed, ema = 0.0, np.nan
    for i in range(start, close.shape[0]):
        if i - start < period:
            seed += close[i]
            if i - start + 1 == period:
                ema = seed / period
                out[i] = ema
        else:
            ema = _ema_step(ema, close[i], k)
            out[i] = ema
    return out, seed, ema


@kernel
def _bollinger_kernel(
    close: FloatArray, start: int, period: int, num_std: float
) -> tuple[FloatArray, FloatArray, FloatArray, float]:
    n = close.shape[0]
    upper, middle, lower = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    total = 0.0
    for i in range(start, n):
        total += close[i]
        if i - start + 1 >= period:
            mean = total / period
            width = num_std * _population_std(close[i - period + 1 : i + 1], mean)
            upper[i], middle[i], lower[i] = mean + width, mean, mean - width
            total -= close[i - period + 1]
    return upper, middle, lower, total


def sma(close: ArrayLike, period: int) -> FloatArray:
    """Return the simple moving average of `close` over `period` bars (NaN while warming up)."""
    period = check_period(period, "period", "sma")
    series = as_series(close, "close", "sma")
    out, _ = _sma_kernel(series, series_start("sma", {"close": series}), period)
    return out


def ema(close: ArrayLike, period: int) -> FloatArray:
    """Return the exponential moving average of `close`, seeded with the SMA of `period` bars."""
    period = check_period(period, "period", "ema")
    series = as_series(close, "close", "ema")
    out, _, _ = _ema_kernel(series, series_start("ema", {"close": series}), period)
    return out


def bollinger(
    close: ArrayLike, period: int = 20, num_std: float = 2.0
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Return Bollinger bands (upper, middle, lower) of `close`, like ``talib.BBANDS`` (SMA)."""
    period = check_period(period, "period", "bollinger")
    width = check_number(num_std, "num_std", "bollinger", positive=False)
    series = as_series(close, "close", "bollinger")
    start = series_start("bollinger", {"close": series})
    upper, middle, lower, _ = _bollinger_kernel(series, start, period, width)
    return upper, middle, lower


@dataclass(frozen=True, slots=True)
class SmaState(WarmingUp):
    """Incremental SMA: the last ``period - 1`` closes and their running total.

    The total is updated exactly as the vectorised kernel updates it (add the new close,
    divide, subtract the oldest), so both forms give bit-identical values.
    """

    period: int
    bars: int = 0
    window: tuple[float, ...] = ()
    total: float = 0.0
    value: float = math.nan

    def __post_init__(self) -> None:
        check_period(self.period, "period", "SmaState")

    def _warmup(self) -> int:
        return sma_warmup(self.period)

    @classmethod
    def from_history(cls, close: ArrayLike, period: int) -> SmaState:
        """Return the state after consuming `close`, ready to take the next bar."""
        period = check_period(period, "period", "SmaState.from_history")
        series = as_series(close, "close", "SmaState.from_history")
        start = series_start("SmaState.from_history", {"close": series})
        out, total = _sma_kernel(series, start, period)
        value = float(out[-1]) if len(out) else math.nan
        window = tail(series[start:], period - 1)
        return cls(period, len(series) - start, window, float(total), value)

    def update(self, close: float) -> tuple[SmaState, float]:
        """Consume one close; return the new state and the SMA (NaN while warming up)."""
        if not check_bar(f"SmaState.update, bar {self.bars}", self.bars > 0, close=close):
            return self, math.nan
        close = float(close)
        total, window, value = self.total + close, (*self.window, close), math.nan
        if len(window) == self.period:
            value = total / self.period
            total -= window[0]
            window = window[1:]
        return SmaState(self.period, self.bars + 1, window, total, value), value


@dataclass(frozen=True, slots=True)
class EmaState(WarmingUp):
    """Incremental EMA: the running seed sum while warming up, then the last EMA value."""

    period: int
    bars: int = 0
    seed: float = 0.0
    value: float = math.nan

    def __post_init__(self) -> None:
        check_period(self.period, "period", "EmaState")

    def _warmup(self) -> int:
        return ema_warmup(self.period)

    @classmethod
    def from_history(cls, close: ArrayLike, period: int) -> EmaState:
        """Return the state after consuming `close`, ready to take the next bar."""
        period = check_period(period, "period", "EmaState.from_history")
        series = as_series(close, "close", "EmaState.from_history")
        start = series_start("EmaState.from_history", {"close": series})
        _, seed, value = _ema_kernel(series, start, period)
        return cls(period, len(series) - start, float(seed), float(value))

    def update(self, close: float) -> tuple[EmaState, float]:
        """Consume one close; return the new state and the EMA (NaN while warming up)."""
        if not check_bar(f"EmaState.update, bar {self.bars}", self.bars > 0, close=close):
            return self, math.nan
        close, seed, value = float(close), self.seed, self.value
        if self.bars < self.period:
            seed += close
            if self.bars + 1 == self.period:
                value = seed / self.period
        else:
            value = ema_step(value, close, ema_factor(self.period))
        return EmaState(self.period, self.bars + 1, seed, value), value


@dataclass(frozen=True, slots=True)
class BollingerState(WarmingUp):
    """Incremental Bollinger bands: an SMA state's window and total, plus the band width."""

    period: int = 20
    num_std: float = 2.0
    bars: int = 0
    window: tuple[float, ...] = ()
    total: float = 0.0
    value: Bands = NO_BANDS

    def __post_init__(self) -> None:
        check_period(self.period, "period", "BollingerState")
        check_number(self.num_std, "num_std", "BollingerState", positive=False)

    def _warmup(self) -> int:
        return bollinger_warmup(self.period)

    @classmethod
    def from_history(cls, close: ArrayLike, period: int = 20, num_std: float = 2.0) -> BollingerState:
        """Return the state after consuming `close`, ready to take the next bar."""
        where = "BollingerState.from_history"
        period = check_period(period, "period", where)
        width = check_number(num_std, "num_std", where, positive=False)
        series = as_series(close, "close", where)
        start = series_start(where, {"close": series})
        upper, middle, lower, total = _bollinger_kernel(series, start, period, width)
        value = (float(upper[-1]), float(middle[-1]), float(lower[-1])) if len(series) else NO_BANDS
        window = tail(series[start:], period - 1)
        return cls(period, width, len(series) - start, window, float(total), value)

    def update(self, close: float) -> tuple[BollingerState, Bands]:
        """Consume one close; return the new state and (upper, middle, lower)."""
        if not check_bar(f"BollingerState.update, bar {self.bars}", self.bars > 0, close=close):
            return self, NO_BANDS
        close = float(close)
        total, window, bands = self.total + close, (*self.window, close), NO_BANDS
        if len(window) == self.period:
            mean = total / self.period
            width = self.num_std * population_std(window, mean)
            bands = (mean + width, mean, mean - width)
            total -= window[0]
            window = window[1:]
        state = BollingerState(self.period, self.num_std, self.bars + 1, window, total, bands)
        return state, bands


__all__ = [
    "BollingerState",
    "EmaState",
    "SmaState",
    "bollinger",
    "ema",
    "sma",
]
