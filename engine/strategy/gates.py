"""Entry gates: the ten of 002 §4.2 and the extra gates of the other seeds, each a named unit.

A gate is a `Gate`: a name, an enable switch and a check that turns the day's inputs into a
GateResult (value, threshold, PASS/FAIL/NO DATA, detail) plus, when it blocks, the reason in the
trader's words. A gate **blocks** on FAIL and on NO DATA (an input it needs is missing: it cannot
be verified, so it is never a pass). A DISABLED gate is shown, never counts as a pass, and does
not block. Order (the first blocking gate is the reason of a NO TRADE, 002 §9.1):

 1. Regime: not Crisis or Bear Trend (engine.strategy.regime).
 2. IV Rank: 52-week VIX percentile > min_iv_rank.
 3. VIX Term Structure: VIX / VIX3M < vix_term_structure_threshold (NO DATA before 2009-09).
 4. Trend: close > trend EMA.
 5. BB Touch: within the last bb_touch_lookback bars *including today*, a bar whose LOW reached
    its own lower band (low <= lower BB). "Touched or closed below" both imply low <= band, so
    the low is the one test; the most recent such bar is reported.
 6. Mean Reversion (002 gate 6, first half): today's close > today's lower band.
    Price Action (gate 6, second half): at least min_consecutive_up_closes consecutive higher
    closes ending today. 002 §9.1 logs the two halves on two lines; they are two results here.
 7. RSI: RSI > rsi_oversold_threshold and rising (today's RSI > yesterday's).
 8. MACD (optional, DISABLED unless macd_gate_enabled): histogram rising. "Histogram turning
    positive or MACD crossing above signal" both read as the histogram turning up; a cross is a
    rise through zero, so the rise is the one test.
 9. Capacity: open positions < max_concurrent_total and, on this underlying, < its per-underlying
    maximum.
10. Spacing: at least min_days_between_entries business days from the last entry on this
    underlying to the session the new entry would be placed in (the next session, see below),
    so fills are never closer than the minimum.
Extra: VIX Ceiling (VIX <= vix_ceiling) and Entry Window; then, once the spread is built, Min
Credit (credit mid >= min_credit), Return on Risk (credit / max loss >= min_return_on_risk_pct)
and Bid/Ask Quality (every leg's ask - bid < max_bid_ask_pct_of_premium % of its mid, 002 §5.2).

Entry window at a daily close: the evaluation runs on day D's close and proposes an order for
the next session's entry_window_start-end (ET) (002 §4.4, §11.6). The gate therefore reads the
NEXT session: it passes when the window is a real interval that lies inside that session's
regular hours (a half day closes at 13:00, so a 13:30-14:00 window fails there).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, time

from engine import calendar
from engine.config import UnderlyingParams
from engine.errors import InputError
from engine.model import CheckStatus, GateResult, Leg, Right, Structure
from engine.strategy.diagnosis import iv_rank_check, judged, no_data, term_structure_check, trend_check
from engine.strategy.market_state import BandBar, MarketState, is_missing
from engine.strategy.regime import RegimeReading

# Gates whose detail already states the comparison: their threshold is left out of the log line
# (002 §9.1 writes "Trend: SPX 5,842 > 200 EMA 5,650 (PASS)", not "(PASS, close > 200 EMA)").
THRESHOLD_IN_DETAIL = frozenset({"Regime", "Trend", "Mean Reversion", "Capacity"})
CONFIRMATION_GATES = frozenset({"Mean Reversion", "Price Action", "RSI"})


@dataclass(frozen=True, slots=True)
class GateInputs:
    """Everything a gate may read on one day. `candidate` is None before the spread is built."""

    state: MarketState
    params: UnderlyingParams
    regime: RegimeReading
    open_total: int = 0
    open_underlying: int = 0
    max_total: int = 8
    last_entry: date | None = None
    entry_session: date | None = None  # the session the order would be placed in
    candidate: Structure | None = None


@dataclass(frozen=True, slots=True)
class GateOutcome:
    """One gate's result and, when it blocks, why (the ">>> NO TRADE:" line's text)."""

    result: GateResult
    reason: str = ""

    @property
    def blocks(self) -> bool:
        """Return True for FAIL and NO DATA; a DISABLED gate never blocks and never passes."""
        return self.result.blocks


def _outcome(result: GateResult, why: str) -> GateOutcome:
    """Attach the blocking reason (NO DATA explains itself)."""
    if result.status is CheckStatus.NO_DATA:
        return GateOutcome(result, f"{result.name}: {result.detail}")
    return GateOutcome(result, why if result.status is CheckStatus.FAIL else "")


def _below(value: str, limit: str, strictly: bool) -> str:
    return f"({value} < {limit})" if strictly else f"({value} = {limit}, must be above)"


# --- the ten gates of 002 §4.2 ------------------------------------------------------------------


def regime_gate(inputs: GateInputs) -> GateOutcome:
    """Gate 1: the regime allows entries (not Crisis or Bear Trend)."""
    reading = inputs.regime
    threshold = "not Crisis or Bear Trend"
    if reading.regime is None:
        return _outcome(no_data("Regime", threshold, reading.because), "")
    ok = not reading.regime.halts_entries
    result = judged("Regime", ok, reading.regime.value, threshold, reading.regime.value)
    return _outcome(result, f"{reading.regime.value} regime ({reading.because})")


def iv_rank_gate(inputs: GateInputs) -> GateOutcome:
    """Gate 2: IV rank above min_iv_rank."""
    result = iv_rank_check(inputs.state, inputs.params)
    rank, limit = inputs.state.iv_rank, inputs.params.min_iv_rank
    why = f"IV Rank below threshold {_below(f'{rank:.1f}%', f'{limit:g}%', rank < limit)}"
    return _outcome(result, why)


def term_structure_gate(inputs: GateInputs) -> GateOutcome:
    """Gate 3: VIX / VIX3M below the backwardation threshold."""
    result = term_structure_check(inputs.state, inputs.params, "VIX Term Structure")
    ratio, limit = inputs.state.term_ratio, inputs.params.vix_term_structure_threshold
    return _outcome(result, f"VIX term structure in backwardation ({ratio:.2f} >= {limit:.2f})")


def trend_gate(inputs: GateInputs) -> GateOutcome:
    """Gate 4: close above the trend EMA."""
    state = inputs.state
    result = trend_check(state)
    why = (f"{state.underlying} not above {state.trend_ema_period} EMA "
           f"({state.close:,.0f} <= {state.trend_ema:,.0f})")
    return _outcome(result, why)


def _latest_touch(bars: tuple[BandBar, ...]) -> BandBar | None:
    return next((bar for bar in reversed(bars) if bar.touched), None)


def bb_touch_gate(inputs: GateInputs) -> GateOutcome:
    """Gate 5: the low reached the lower band on one of the last bb_touch_lookback bars."""
    lookback = inputs.params.bb_touch_lookback
    threshold = f"within {lookback}-bar lookback"
    banded = tuple(bar for bar in inputs.state.touch_window if not is_missing(bar.lower_band))
    if not banded:
        return _outcome(no_data("BB Touch", threshold, "Bollinger bands warming up"), "")
    touch = _latest_touch(banded)
    if touch is not None:
        detail = f"Lower BB {touch.lower_band:,.0f}, low {touch.low:,.0f} on {touch.day.isoformat()}"
        depth = round(touch.low - touch.lower_band, 2)
        return _outcome(judged("BB Touch", True, depth, threshold, detail), "")
    closest = min(banded, key=lambda bar: bar.low - bar.lower_band)
    detail = (f"no touch; closest: low {closest.low:,.0f} vs Lower BB {closest.lower_band:,.0f} "
              f"on {closest.day.isoformat()}")
    result = judged("BB Touch", False, round(closest.low - closest.lower_band, 2), threshold, detail)
    return _outcome(result, f"No lower BB touch in the last {lookback} bars")


def _confirmation_failed(what: str) -> str:
    return f"BB touch detected but confirmation failed: {what}"


def mean_reversion_gate(inputs: GateInputs) -> GateOutcome:
    """Gate 6a: today's close back above the lower band."""
    state = inputs.state
    if is_missing(state.bb_lower):
        return _outcome(no_data("Mean Reversion", "close > lower BB", "Bollinger bands warming up"), "")
    above = state.close > state.bb_lower
    sign = ">" if above else "<="
    detail = f"Close {state.close:,.0f} {sign} Lower BB {state.bb_lower:,.0f}"
    margin = round(state.close - state.bb_lower, 2)
    result = judged("Mean Reversion", above, margin, "close > lower BB", detail)
    return _outcome(result, _confirmation_failed(f"close {state.close:,.0f} not above lower BB "
                                                 f"{state.bb_lower:,.0f}"))


