"""Market regime of 002 §3.3: Bullish Calm, Elevated Vol, High Vol, Crisis, Bear Trend.

Precedence (the first rule that matches wins, so the most dangerous reading is never hidden):

1. **Crisis**: VIX > vix_crisis_threshold (35), or the VIX term structure in *steep* backwardation:
   VIX / VIX3M >= vix_term_structure_threshold + STEEP_BACKWARDATION_MARGIN (1.05 + 0.10 = 1.15).
   1.05 is 002's "backwardation warning" (entry gate 3 blocks above it); Crisis needs a steeper
   curve. On the bundled 2009-2026 VIX3M history >= 1.15 marks ~1 % of sessions, each a known
   shock (2010-05-06, Aug 2015, Feb 2018, Dec 2018, Feb-Mar 2020). Crisis is decided from VIX
   alone when VIX3M is missing (before 2009-09), so 2008-10-10 (VIX 69.95) is Crisis.
2. **Bear Trend**: SPX closes below its trend EMA (200). Breadth does not rescue a broken trend.
3. By VIX band, the trend intact: **High Vol** for VIX >= vix_high_vol_threshold (25);
   **Elevated Vol** for VIX >= CALM_VIX_CEILING (18); **Bullish Calm** below 18, unless breadth is
   supplied and weak (< BREADTH_STRONG_PCT): 002 requires "breadth strong" for Bullish Calm, and
   such a day is Elevated Vol instead. Missing breadth is not held against Bullish Calm: a check
   without data counts as disabled (SPEC).

Without VIX (4 sessions of the bundled history) or while the trend EMA is still seeding the
regime cannot be read and `classify` returns None ("no data"); Crisis by VIX needs no EMA.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.config import UnderlyingParams
from engine.model import Regime
from engine.strategy.market_state import MarketState, is_missing

CALM_VIX_CEILING = 18.0  # 002 §3.3: Bullish Calm is VIX < 18 (not a §10 parameter)
STEEP_BACKWARDATION_MARGIN = 0.10  # above the §10.3 warning threshold: see the module doc
BREADTH_STRONG_PCT = 40.0  # 002 §3.2: % of S&P 500 stocks above their 50-day MA


@dataclass(frozen=True, slots=True)
class RegimeReading:
    """The regime of one day (None when it cannot be read) and the rule that decided it."""

    regime: Regime | None
    because: str

    @property
    def label(self) -> str:
        """Return the regime's name, or "no data"."""
        return self.regime.value if self.regime is not None else "no data"


def steep_backwardation_level(params: UnderlyingParams) -> float:
    """Return the VIX / VIX3M ratio from which the term structure counts as steep backwardation."""
    return params.vix_term_structure_threshold + STEEP_BACKWARDATION_MARGIN


def _crisis(state: MarketState, params: UnderlyingParams) -> str | None:
    """Return why the day is a Crisis, or None."""
    if not is_missing(state.vix) and state.vix > params.vix_crisis_threshold:
        return f"VIX {state.vix:.2f} > {params.vix_crisis_threshold:g}"
    steep = steep_backwardation_level(params)
    if not is_missing(state.term_ratio) and state.term_ratio >= steep:
        return f"VIX/VIX3M {state.term_ratio:.2f} >= {steep:.2f} (steep backwardation)"
    return None


def _by_vix_band(state: MarketState, params: UnderlyingParams) -> RegimeReading:
    vix = state.vix
    if vix >= params.vix_high_vol_threshold:
        return RegimeReading(Regime.HIGH_VOL, f"VIX {vix:.2f} >= {params.vix_high_vol_threshold:g}")
    if vix >= CALM_VIX_CEILING:
        return RegimeReading(Regime.ELEVATED_VOL, f"VIX {vix:.2f} in {CALM_VIX_CEILING:g}-"
                                                  f"{params.vix_high_vol_threshold:g}")
    if not is_missing(state.breadth_pct) and state.breadth_pct < BREADTH_STRONG_PCT:
        return RegimeReading(Regime.ELEVATED_VOL, f"VIX {vix:.2f} < {CALM_VIX_CEILING:g} but breadth "
                                                  f"{state.breadth_pct:.1f}% < {BREADTH_STRONG_PCT:g}%")
    return RegimeReading(Regime.BULLISH_CALM, f"VIX {vix:.2f} < {CALM_VIX_CEILING:g}, trend intact")


def classify(state: MarketState, params: UnderlyingParams) -> RegimeReading:
    """Classify the day's regime by the precedence of the module doc."""
    crisis = _crisis(state, params)
    if crisis is not None:
        return RegimeReading(Regime.CRISIS, crisis)
    if is_missing(state.vix) or is_missing(state.trend_ema):
        missing = "VIX missing" if is_missing(state.vix) else f"{state.trend_ema_period} EMA warming up"
        return RegimeReading(None, missing)
    if state.close < state.trend_ema:
        ema = f"{state.trend_ema_period} EMA {state.trend_ema:,.0f}"
        because = f"{state.underlying} {state.close:,.0f} < {ema}"
        return RegimeReading(Regime.BEAR_TREND, because)
    return _by_vix_band(state, params)
