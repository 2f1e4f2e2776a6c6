"""Implied-volatility context: IV rank (percentile), min-max rank, IV/HV and term structure.

IV rank (seed 002 §3.1: "the 52-week percentile method, not the simple rank"):

    iv_rank_t = 100 × #{ v in W_t : v < iv_t } / lookback

where W_t is the `lookback` most recent OBSERVATIONS before t (today excluded), and an
observation is a non-NaN value: missing days (NaN) are skipped, not counted, so W_t always
holds exactly `lookback` values and may span more than `lookback` calendar bars. The rank is
NaN on a missing day and until `lookback` observations precede it (so the first rank is on
observation ``lookback + 1``). Ties count as not below: today's value equal to the whole
window ranks 0; above all of it ranks 100.

IV min-max rank (the "simple" rank, for display): over today's value and the same window W_t,
``100 × (iv_t − min) / (max − min)``, in [0, 100]; NaN where the range is zero, on missing days
and while warming up (same readiness as iv_rank).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from engine.errors import InputError

from ._inputs import FloatArray, as_same_length_series, as_series, check_period, kernel, tail
from ._state import WarmingUp
from .warmup import iv_rank_warmup

IndexArray = NDArray[np.intp]


def min_max_rank(iv: float, low: float, high: float) -> float:
    """Return where `iv` sits in [low, high], in percent; NaN for an empty range."""
    return 100.0 * (iv - low) / (high - low) if high > low else math.nan


_min_max_rank = kernel(min_max_rank)


@kernel
def _observations(iv: FloatArray) -> tuple[FloatArray, IndexArray]:
    positions = np.flatnonzero(~np.isnan(iv))
    return iv[positions], positions


@kernel
def _iv_rank_kernel(iv: FloatArray, lookback: int) -> FloatArray:
    out = np.full(iv.shape[0], np.nan)
    values, positions = _observations(iv)
    for k in range(lookback, values.shape[0]):
        # A branch on a contiguous slice lets LLVM vectorise the count (~6x faster).
        window, below = values[k - lookback : k], 0
        for j in range(lookback):
            if window[j] < values[k]:
                below += 1
        out[positions[k]] = 100.0 * below / lookback
    return out


@kernel
def _push(queue: IndexArray, head: int, tail: int, values: FloatArray, k: int, sign: float) -> int:
    """Append observation `k` to a monotonic queue of indices; return the new tail.

    Dropping the entries that `k` beats keeps the queue's head the window's extreme
    (the minimum for sign 1, the maximum for sign -1): sliding min/max in O(1) amortised.
    """
    while tail > head and sign * values[queue[tail - 1]] >= sign * values[k]:
        tail -= 1
    queue[tail] = k
    return tail + 1


@kernel
def _iv_min_max_kernel(iv: FloatArray, lookback: int) -> FloatArray:
    out = np.full(iv.shape[0], np.nan)
    values, positions = _observations(iv)
    lows, highs = np.empty(values.shape[0], np.intp), np.empty(values.shape[0], np.intp)
    low_head = low_tail = high_head = high_tail = 0
    for k in range(values.shape[0]):
        low_tail = _push(lows, low_head, low_tail, values, k, 1.0)
        high_tail = _push(highs, high_head, high_tail, values, k, -1.0)
        # The window is today plus the `lookback` observations before it.
        low_head += lows[low_head] < k - lookback
        high_head += highs[high_head] < k - lookback
        if k >= lookback:
            low, high = values[lows[low_head]], values[highs[high_head]]
            out[positions[k]] = _min_max_rank(values[k], low, high)
    return out


def _check_iv(series: FloatArray, field: str, where: str, strict: bool) -> None:
    """Reject infinities and negatives (and zeros when `strict`); NaN (a missing day) is fine."""
    bad = np.isinf(series) | ((series <= 0.0) if strict else (series < 0.0))
    if bad.any():
        index = int(np.argmax(bad))
        allowed = f"must be NaN (missing) or a finite number {'>' if strict else '>='} 0"
        raise InputError(field, float(series[index]), allowed, f"{where}, index {index}")


def _check_value(value: float, field: str, where: str, strict: bool) -> None:
    """Scalar twin of `_check_iv`: NaN is missing; infinities and values below 0 are errors."""
    if math.isinf(value) or value < 0.0 or (strict and value == 0.0):
        allowed = f"must be NaN (missing) or a finite number {'>' if strict else '>='} 0"
        raise InputError(field, value, allowed, where)


def iv_rank(iv: ArrayLike, lookback: int = 252) -> FloatArray:
    """Return the IV percentile rank (0-100) against the previous `lookback` observations."""
    lookback = check_period(lookback, "lookback", "iv_rank")
    series = as_series(iv, "iv", "iv_rank")
    _check_iv(series, "iv", "iv_rank", strict=False)
    return _iv_rank_kernel(series, lookback)


def iv_min_max_rank(iv: ArrayLike, lookback: int = 252) -> FloatArray:
    """Return the simple IV rank ``(iv − min) / (max − min)`` in percent, for display."""
    lookback = check_period(lookback, "lookback", "iv_min_max_rank")
    series = as_series(iv, "iv", "iv_min_max_rank")
    _check_iv(series, "iv", "iv_min_max_rank", strict=False)
    return _iv_min_max_kernel(series, lookback)


def iv_hv_ratio_at(iv_pct: float, hv: float) -> float:
    """Return implied over realised volatility for one bar: ``(iv_pct / 100) / hv``.

    `iv_pct` is in vol points (VIX stands in for SPX 30-day IV); `hv` is a fraction, as
    `historical_volatility` returns it. NaN when either is missing or `hv` is zero.
    """
    _check_value(iv_pct, "iv_pct", "iv_hv_ratio_at", strict=False)
    _check_value(hv, "hv", "iv_hv_ratio_at", strict=False)
    return (iv_pct / 100.0) / hv if hv > 0.0 and not math.isnan(iv_pct) else math.nan


def iv_hv_ratio(iv_pct: ArrayLike, hv: ArrayLike) -> FloatArray:
    """Return ``iv_hv_ratio_at`` for every bar; > 1 means options price more than realised."""
    ivs, hvs = as_same_length_series("iv_hv_ratio", iv_pct=iv_pct, hv=hv)
    _check_iv(ivs, "iv_pct", "iv_hv_ratio", strict=False)
    _check_iv(hvs, "hv", "iv_hv_ratio", strict=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (ivs / 100.0) / hvs
    ratio[~(hvs > 0.0)] = np.nan
    return ratio


def term_structure_ratio_at(front: float, back: float) -> float:
    """Return front over back volatility for one bar (e.g. VIX / VIX3M); NaN if either is missing.

    Above 1 is backwardation (stress); below 1 is contango (normal).
    """
    _check_value(front, "front", "term_structure_ratio_at", strict=True)
    _check_value(back, "back", "term_structure_ratio_at", strict=True)
    return front / back if not (math.isnan(front) or math.isnan(back)) else math.nan


def term_structure_ratio(front: ArrayLike, back: ArrayLike) -> FloatArray:
    """Return ``term_structure_ratio_at`` for every bar (NaN where either series is missing)."""
    fronts, backs = as_same_length_series("term_structure_ratio", front=front, back=back)
    _check_iv(fronts, "front", "term_structure_ratio", strict=True)
    _check_iv(backs, "back", "term_structure_ratio", strict=True)
    return fronts / backs


@dataclass(frozen=True, slots=True)
class IvRankState(WarmingUp):
    """Incremental IV rank: the last `lookback` IV observations (missing days skipped)."""

    lookback: int = 252
    bars: int = 0
    window: tuple[float, ...] = ()
    value: float = math.nan

    def __post_init__(self) -> None:
        check_period(self.lookback, "lookback", "IvRankState")

    def _warmup(self) -> int:
        return iv_rank_warmup(self.lookback)

    @classmethod
    def from_history(cls, iv: ArrayLike, lookback: int = 252) -> IvRankState:
        """Return the state after consuming `iv`, ready to take the next observation."""
        ranks = iv_rank(iv, lookback)
        observed = as_series(iv, "iv", "IvRankState.from_history")
        observed = observed[~np.isnan(observed)]
        value = float(ranks[-1]) if len(ranks) else math.nan
        return cls(int(lookback), len(observed), tail(observed, int(lookback)), value)

    def update(self, iv: float) -> tuple[IvRankState, float]:
        """Consume one day's IV (NaN if missing); return the new state and the rank."""
        window, iv = _check_observation(iv, "IvRankState.update", self.window, self.lookback)
        if window is None:
            return self, math.nan
        value = math.nan
        if len(self.window) == self.lookback:
            value = 100.0 * sum(1 for past in self.window if past < iv) / self.lookback
        return IvRankState(self.lookback, self.bars + 1, window, value), value


