"""Wilder's indicators (RSI, ATR, ADX) with TA-Lib's definitions and seeding.

- RSI: average gain and loss seeded with the plain mean of the first `period` changes, then
  Wilder-smoothed ``avg = (avg × (period − 1) + x) / period``; ``RSI = 100 × gain / (gain +
  loss)``, and 0 (TA-Lib's choice, not 50) when both averages are zero (a flat market).
  First value on index `period`.
- ATR: true range = max(high, prev close) − min(low, prev close), defined from the second bar;
  seeded with the mean of the first `period` true ranges (first value on index `period`), then
  Wilder-smoothed.
- ADX: +DM/−DM (only the larger move counts, and only if positive) and TR are summed over bars
  1..period−1, then smoothed as running sums ``s = s − s / period + x``; +DI = 100 × +DM / TR,
  DX = 100 × |+DI − −DI| / (+DI + −DI). ADX is seeded with the mean of the first `period` DX
  values (first value on index 2 × period − 1), then Wilder-smoothed. As in TA-Lib, a bar
  where DX is undefined (TR = 0 or no directional movement) adds nothing to the seed sum and
  leaves ADX unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike

from ._inputs import (
    FloatArray,
    as_same_length_series,
    as_series,
    check_bar,
    check_period,
    kernel,
    series_start,
)
from ._state import WarmingUp
from .warmup import adx_warmup, atr_warmup, rsi_warmup

NO_BAR = (math.nan, math.nan, math.nan)


def wilder_step(average: float, value: float, period: int) -> float:
    """Return Wilder's next average: ``(average × (period − 1) + value) / period``."""
    return (average * (period - 1) + value) / period


def smooth_sum(total: float, value: float, period: int) -> float:
    """Return Wilder's next running sum (the DM/TR form): ``total − total / period + value``."""
    return total - total / period + value


def true_range(high: float, low: float, prev_close: float) -> float:
    """Return the true range: the bar's range stretched to include the previous close."""
    return max(high - low, abs(high - prev_close), abs(low - prev_close))


def directional_moves(high: float, low: float, prev_high: float, prev_low: float) -> tuple[float, float]:
    """Return (+DM, −DM): only the larger of the up and down moves counts, if positive."""
    up, down = high - prev_high, prev_low - low
    if down > 0.0 and up < down:
        return 0.0, down
    if up > 0.0 and up > down:
        return up, 0.0
    return 0.0, 0.0


def rsi_value(gain: float, loss: float) -> float:
    """Return RSI from the average gain and loss; 0 when both are zero, as TA-Lib does."""
    total = gain + loss
    return 100.0 * (gain / total) if total != 0.0 else 0.0


def directional_index(plus_dm: float, minus_dm: float, tr: float) -> float:
    """Return DX from the smoothed +DM, −DM and TR; NaN where it is undefined."""
    if tr == 0.0:
        return math.nan
    plus_di, minus_di = 100.0 * (plus_dm / tr), 100.0 * (minus_dm / tr)
    total = minus_di + plus_di
    return 100.0 * (abs(minus_di - plus_di) / total) if total != 0.0 else math.nan


def price_change(close: float, prev_close: float) -> tuple[float, float]:
    """Return (gain, loss) of one close-to-close change, both >= 0."""
    change = close - prev_close
    return (0.0, -change) if change < 0.0 else (change, 0.0)


# The same sources compiled for the kernels, so both drivers do identical arithmetic.
_wilder_step = kernel(wilder_step)
_smooth_sum = kernel(smooth_sum)
_true_range = kernel(true_range)
_directional_moves = kernel(directional_moves)
_rsi_value = kernel(rsi_value)
_directional_index = kernel(directional_index)
_price_change = kernel(price_change)


@kernel
def _rsi_kernel(close: FloatArray, start: int, period: int) -> tuple[FloatArray, float, float]:
    out = np.full(close.shape[0], np.nan)
    gain = loss = 0.0
    for i in range(start + 1, close.shape[0]):
        up, down = _price_change(close[i], close[i - 1])
        if i - start <= period:
            gain, loss = gain + up, loss + down
            if i - start == period:
                gain, loss = gain / period, loss / period
                out[i] = _rsi_value(gain, loss)
        else:
            gain, loss = _wilder_step(gain, up, period), _wilder_step(loss, down, period)
            out[i] = _rsi_value(gain, loss)
    return out, gain, loss


@kernel
def _atr_kernel(
    high: FloatArray, low: FloatArray, close: FloatArray, start: int, period: int
) -> tuple[FloatArray, float]:
    out = np.full(close.shape[0], np.nan)
    average = 0.0
    for i in range(start + 1, close.shape[0]):
        tr = _true_range(high[i], low[i], close[i - 1])
        if i - start <= period:
            average += tr
            if i - start == period:
                average /= period
                out[i] = average
        else:
            average = _wilder_step(average, tr, period)
            out[i] = average
    return out, average