def price_action_gate(inputs: GateInputs) -> GateOutcome:
    """Gate 6b: at least min_consecutive_up_closes higher closes in a row, ending today."""
    state, needed = inputs.state, inputs.params.min_consecutive_up_closes
    threshold = f"min: {needed}"
    if is_missing(state.prior_close):
        return _outcome(no_data("Price Action", threshold, "no prior close"), "")
    streak = state.up_close_streak
    closes = "up-close" if streak == 1 else "up-closes"
    detail = f"{state.change_pct:+.1f}% today, {streak} consecutive {closes}"
    result = judged("Price Action", streak >= needed, streak, threshold, detail)
    return _outcome(result, _confirmation_failed(f"{streak} consecutive {closes} (min {needed})"))


def rsi_gate(inputs: GateInputs) -> GateOutcome:
    """Gate 7: RSI above the oversold threshold and rising."""
    state, floor = inputs.state, inputs.params.rsi_oversold_threshold
    threshold = f">{floor:g} and rising"
    if is_missing(state.rsi) or is_missing(state.rsi_prior):
        return _outcome(no_data("RSI", threshold, "RSI warming up"), "")
    ok = state.rsi > floor and state.rsi > state.rsi_prior
    detail = f"{state.rsi:.1f}, prior {state.rsi_prior:.1f}"
    result = judged("RSI", ok, round(state.rsi, 2), threshold, detail)
    return _outcome(result, _confirmation_failed(f"RSI {detail} not >{floor:g} and rising"))


