"""Conviction scoring (002 §6.2): how much of the base size a signal deserves, 0.5x to 1.5x.

Five factors, each scored in [0, 1] by a straight line between the "low conviction" and the
"high conviction" readings of 002's table (clipped outside them):

=================  =====================================  =========  ==========
factor             input                                  score 0    score 1
=================  =====================================  =========  ==========
IV rank            52-week IV percentile, %               <= 55      >= 70
term structure     VIX / VIX3M                            >= 1.00    <= 0.85
trend strength     % of close above EMA 200               <= 1 %     >= 5 %
BB depth           deepest touch, std devs below the      <= 2.0     >= 2.5
                   middle band (the lower band is 2.0)
recent win rate    wins in the last 10 closed trades      <= 60 %    >= 80 %
=================  =====================================  =========  ==========

Where 002 gives a number it is used as is: IV rank "low 50-55 %" ends at 55 and "high > 70 %"
starts at 70; "deep touch > 2.5 std"; win rate "< 60 %" and "> 80 %". Where 002 only gives
words, we chose: "flat" term structure is a ratio of 1.00 and "strong contango" 0.85 (VIX
about 15 % under VIX3M, a calm market's usual reading); "barely above" the EMA is within 1 %
and "well above" is 5 % or more.

A factor whose input is missing (None or NaN) is excluded from the average and reported as
such: it is never assumed. The recent win rate needs 10 closed trades; with fewer it scores a
neutral 0.5 and says so. The multiplier is ``0.5 + mean(scores)``; with no factor available
it is 1.0 (base size) and says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

MIN_MULTIPLIER = 0.5
MAX_MULTIPLIER = 1.5
WIN_RATE_TRADES = 10
NEUTRAL_SCORE = 0.5


@dataclass(frozen=True, slots=True)
class Breakpoints:
    """Readings at which a factor scores 0 (low conviction) and 1 (high conviction)."""

    low: float
    high: float

    def score(self, value: float) -> float:
        """Return the score of a reading: linear between the breakpoints, clipped to [0, 1]."""
        fraction = (value - self.low) / (self.high - self.low)
        return min(max(fraction, 0.0), 1.0)


IV_RANK = Breakpoints(low=55.0, high=70.0)
TERM_STRUCTURE = Breakpoints(low=1.00, high=0.85)  # lower ratio = deeper contango = higher score
TREND_STRENGTH = Breakpoints(low=1.0, high=5.0)
BB_DEPTH = Breakpoints(low=2.0, high=2.5)
WIN_RATE = Breakpoints(low=60.0, high=80.0)


@dataclass(frozen=True, slots=True)
class ConvictionInputs:
    """Market and track-record readings at signal time; None means "not known"."""

    iv_rank: float | None = None  # percent, 0-100
    term_structure_ratio: float | None = None  # VIX / VIX3M
    trend_strength_pct: float | None = None  # (close / EMA 200 - 1) x 100
    bb_touch_depth: float | None = None  # std devs below the middle band at the deepest touch
    recent_wins: Sequence[bool] | None = None  # closed trades, oldest first (True = win)


@dataclass(frozen=True, slots=True)
class FactorScore:
    """One factor's reading, score (None when excluded) and the words for the log."""

    name: str
    value: float | None
    score: float | None
    detail: str

    @property
    def available(self) -> bool:
        """Return True when this factor counts in the average."""
        return self.score is not None


@dataclass(frozen=True, slots=True)
class Conviction:
    """The conviction multiplier and how it was reached."""

    multiplier: float
    score: float | None  # mean of the available factor scores
    factors: tuple[FactorScore, ...]

    @property
    def excluded(self) -> tuple[str, ...]:
        """Return the names of the factors left out for missing inputs."""
        return tuple(f.name for f in self.factors if not f.available)

    def describe(self) -> str:
        """Return a one-line summary for the log: multiplier and each factor."""
        parts = "; ".join(f"{f.name}: {f.detail}" for f in self.factors)
        if self.score is None:
            return f"Conviction {self.multiplier:.2f}x (no factor available: base size; {parts})"
        return f"Conviction {self.multiplier:.2f}x (mean score {self.score:.2f}; {parts})"