@kernel
def _adx_kernel(
    high: FloatArray, low: FloatArray, close: FloatArray, start: int, period: int
) -> tuple[FloatArray, float, float, float, float, float]:
    out = np.full(close.shape[0], np.nan)
    plus_dm = minus_dm = tr = dx_sum = 0.0
    adx = np.nan
    for i in range(start + 1, close.shape[0]):
        plus, minus = _directional_moves(high[i], low[i], high[i - 1], low[i - 1])
        bar_tr = _true_range(high[i], low[i], close[i - 1])
        if i - start < period:
            plus_dm, minus_dm, tr = plus_dm + plus, minus_dm + minus, tr + bar_tr
            continue
        plus_dm, minus_dm = _smooth_sum(plus_dm, plus, period), _smooth_sum(minus_dm, minus, period)
        tr = _smooth_sum(tr, bar_tr, period)
        dx = _directional_index(plus_dm, minus_dm, tr)
        if i - start < 2 * period:
            dx_sum += 0.0 if np.isnan(dx) else dx
            if i - start == 2 * period - 1:
                adx = dx_sum / period
                out[i] = adx
        else:
            adx = adx if np.isnan(dx) else _wilder_step(adx, dx, period)
            out[i] = adx
    return out, plus_dm, minus_dm, tr, dx_sum, adx


def rsi(close: ArrayLike, period: int = 14) -> FloatArray:
    """Return Wilder's RSI (0-100) of `close`, equal to ``talib.RSI``."""
    period = check_period(period, "period", "rsi")
    series = as_series(close, "close", "rsi")
    out, _, _ = _rsi_kernel(series, series_start("rsi", {"close": series}), period)
    return out


def atr(high: ArrayLike, low: ArrayLike, close: ArrayLike, period: int = 14) -> FloatArray:
    """Return Wilder's average true range, equal to ``talib.ATR``."""
    period = check_period(period, "period", "atr")
    highs, lows, closes = as_same_length_series("atr", high=high, low=low, close=close)
    start = series_start("atr", {"high": highs, "low": lows, "close": closes})
    out, _ = _atr_kernel(highs, lows, closes, start, period)
    return out


def adx(high: ArrayLike, low: ArrayLike, close: ArrayLike, period: int = 14) -> FloatArray:
    """Return Wilder's average directional index (0-100), equal to ``talib.ADX``."""
    period = check_period(period, "period", "adx")
    highs, lows, closes = as_same_length_series("adx", high=high, low=low, close=close)
    start = series_start("adx", {"high": highs, "low": lows, "close": closes})
    out, *_ = _adx_kernel(highs, lows, closes, start, period)
    return out


@dataclass(frozen=True, slots=True)
class RsiState(WarmingUp):
    """Incremental RSI: the last close and the gain/loss sums (seeding) or averages."""

    period: int = 14
    bars: int = 0
    prev_close: float = math.nan
    gain: float = 0.0
    loss: float = 0.0
    value: float = math.nan

    def __post_init__(self) -> None:
        check_period(self.period, "period", "RsiState")

    def _warmup(self) -> int:
        return rsi_warmup(self.period)

    @classmethod
    def from_history(cls, close: ArrayLike, period: int = 14) -> RsiState:
        """Return the state after consuming `close`, ready to take the next bar."""
        period = check_period(period, "period", "RsiState.from_history")
        series = as_series(close, "close", "RsiState.from_history")
        start = series_start("RsiState.from_history", {"close": series})
        out, gain, loss = _rsi_kernel(series, start, period)
        bars = len(series) - start
        last = float(series[-1]) if bars else math.nan
        value = float(out[-1]) if bars else math.nan
        return cls(period, bars, last, float(gain), float(loss), value)

    def update(self, close: float) -> tuple[RsiState, float]:
        """Consume one close; return the new state and RSI (NaN while warming up)."""
        if not check_bar(f"RsiState.update, bar {self.bars}", self.bars > 0, close=close):
            return self, math.nan
        close, gain, loss, value = float(close), self.gain, self.loss, math.nan
        if self.bars > 0:
            up, down = price_change(close, self.prev_close)
            if self.bars <= self.period:
                gain, loss = gain + up, loss + down
                if self.bars == self.period:
                    gain, loss = gain / self.period, loss / self.period
                    value = rsi_value(gain, loss)
            else:
                gain, loss = wilder_step(gain, up, self.period), wilder_step(loss, down, self.period)
                value = rsi_value(gain, loss)
        return RsiState(self.period, self.bars + 1, close, gain, loss, value), value