def macd_gate(inputs: GateInputs) -> GateOutcome:
    """Gate 8 (optional): MACD histogram rising (turning positive)."""
    state, threshold = inputs.state, "histogram rising"
    if is_missing(state.macd_hist) or is_missing(state.macd_hist_prior):
        return _outcome(no_data("MACD", threshold, "MACD warming up"), "")
    rising = state.macd_hist > state.macd_hist_prior
    detail = f"hist {state.macd_hist:.2f}, prior {state.macd_hist_prior:.2f}"
    result = judged("MACD", rising, round(state.macd_hist, 4), threshold, detail)
    return _outcome(result, f"MACD histogram not rising ({detail})")


def capacity_gate(inputs: GateInputs) -> GateOutcome:
    """Gate 9: room for one more position, in total and on this underlying."""
    underlying, per_underlying = inputs.state.underlying, inputs.params.max_concurrent_per_underlying
    threshold = f"< {inputs.max_total} total, < {per_underlying} {underlying}"
    if inputs.open_underlying >= per_underlying and inputs.open_total < inputs.max_total:
        detail = f"{inputs.open_underlying}/{per_underlying} open {underlying} positions"
        ok = False
    else:
        detail = f"{inputs.open_total}/{inputs.max_total} open positions"
        ok = inputs.open_total < inputs.max_total
    return _outcome(judged("Capacity", ok, inputs.open_total, threshold, detail), f"At capacity: {detail}")


