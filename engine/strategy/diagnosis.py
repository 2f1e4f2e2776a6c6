"""Market diagnosis of 002 §3.1 (volatility) and §3.2 (sentiment and direction).

Each check is a GateResult with its value, threshold and a detail in the trader's words. A check
whose input is missing (breadth and high-yield spreads unless supplied; VIX3M before 2009-09;
put/call before 2019-10) is NO DATA and shows "no data": never a pass. The diagnosis informs
the trader and the regime panel; the entry gates (engine.strategy.gates) decide entries.

Thresholds that 002 states without a §10 parameter are constants here:
- Put/call: "extreme readings flag crowded positioning". The 5-day smoothed Cboe total ratio is
  extreme outside PUT_CALL_CALM_BAND (0.70-1.20): about the 5th and 95th percentiles of the
  bundled 2019-2026 history; the check passes inside the band.
- High-yield spreads "not widening sharply": widening more than HY_WIDENING_BP (50 bp) over
  20 sessions fails.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.config import UnderlyingParams
from engine.model import CheckStatus, GateResult
from engine.strategy.market_state import MarketState, is_missing
from engine.strategy.regime import BREADTH_STRONG_PCT

NO_DATA_TEXT = "no data"
PUT_CALL_CALM_BAND = (0.70, 1.20)
HY_WIDENING_BP = 50.0


def judged(name: str, passed: bool, value: float | str | None, threshold: str, detail: str) -> GateResult:
    """Return a PASS or FAIL result."""
    return GateResult(name, CheckStatus.PASS if passed else CheckStatus.FAIL, value, threshold, detail)


def no_data(name: str, threshold: str, missing: str) -> GateResult:
    """Return a NO DATA result naming the missing input; it never counts as a pass."""
    return GateResult(name, CheckStatus.NO_DATA, None, threshold, f"{NO_DATA_TEXT} ({missing})")


def contango_word(ratio: float) -> str:
    """Return contango, flat or backwardation for a front/back volatility ratio."""
    rounded = round(ratio, 2)
    return "contango" if rounded < 1.0 else "backwardation" if rounded > 1.0 else "flat"


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """The checks of 002 §3.1 (volatility) and §3.2 (sentiment and direction) for one day."""

    volatility: tuple[GateResult, ...]
    sentiment: tuple[GateResult, ...]

    @property
    def checks(self) -> tuple[GateResult, ...]:
        """Return every check, volatility first."""
        return self.volatility + self.sentiment


def iv_rank_check(state: MarketState, params: UnderlyingParams) -> GateResult:
    """Check IV rank (52-week VIX percentile) > min_iv_rank."""
    threshold = f"threshold: {params.min_iv_rank:g}%"
    if is_missing(state.iv_rank):
        return no_data("IV Rank", threshold, "VIX missing or < 252 sessions of it")
    rank = state.iv_rank
    return judged("IV Rank", rank > params.min_iv_rank, round(rank, 1), threshold, f"{rank:.1f}%")


def vix_level_check(state: MarketState, params: UnderlyingParams) -> GateResult:
    """Check VIX is within the acceptable range: not above the crisis threshold."""
    threshold = f"<= {params.vix_crisis_threshold:g}"
    if is_missing(state.vix):
        return no_data("VIX Level", threshold, "VIX missing")
    ok = state.vix <= params.vix_crisis_threshold
    return judged("VIX Level", ok, state.vix, threshold, f"VIX {state.vix:.2f}")


def term_structure_check(state: MarketState, params: UnderlyingParams, name: str) -> GateResult:
    """Check VIX / VIX3M < vix_term_structure_threshold (contango or flat, not backwardation)."""
    threshold = f"threshold: <{params.vix_term_structure_threshold:.2f}"
    if is_missing(state.term_ratio):
        return no_data(name, threshold, "VIX3M missing")
    ratio = state.term_ratio
    detail = f"{ratio:.2f} {contango_word(ratio)} ratio"
    return judged(name, ratio < params.vix_term_structure_threshold, round(ratio, 4), threshold, detail)


def iv_hv_check(state: MarketState) -> GateResult:
    """Check IV > HV: VIX over 20-day realised volatility above 1 (the premium exists now)."""
    if is_missing(state.iv_hv):
        return no_data("IV/HV", "> 1.00", "VIX or 20-day HV missing")
    detail = f"VIX {state.vix:.2f} vs HV20 {100 * state.hv:.2f} ({state.iv_hv:.2f}x)"
    return judged("IV/HV", state.iv_hv > 1.0, round(state.iv_hv, 4), "> 1.00", detail)


def trend_check(state: MarketState, name: str = "Trend") -> GateResult:
    """Check the close is above the trend EMA."""
    period = state.trend_ema_period
    threshold = f"close > {period} EMA"
    if is_missing(state.trend_ema):
        return no_data(name, threshold, f"{period} EMA warming up")
    above = state.close > state.trend_ema
    sign = ">" if above else "<="
    detail = f"{state.underlying} {state.close:,.0f} {sign} {period} EMA {state.trend_ema:,.0f}"
    return judged(name, above, round(state.close - state.trend_ema, 2), threshold, detail)


def breadth_check(state: MarketState) -> GateResult:
    """Check % of S&P 500 stocks above their 50-day MA > 40 % (a user-supplied input)."""
    threshold = f"> {BREADTH_STRONG_PCT:g}%"
    if is_missing(state.breadth_pct):
        return no_data("Breadth", threshold, "not supplied")
    breadth = state.breadth_pct
    detail = f"{breadth:.1f}% above 50-day MA"
    return judged("Breadth", breadth > BREADTH_STRONG_PCT, breadth, threshold, detail)


def put_call_check(state: MarketState) -> GateResult:
    """Check the 5-day smoothed total put/call ratio is not at an extreme."""
    low, high = PUT_CALL_CALM_BAND
    threshold = f"{low:.2f}-{high:.2f}"
    if is_missing(state.put_call_5d):
        return no_data("Put/Call (5d)", threshold, "Cboe put/call bundled from 2019-10 only")
    ratio = state.put_call_5d
    word = "normal"
    if ratio > high:
        word = "crowded puts (fear)"
    elif ratio < low:
        word = "crowded calls (complacency)"
    return judged("Put/Call (5d)", low <= ratio <= high, round(ratio, 4), threshold, f"{ratio:.2f} {word}")


def hy_spread_check(state: MarketState) -> GateResult:
    """Check high-yield credit spreads are not widening sharply (a user-supplied input)."""
    threshold = f"<= +{HY_WIDENING_BP:g} bp over 20 sessions"
    if is_missing(state.hy_spread_change_bp):
        return no_data("HY Credit Spreads", threshold, "not supplied")
    change = state.hy_spread_change_bp
    ok = change <= HY_WIDENING_BP
    return judged("HY Credit Spreads", ok, change, threshold, f"{change:+.0f} bp over 20 sessions")


def diagnose(state: MarketState, params: UnderlyingParams) -> Diagnosis:
    """Run every diagnosis check of 002 §3.1-3.2 on one day."""
    volatility = (
        iv_rank_check(state, params),
        vix_level_check(state, params),
        term_structure_check(state, params, "VIX Term Structure"),
        iv_hv_check(state),
    )
    sentiment = (trend_check(state), breadth_check(state), put_call_check(state), hy_spread_check(state))
    return Diagnosis(volatility, sentiment)