# ----------------------------------------------------------------------------- input helpers


def trend_strength_pct(close: float, ema: float) -> float:
    """Return how far the close is above the EMA, in percent (negative below it)."""
    return (close / ema - 1.0) * 100.0


def bb_touch_depth(lowest_low: float, middle_band: float, band_std: float) -> float:
    """Return how many standard deviations the touch went below the middle band.

    Use the bar of the deepest touch in the look-back window, with that bar's middle band and
    standard deviation. A touch exactly on the (2.0 std) lower band is 2.0.
    """
    return (middle_band - lowest_low) / band_std


# ----------------------------------------------------------------------------- factors


def _known(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _missing(name: str, what: str) -> FactorScore:
    return FactorScore(name, None, None, f"no data ({what} unknown): excluded")


def _iv_rank_factor(iv_rank: float | None) -> FactorScore:
    if iv_rank is None or not _known(iv_rank):
        return _missing("IV rank", "IV rank")
    score = IV_RANK.score(iv_rank)
    return FactorScore("IV rank", iv_rank, score, f"{iv_rank:.1f}% -> {score:.2f} (low <=55, high >=70)")


def _term_structure_factor(ratio: float | None) -> FactorScore:
    if ratio is None or not _known(ratio):
        return _missing("Term structure", "VIX/VIX3M")
    score = TERM_STRUCTURE.score(ratio)
    return FactorScore(
        "Term structure", ratio, score, f"VIX/VIX3M {ratio:.3f} -> {score:.2f} (flat >=1.00, strong <=0.85)"
    )


def _trend_factor(pct: float | None) -> FactorScore:
    if pct is None or not _known(pct):
        return _missing("Trend strength", "close or EMA 200")
    score = TREND_STRENGTH.score(pct)
    return FactorScore(
        "Trend strength", pct, score, f"{pct:+.2f}% vs EMA 200 -> {score:.2f} (barely <=1%, well >=5%)"
    )


def _bb_depth_factor(depth: float | None) -> FactorScore:
    if depth is None or not _known(depth):
        return _missing("BB depth", "touch depth")
    score = BB_DEPTH.score(depth)
    return FactorScore(
        "BB depth", depth, score, f"{depth:.2f} std below middle -> {score:.2f} (shallow <=2.0, deep >=2.5)"
    )


def _win_rate_factor(wins: Sequence[bool] | None) -> FactorScore:
    if wins is None:
        return _missing("Recent win rate", "trade history")
    recent = list(wins)[-WIN_RATE_TRADES:]
    if len(recent) < WIN_RATE_TRADES:
        detail = f"only {len(recent)} of {WIN_RATE_TRADES} trades: neutral {NEUTRAL_SCORE:.2f}"
        return FactorScore("Recent win rate", None, NEUTRAL_SCORE, detail)
    rate = 100.0 * sum(recent) / len(recent)
    score = WIN_RATE.score(rate)
    detail = f"{sum(recent)}/{len(recent)} won ({rate:.0f}%) -> {score:.2f} (low <=60%, high >=80%)"
    return FactorScore("Recent win rate", rate, score, detail)


def score_conviction(inputs: ConvictionInputs) -> Conviction:
    """Score each factor, average the available ones and map the mean to 0.5x..1.5x."""
    factors = (
        _iv_rank_factor(inputs.iv_rank),
        _term_structure_factor(inputs.term_structure_ratio),
        _trend_factor(inputs.trend_strength_pct),
        _bb_depth_factor(inputs.bb_touch_depth),
        _win_rate_factor(inputs.recent_wins),
    )
    scores = [f.score for f in factors if f.score is not None]
    if not scores:
        return Conviction(1.0, None, factors)
    mean = sum(scores) / len(scores)
    multiplier = MIN_MULTIPLIER + (MAX_MULTIPLIER - MIN_MULTIPLIER) * mean
    return Conviction(min(max(multiplier, MIN_MULTIPLIER), MAX_MULTIPLIER), mean, factors)