@dataclass(frozen=True, slots=True)
class IvMinMaxRankState(WarmingUp):
    """Incremental min-max IV rank: the last `lookback` IV observations (missing days skipped)."""

    lookback: int = 252
    bars: int = 0
    window: tuple[float, ...] = ()
    value: float = math.nan

    def __post_init__(self) -> None:
        check_period(self.lookback, "lookback", "IvMinMaxRankState")

    def _warmup(self) -> int:
        return iv_rank_warmup(self.lookback)

    @classmethod
    def from_history(cls, iv: ArrayLike, lookback: int = 252) -> IvMinMaxRankState:
        """Return the state after consuming `iv`, ready to take the next observation."""
        ranks = iv_min_max_rank(iv, lookback)
        observed = as_series(iv, "iv", "IvMinMaxRankState.from_history")
        observed = observed[~np.isnan(observed)]
        value = float(ranks[-1]) if len(ranks) else math.nan
        return cls(int(lookback), len(observed), tail(observed, int(lookback)), value)

    def update(self, iv: float) -> tuple[IvMinMaxRankState, float]:
        """Consume one day's IV (NaN if missing); return the new state and the rank."""
        window, iv = _check_observation(iv, "IvMinMaxRankState.update", self.window, self.lookback)
        if window is None:
            return self, math.nan
        value = math.nan
        if len(self.window) == self.lookback:
            value = min_max_rank(iv, min(iv, *self.window), max(iv, *self.window))
        return IvMinMaxRankState(self.lookback, self.bars + 1, window, value), value


def _check_observation(
    iv: float, where: str, window: tuple[float, ...], lookback: int
) -> tuple[tuple[float, ...] | None, float]:
    """Return the window after adding `iv` (None for a missing day) and `iv` as a float."""
    if math.isnan(iv):
        return None, math.nan
    if math.isinf(iv) or iv < 0.0:
        raise InputError("iv", iv, "must be NaN (missing) or a finite number >= 0", where)
    iv = float(iv)
    return (*window, iv)[-lookback:], iv


__all__ = [
    "IvMinMaxRankState",
    "IvRankState",
    "iv_hv_ratio",
    "iv_hv_ratio_at",
    "iv_min_max_rank",
    "iv_rank",
    "term_structure_ratio",
    "term_structure_ratio_at",
]
