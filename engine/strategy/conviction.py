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


def _scaled_factor(
    name: str, value: float | None, scale: Breakpoints, missing: str, reading: str, legend: str
) -> FactorScore:
    """Score one market reading on its scale; an unknown reading is excluded, never guessed."""
    if value is None or not _known(value):
        return _missing(name, missing)
    score = scale.score(value)
    return FactorScore(name, value, score, f"{reading.format(value)} -> {score:.2f} ({legend})")


def _market_factors(inputs: ConvictionInputs) -> tuple[FactorScore, ...]:
    """Return the four market factors of 002 §6.2 (the fifth, win rate, reads trade history)."""
    return (
        _scaled_factor("IV rank", inputs.iv_rank, IV_RANK, "IV rank", "{:.1f}%", "low <=55, high >=70"),
        _scaled_factor(
            "Term structure",
            inputs.term_structure_ratio,
            TERM_STRUCTURE,
            "VIX/VIX3M",
            "VIX/VIX3M {:.3f}",
            "flat >=1.00, strong <=0.85",
        ),
        _scaled_factor(
            "Trend strength",
            inputs.trend_strength_pct,
            TREND_STRENGTH,
            "close or EMA 200",
            "{:+.2f}% vs EMA 200",
            "barely <=1%, well >=5%",
        ),
        _scaled_factor(
            "BB depth",
            inputs.bb_touch_depth,
            BB_DEPTH,
            "touch depth",
            "{:.2f} std below middle",
            "shallow <=2.0, deep >=2.5",
        ),
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
    factors = (*_market_factors(inputs), _win_rate_factor(inputs.recent_wins))
    scores = [f.score for f in factors if f.score is not None]
    if not scores:
        return Conviction(1.0, None, factors)
    mean = sum(scores) / len(scores)
    multiplier = MIN_MULTIPLIER + (MAX_MULTIPLIER - MIN_MULTIPLIER) * mean
    return Conviction(min(max(multiplier, MIN_MULTIPLIER), MAX_MULTIPLIER), mean, factors)