def spacing_gate(inputs: GateInputs) -> GateOutcome:
    """Gate 10: enough business days since the last entry on this underlying."""
    needed = inputs.params.min_days_between_entries
    threshold = f"min: {needed}"
    if inputs.last_entry is None:
        return _outcome(judged("Spacing", True, None, threshold, "no prior entry"), "")
    entry_day = inputs.entry_session or inputs.state.day
    days = calendar.business_days_between(inputs.last_entry, entry_day)
    detail = f"{days} business day{'s' if days != 1 else ''} since last entry"
    result = judged("Spacing", days >= needed, days, threshold, detail)
    return _outcome(result, f"Too soon after last entry on {inputs.last_entry.isoformat()}: {detail} "
                            f"(min {needed})")


# --- extra gates ---------------------------------------------------------------------------------


def vix_ceiling_gate(inputs: GateInputs) -> GateOutcome:
    """No entries with VIX above vix_ceiling, whatever the regime."""
    ceiling, vix = inputs.params.vix_ceiling, inputs.state.vix
    threshold = f"<= {ceiling:g}"
    if is_missing(vix):
        return _outcome(no_data("VIX Ceiling", threshold, "VIX missing"), "")
    result = judged("VIX Ceiling", vix <= ceiling, vix, threshold, f"VIX {vix:.2f}")
    return _outcome(result, f"VIX above ceiling ({vix:.2f} > {ceiling:g})")


@functools.lru_cache(maxsize=4096)
def _session_hours(day: date) -> tuple[time, time]:
    return calendar.session_open(day).time(), calendar.session_close(day).time()


def entry_window_gate(inputs: GateInputs) -> GateOutcome:
    """The next session's entry window is a real interval inside its regular hours."""
    start, end = inputs.params.entry_window_start, inputs.params.entry_window_end
    window = f"{start:%H:%M}-{end:%H:%M} ET"
    if inputs.entry_session is None:
        return _outcome(no_data("Entry Window", window, "no next session in the calendar"), "")
    opens, closes = _session_hours(inputs.entry_session)
    ok = start < end and opens <= start and end <= closes
    threshold = f"inside {opens:%H:%M}-{closes:%H:%M} ET"
    detail = f"next session {inputs.entry_session.isoformat()} {window}"
    result = judged("Entry Window", ok, inputs.entry_session.isoformat(), threshold, detail)
    return _outcome(result, f"Entry window {window} not inside the next session's hours "
                            f"({opens:%H:%M}-{closes:%H:%M} ET)")


def _no_candidate(name: str, threshold: str) -> GateOutcome:
    return _outcome(no_data(name, threshold, "not evaluated: no spread built"), "")


def min_credit_gate(inputs: GateInputs) -> GateOutcome:
    """The spread's mid credit is at least min_credit (points)."""
    floor, spread = inputs.params.min_credit, inputs.candidate
    threshold = f"min: ${floor:.2f}"
    if spread is None:
        return _no_candidate("Min Credit", threshold)
    credit = spread.credit_mid
    result = judged("Min Credit", credit >= floor, round(credit, 4), threshold, f"${credit:.2f} credit (mid)")
    return _outcome(result, f"Credit below minimum (${credit:.2f} < ${floor:.2f})")


def return_on_risk_gate(inputs: GateInputs) -> GateOutcome:
    """Credit over max loss is at least min_return_on_risk_pct."""
    floor, spread = inputs.params.min_return_on_risk_pct, inputs.candidate
    threshold = f"min: {floor:g}%"
    if spread is None:
        return _no_candidate("Return on Risk", threshold)
    ror = 100.0 * spread.credit_mid / spread.max_loss if spread.max_loss > 0 else float("inf")
    detail = f"{ror:.1f}% (${spread.credit_mid:.2f} / ${spread.max_loss:.2f})"
    result = judged("Return on Risk", ror >= floor, round(ror, 4), threshold, detail)
    return _outcome(result, f"Return on risk below minimum ({ror:.1f}% < {floor:g}%)")


