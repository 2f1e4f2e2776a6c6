"""MACD with TA-Lib's definition, including its alignment of the two EMAs.

TA-Lib does not use ``EMA(fast)`` as computed on its own: it seeds the fast EMA with the SMA of
the `fast_period` closes that END on the slow EMA's seed bar (bar `slow_period`), so both EMAs
start on the same bar. ``macd = fast − slow`` from that bar; the signal line is an EMA of macd
seeded with the SMA of its first `signal_period` values; ``hist = macd − signal``. All three
outputs are NaN until the signal line exists (index ``slow − 1 + signal − 1``, 33 for 12/26/9).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike

from engine.errors import InputError

from ._inputs import (
    FloatArray,
    as_series,
    check_bar,
    check_period,
    kernel,
    series_start,
    sum_in_order,
    tail,
)
from ._state import WarmingUp
from .averages import ema_factor, ema_step
from .warmup import macd_warmup

MacdValue = tuple[float, float, float]
NO_MACD: MacdValue = (math.nan, math.nan, math.nan)

_ema_step = kernel(ema_step)
_ema_factor = kernel(ema_factor)
_sum_in_order = kernel(sum_in_order)


@kernel
def _macd_kernel(
    close: FloatArray, start: int, fast: int, slow: int, signal: int
) -> tuple[FloatArray, FloatArray, FloatArray, float, float, float, float]:
    n = close.shape[0]
    line_out, signal_out, hist_out = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    k_fast, k_slow, k_signal = _ema_factor(fast), _ema_factor(slow), _ema_factor(signal)
    fast_ema, slow_ema, signal_seed, signal_ema = np.nan, np.nan, 0.0, np.nan
    for i in range(start + slow - 1, n):
        if i - start + 1 == slow:
            # Both EMAs are seeded on the same bar: the quirk that aligns them.
            slow_ema = _sum_in_order(close[i + 1 - slow : i + 1]) / slow
            fast_ema = _sum_in_order(close[i + 1 - fast : i + 1]) / fast
        else:
            fast_ema = _ema_step(fast_ema, close[i], k_fast)
            slow_ema = _ema_step(slow_ema, close[i], k_slow)
        line = fast_ema - slow_ema
        count = i - start + 2 - slow
        if count <= signal:
            signal_seed += line
            if count == signal:
                signal_ema = signal_seed / signal
        else:
            signal_ema = _ema_step(signal_ema, line, k_signal)
        if count >= signal:
            line_out[i], signal_out[i], hist_out[i] = line, signal_ema, line - signal_ema
    return line_out, signal_out, hist_out, fast_ema, slow_ema, signal_seed, signal_ema


def _check_periods(fast_period: int, slow_period: int, signal_period: int, where: str) -> None:
    fast = check_period(fast_period, "fast_period", where)
    slow = check_period(slow_period, "slow_period", where)
    check_period(signal_period, "signal_period", where)
    if fast > slow:
        raise InputError("fast_period", fast, f"must be <= slow_period ({slow})", where)


def macd(
    close: ArrayLike, fast_period: int = 12, slow_period: int = 26, signal_period: int = 9
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Return (macd, signal, hist) of `close`, equal to ``talib.MACD`` (see the module doc)."""
    _check_periods(fast_period, slow_period, signal_period, "macd")
    series = as_series(close, "close", "macd")
    start = series_start("macd", {"close": series})
    line, signal, hist, *_ = _macd_kernel(
        series, start, int(fast_period), int(slow_period), int(signal_period)
    )
    return line, signal, hist


@dataclass(frozen=True, slots=True)
class MacdState(WarmingUp):
    """Incremental MACD: the closes until the slow seed, then both EMAs and the signal line."""

    fast_period: int = 12
    slow_period: int = 26
    signal_period: int = 9
    bars: int = 0
    closes: tuple[float, ...] = ()
    fast_ema: float = math.nan
    slow_ema: float = math.nan
    signal_seed: float = 0.0
    signal_ema: float = math.nan
    value: MacdValue = NO_MACD

    def __post_init__(self) -> None:
        _check_periods(self.fast_period, self.slow_period, self.signal_period, "MacdState")

    def _warmup(self) -> int:
        return macd_warmup(self.fast_period, self.slow_period, self.signal_period)

    @classmethod
    def from_history(
        cls, close: ArrayLike, fast_period: int = 12, slow_period: int = 26, signal_period: int = 9
    ) -> MacdState:
        """Return the state after consuming `close`, ready to take the next bar."""
        where = "MacdState.from_history"
        _check_periods(fast_period, slow_period, signal_period, where)
        series = as_series(close, "close", where)
        start = series_start(where, {"close": series})
        periods = (int(fast_period), int(slow_period), int(signal_period))
        line, signal, hist, fast_ema, slow_ema, seed, signal_ema = _macd_kernel(series, start, *periods)
        bars = len(series) - start
        closes = tail(series[start:], periods[1] - 1) if bars < periods[1] else ()
        value = (float(line[-1]), float(signal[-1]), float(hist[-1])) if len(series) else NO_MACD
        emas = (float(fast_ema), float(slow_ema), float(seed), float(signal_ema))
        return cls(*periods, bars, closes, *emas, value)

    def update(self, close: float) -> tuple[MacdState, MacdValue]:
        """Consume one close; return the new state and (macd, signal, hist)."""
        if not check_bar(f"MacdState.update, bar {self.bars}", self.bars > 0, close=close):
            return self, NO_MACD
        bars, close = self.bars + 1, float(close)
        if bars < self.slow_period:
            return replace(self, bars=bars, closes=(*self.closes, close)), NO_MACD
        fast_ema, slow_ema = self._next_emas(close)
        line = fast_ema - slow_ema
        count = bars - self.slow_period + 1
        signal_seed, signal_ema = self._next_signal(line, count)
        value = (line, signal_ema, line - signal_ema) if count >= self.signal_period else NO_MACD
        periods = (self.fast_period, self.slow_period, self.signal_period)
        state = MacdState(*periods, bars, (), fast_ema, slow_ema, signal_seed, signal_ema, value)
        return state, value

    def _next_emas(self, close: float) -> tuple[float, float]:
        if self.bars + 1 == self.slow_period:
            window = (*self.closes, close)
            fast_seed = sum_in_order(window[self.slow_period - self.fast_period :])
            return fast_seed / self.fast_period, sum_in_order(window) / self.slow_period
        fast = ema_step(self.fast_ema, close, ema_factor(self.fast_period))
        return fast, ema_step(self.slow_ema, close, ema_factor(self.slow_period))

    def _next_signal(self, line: float, count: int) -> tuple[float, float]:
        if count > self.signal_period:
            return self.signal_seed, ema_step(self.signal_ema, line, ema_factor(self.signal_period))
        seed = self.signal_seed + line
        return seed, seed / self.signal_period if count == self.signal_period else math.nan


__all__ = ["MacdState", "macd"]
