"""Historical (realised) volatility of an index.

Definition: with log returns ``r_t = ln(close_t / close_{t−1})`` and ``n = period``,

    HV_t = sqrt(periods_per_year) × sqrt( (1/n) × Σ_{j=t−n+1..t} (r_j − r̄_t)² )

where r̄_t is the mean of those n returns: the annualised POPULATION standard deviation of
the last n log returns (divide by n, not n − 1), demeaned, equal to
``talib.STDDEV(log_returns, n, 1) × sqrt(periods_per_year)``. As a fraction: 0.15 is 15 %
(VIX is quoted in points, so compare VIX / 100 with it). The first value is on index `period`:
it needs `period` returns, i.e. ``period + 1`` closes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from engine.errors import InputError

from ._inputs import (
    FloatArray,
    as_series,
    check_bar,
    check_number,
    check_period,
    kernel,
    series_start,
    sum_in_order,
    tail,
)
from ._state import WarmingUp
from .averages import population_std
from .warmup import historical_volatility_warmup

_sum_in_order = kernel(sum_in_order)
_population_std = kernel(population_std)


def log_return(close: float, prev_close: float) -> float:
    """Return the log return ``ln(close / prev_close)``."""
    return math.log(close / prev_close)


def window_volatility(returns: tuple[float, ...] | FloatArray, annualise: float) -> float:
    """Return the annualised population standard deviation of `returns` (two-pass)."""
    mean = sum_in_order(returns) / len(returns)
    return population_std(returns, mean) * annualise


_log_return = kernel(log_return)


@kernel
def _hv_kernel(close: FloatArray, start: int, period: int, annualise: float) -> tuple[FloatArray, FloatArray]:
    n = close.shape[0]
    out, returns = np.full(n, np.nan), np.full(n, np.nan)
    for i in range(start + 1, n):
        returns[i] = _log_return(close[i], close[i - 1])
        if i - start >= period:
            window = returns[i - period + 1 : i + 1]
            mean = _sum_in_order(window) / period
            out[i] = _population_std(window, mean) * annualise
    return out, returns


def _positive_closes(series: FloatArray, where: str) -> int:
    start = series_start(where, {"close": series})
    bad = np.flatnonzero(series[start:] <= 0.0)
    if len(bad):
        index = start + int(bad[0])
        raise InputError("close", float(series[index]), "must be > 0", f"{where}, index {index}")
    return start


def _annualise(periods_per_year: float, where: str) -> float:
    return math.sqrt(check_number(periods_per_year, "periods_per_year", where, positive=True))


def historical_volatility(close: ArrayLike, period: int = 20, periods_per_year: float = 252.0) -> FloatArray:
    """Return the annualised historical volatility of `close` (see the module doc)."""
    period = check_period(period, "period", "historical_volatility")
    annualise = _annualise(periods_per_year, "historical_volatility")
    series = as_series(close, "close", "historical_volatility")
    start = _positive_closes(series, "historical_volatility")
    out, _ = _hv_kernel(series, start, period, annualise)
    return out


@dataclass(frozen=True, slots=True)
class HistoricalVolatilityState(WarmingUp):
    """Incremental HV: the last close and the last ``period − 1`` log returns."""

    period: int = 20
    periods_per_year: float = 252.0
    bars: int = 0
    prev_close: float = math.nan
    returns: tuple[float, ...] = ()
    value: float = math.nan

    def __post_init__(self) -> None:
        check_period(self.period, "period", "HistoricalVolatilityState")
        _annualise(self.periods_per_year, "HistoricalVolatilityState")

    def _warmup(self) -> int:
        return historical_volatility_warmup(self.period)

    @classmethod
    def from_history(
        cls, close: ArrayLike, period: int = 20, periods_per_year: float = 252.0
    ) -> HistoricalVolatilityState:
        """Return the state after consuming `close`, ready to take the next bar."""
        where = "HistoricalVolatilityState.from_history"
        period = check_period(period, "period", where)
        annualise = _annualise(periods_per_year, where)
        series = as_series(close, "close", where)
        start = _positive_closes(series, where)
        out, returns = _hv_kernel(series, start, period, annualise)
        bars = len(series) - start
        last = float(series[-1]) if bars else math.nan
        window = tail(returns[start + 1 :], period - 1)
        value = float(out[-1]) if bars else math.nan
        return cls(period, float(periods_per_year), bars, last, window, value)

    def update(self, close: float) -> tuple[HistoricalVolatilityState, float]:
        """Consume one close; return the new state and HV (NaN while warming up)."""
        where = f"HistoricalVolatilityState.update, bar {self.bars}"
        if not check_bar(where, self.bars > 0, close=close):
            return self, math.nan
        if close <= 0.0:
            raise InputError("close", close, "must be > 0", where)
        close, returns, value = float(close), self.returns, math.nan
        if self.bars > 0:
            returns = (*returns, log_return(close, self.prev_close))
            if len(returns) == self.period:
                value = window_volatility(returns, math.sqrt(self.periods_per_year))
                returns = returns[1:]
        state = HistoricalVolatilityState(
            self.period, self.periods_per_year, self.bars + 1, close, returns, value
        )
        return state, value


__all__ = ["HistoricalVolatilityState", "historical_volatility"]