def _leg_width_pct(bid: float, ask: float, mid: float) -> float:
    return 100.0 * (ask - bid) / mid if mid > 0 else float("inf")


def bid_ask_gate(inputs: GateInputs) -> GateOutcome:
    """Every leg's bid/ask spread is under max_bid_ask_pct_of_premium % of its mid (002 §5.2)."""
    limit, spread = inputs.params.max_bid_ask_pct_of_premium, inputs.candidate
    threshold = f"< {limit:g}% of mid"
    if spread is None:
        return _no_candidate("Bid/Ask Quality", threshold)
    widths = [(_leg_width_pct(leg.bid, leg.ask, leg.mid), leg) for leg in spread.legs]
    worst, leg = max(widths, key=lambda pair: pair[0])
    names = ", ".join(f"{_leg_name(leg)} {pct:.1f}%" for pct, leg in widths)
    result = judged("Bid/Ask Quality", worst < limit, round(worst, 4), threshold, f"{names} of mid")
    return _outcome(result, f"Bid/ask too wide: {_leg_name(leg)} {worst:.1f}% of mid (max {limit:g}%)")


def _leg_name(leg: Leg) -> str:
    return f"{leg.strike:g}{'P' if leg.right is Right.PUT else 'C'}"


# --- the registry --------------------------------------------------------------------------------


def _always(params: UnderlyingParams) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Gate:
    """One named entry gate: its check and the switch that enables it."""

    name: str
    check: Callable[[GateInputs], GateOutcome]
    enabled_by: Callable[[UnderlyingParams], bool] = _always
    needs_candidate: bool = False

    def run(self, inputs: GateInputs, disabled: frozenset[str] = frozenset()) -> GateOutcome:
        """Run the check, or report DISABLED when the gate is switched off."""
        if self.name in disabled or not self.enabled_by(inputs.params):
            outcome = self.check(inputs)
            switch = "macd_gate_enabled = false" if self.name == "MACD" else "switched off"
            result = replace(outcome.result, status=CheckStatus.DISABLED, detail=f"disabled ({switch})")
            return GateOutcome(result)
        return self.check(inputs)


SIGNAL_GATES: tuple[Gate, ...] = (
    Gate("Regime", regime_gate),
    Gate("IV Rank", iv_rank_gate),
    Gate("VIX Term Structure", term_structure_gate),
    Gate("Trend", trend_gate),
    Gate("BB Touch", bb_touch_gate),
    Gate("Mean Reversion", mean_reversion_gate),
    Gate("Price Action", price_action_gate),
    Gate("RSI", rsi_gate),
    Gate("MACD", macd_gate, enabled_by=lambda params: params.macd_gate_enabled),
    Gate("Capacity", capacity_gate),
    Gate("Spacing", spacing_gate),
    Gate("VIX Ceiling", vix_ceiling_gate),
    Gate("Entry Window", entry_window_gate),
)
CANDIDATE_GATES: tuple[Gate, ...] = (
    Gate("Min Credit", min_credit_gate, needs_candidate=True),
    Gate("Return on Risk", return_on_risk_gate, needs_candidate=True),
    Gate("Bid/Ask Quality", bid_ask_gate, needs_candidate=True),
)
GATE_NAMES = tuple(gate.name for gate in SIGNAL_GATES + CANDIDATE_GATES)


def run_gates(
    gates: tuple[Gate, ...], inputs: GateInputs, disabled: frozenset[str] = frozenset()
) -> tuple[GateOutcome, ...]:
    """Run every gate in order (all of them: the panel shows each gate's value every day)."""
    unknown = disabled.difference(GATE_NAMES)
    if unknown:
        raise InputError("disabled gates", sorted(unknown), f"must be among {', '.join(GATE_NAMES)}")
    return tuple(gate.run(inputs, disabled) for gate in gates)


def first_blocking(outcomes: tuple[GateOutcome, ...]) -> GateOutcome | None:
    """Return the first gate that blocks the entry, or None when none does."""
    return next((outcome for outcome in outcomes if outcome.blocks), None)