@dataclass(frozen=True, slots=True)
class AtrState(WarmingUp):
    """Incremental ATR: the last close and the true-range sum (seeding) or average."""

    period: int = 14
    bars: int = 0
    prev_close: float = math.nan
    average: float = 0.0
    value: float = math.nan

    def __post_init__(self) -> None:
        check_period(self.period, "period", "AtrState")

    def _warmup(self) -> int:
        return atr_warmup(self.period)

    @classmethod
    def from_history(cls, high: ArrayLike, low: ArrayLike, close: ArrayLike, period: int = 14) -> AtrState:
        """Return the state after consuming the bars, ready to take the next one."""
        where = "AtrState.from_history"
        period = check_period(period, "period", where)
        highs, lows, closes = as_same_length_series(where, high=high, low=low, close=close)
        start = series_start(where, {"high": highs, "low": lows, "close": closes})
        out, average = _atr_kernel(highs, lows, closes, start, period)
        bars = len(closes) - start
        last = float(closes[-1]) if bars else math.nan
        return cls(period, bars, last, float(average), float(out[-1]) if bars else math.nan)

    def update(self, high: float, low: float, close: float) -> tuple[AtrState, float]:
        """Consume one bar; return the new state and ATR (NaN while warming up)."""
        where = f"AtrState.update, bar {self.bars}"
        if not check_bar(where, self.bars > 0, high=high, low=low, close=close):
            return self, math.nan
        average, value = self.average, math.nan
        if self.bars > 0:
            tr = true_range(float(high), float(low), self.prev_close)
            if self.bars <= self.period:
                average += tr
                if self.bars == self.period:
                    average /= self.period
                    value = average
            else:
                average = value = wilder_step(average, tr, self.period)
        return AtrState(self.period, self.bars + 1, float(close), average, value), value


@dataclass(frozen=True, slots=True)
class AdxState(WarmingUp):
    """Incremental ADX: the last bar, the smoothed +DM/−DM/TR, the DX seed sum and ADX."""

    period: int = 14
    bars: int = 0
    prev_bar: tuple[float, float, float] = NO_BAR
    plus_dm: float = 0.0
    minus_dm: float = 0.0
    tr: float = 0.0
    dx_sum: float = 0.0
    value: float = math.nan

    def __post_init__(self) -> None:
        check_period(self.period, "period", "AdxState")

    def _warmup(self) -> int:
        return adx_warmup(self.period)

    @classmethod
    def from_history(cls, high: ArrayLike, low: ArrayLike, close: ArrayLike, period: int = 14) -> AdxState:
        """Return the state after consuming the bars, ready to take the next one."""
        where = "AdxState.from_history"
        period = check_period(period, "period", where)
        highs, lows, closes = as_same_length_series(where, high=high, low=low, close=close)
        start = series_start(where, {"high": highs, "low": lows, "close": closes})
        _, plus_dm, minus_dm, tr, dx_sum, value = _adx_kernel(highs, lows, closes, start, period)
        bars = len(closes) - start
        last = (float(highs[-1]), float(lows[-1]), float(closes[-1])) if bars else NO_BAR
        sums = (float(plus_dm), float(minus_dm), float(tr), float(dx_sum))
        return cls(period, bars, last, *sums, float(value))

    def update(self, high: float, low: float, close: float) -> tuple[AdxState, float]:
        """Consume one bar; return the new state and ADX (NaN while warming up)."""
        where = f"AdxState.update, bar {self.bars}"
        if not check_bar(where, self.bars > 0, high=high, low=low, close=close):
            return self, math.nan
        bar = (float(high), float(low), float(close))
        if self.bars == 0:
            return replace(self, bars=1, prev_bar=bar), math.nan
        prev_high, prev_low, prev_close = self.prev_bar
        plus, minus = directional_moves(bar[0], bar[1], prev_high, prev_low)
        bar_tr = true_range(bar[0], bar[1], prev_close)
        if self.bars < self.period:
            sums = (self.plus_dm + plus, self.minus_dm + minus, self.tr + bar_tr)
            return replace(
                self, bars=self.bars + 1, prev_bar=bar, plus_dm=sums[0], minus_dm=sums[1], tr=sums[2]
            ), math.nan
        return self._smoothed(bar, plus, minus, bar_tr)

    def _smoothed(
        self, bar: tuple[float, float, float], plus: float, minus: float, bar_tr: float
    ) -> tuple[AdxState, float]:
        plus_dm = smooth_sum(self.plus_dm, plus, self.period)
        minus_dm = smooth_sum(self.minus_dm, minus, self.period)
        tr = smooth_sum(self.tr, bar_tr, self.period)
        dx = directional_index(plus_dm, minus_dm, tr)
        dx_sum, value = self.dx_sum, self.value
        if self.bars < 2 * self.period:
            dx_sum += 0.0 if math.isnan(dx) else dx
            value = dx_sum / self.period if self.bars == 2 * self.period - 1 else math.nan
        elif not math.isnan(dx):
            value = wilder_step(value, dx, self.period)
        state = AdxState(self.period, self.bars + 1, bar, plus_dm, minus_dm, tr, dx_sum, value)
        return state, value


__all__ = ["AdxState", "AtrState", "RsiState", "adx", "atr", "rsi"]
