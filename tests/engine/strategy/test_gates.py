"""Entry gates (002 §4.2 and the extra gates): each at, just below and just above its threshold."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, time, timedelta
from typing import Any

import pytest

from engine.config import UnderlyingParams
from engine.errors import InputError
from engine.model import CheckStatus, Leg, Right, Structure, StructureKind
from engine.strategy.gates import (
    CANDIDATE_GATES,
    GATE_NAMES,
    SIGNAL_GATES,
    GateInputs,
    GateOutcome,
    first_blocking,
    run_gates,
)
from engine.strategy.market_state import BandBar, MarketState
from engine.strategy.regime import classify
from tests.engine.strategy.test_regime import make_state

PARAMS = UnderlyingParams()
NAN = math.nan
PASS, FAIL, NO_DATA, DISABLED = CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.NO_DATA, CheckStatus.DISABLED


def spread(credit: float = 2.60, short_quote: tuple[float, float] = (12.30, 12.50),
           long_quote: tuple[float, float] = (9.70, 9.90), width: float = 50.0) -> Structure:
    """Return a hand-made 5700/5650 put credit spread; max loss = width - credit."""
    expiry = date(2024, 2, 23)

    def leg(strike: float, quantity: int, quote: tuple[float, float], delta: float) -> Leg:
        bid, ask = quote
        mid = (bid + ask) / 2
        return Leg(Right.PUT, strike, expiry, quantity, bid, ask, mid, 0.2, delta, 0.001, -0.5, 3.0)

    legs = (leg(5_700.0, -1, short_quote, -0.16), leg(5_700.0 - width, 1, long_quote, -0.12))
    return Structure(StructureKind.PUT_CREDIT_SPREAD, "SPX", legs, credit, credit - 0.2, credit,
                     width - credit, (5_700.0 - credit,), 0.8, 0.04, -0.001, 0.2, -1.0)


def run(
    state: MarketState | None = None, params: UnderlyingParams = PARAMS, **inputs: Any
) -> dict[str, GateOutcome]:
    """Run every gate on a state; return the outcomes by name."""
    state = state or make_state()
    defaults: dict[str, Any] = {"entry_session": date(2024, 1, 11)}
    gate_inputs = GateInputs(state, params, classify(state, params), **{**defaults, **inputs})
    outcomes = run_gates(SIGNAL_GATES + CANDIDATE_GATES, gate_inputs)
    return {outcome.result.name: outcome for outcome in outcomes}


def status(name: str, state: MarketState | None = None, params: UnderlyingParams = PARAMS,
           **inputs: Any) -> CheckStatus:
    """Return one gate's status."""
    return run(state, params, **inputs)[name].result.status


def test_the_base_state_passes_every_signal_gate_and_the_order_is_002s() -> None:
    outcomes = run(candidate=spread())
    assert tuple(outcomes) == GATE_NAMES
    assert list(GATE_NAMES[:11]) == ["Regime", "IV Rank", "VIX Term Structure", "Trend", "BB Touch",
                                     "Mean Reversion", "Price Action", "RSI", "MACD", "Capacity", "Spacing"]
    assert {name for name, o in outcomes.items() if not o.result.passed} == {"MACD"}
    assert outcomes["MACD"].result.status is DISABLED
    assert first_blocking(tuple(outcomes.values())) is None


def test_regime_gate() -> None:
    assert status("Regime", make_state(vix=35.0)) is PASS  # High Vol still trades (002 §3.3)
    assert status("Regime", make_state(vix=35.01)) is FAIL
    bear = run(make_state(close=4_400.0))["Regime"]
    assert bear.result.status is FAIL
    assert bear.reason == "Bear Trend regime (SPX 4,400 < 200 EMA 4,500)"
    assert status("Regime", make_state(vix=NAN)) is NO_DATA


@pytest.mark.parametrize(("rank", "expected"), [(49.9, FAIL), (50.0, FAIL), (50.1, PASS)])
def test_iv_rank_gate(rank: float, expected: CheckStatus) -> None:
    assert status("IV Rank", make_state(iv_rank=rank)) is expected


def test_iv_rank_reason_is_002s() -> None:
    assert run(make_state(iv_rank=44.2))["IV Rank"].reason == "IV Rank below threshold (44.2% < 50%)"


@pytest.mark.parametrize(("ratio", "expected"), [(1.0499, PASS), (1.05, FAIL), (1.0501, FAIL)])
def test_term_structure_gate(ratio: float, expected: CheckStatus) -> None:
    assert status("VIX Term Structure", make_state(term_ratio=ratio)) is expected


@pytest.mark.parametrize(("close", "expected"), [(4_499.99, FAIL), (4_500.0, FAIL), (4_500.01, PASS)])
def test_trend_gate(close: float, expected: CheckStatus) -> None:
    assert status("Trend", make_state(close=close, trend_ema=4_500.0)) is expected


def _window(lows_minus_band: list[float], day: date = date(2024, 1, 10)) -> tuple[BandBar, ...]:
    """Return lookback bars whose low sits the given points above (+) or below (-) the lower band."""
    count = len(lows_minus_band)
    return tuple(BandBar(day - timedelta(days=count - 1 - i), 4_600.0 + gap, 4_700.0, 4_600.0, 4_800.0)
                 for i, gap in enumerate(lows_minus_band))


@pytest.mark.parametrize(("gap", "expected"), [(-0.01, PASS), (0.0, PASS), (0.01, FAIL)])
def test_bb_touch_gate_reads_the_low_against_the_lower_band(gap: float, expected: CheckStatus) -> None:
    state = make_state(touch_window=_window([5.0, 5.0, gap, 5.0, 5.0]))
    assert status("BB Touch", state) is expected


def test_bb_touch_gate_reports_the_most_recent_touch_and_why_not() -> None:
    touched = run(make_state(touch_window=_window([-3.0, 5.0, -1.0, 5.0, 5.0])))["BB Touch"].result
    assert touched.detail == "Lower BB 4,600, low 4,599 on 2024-01-08"
    assert touched.threshold == "within 5-bar lookback"
    missed = run(make_state(touch_window=_window([9.0, 2.0, 5.0, 5.0, 5.0])))["BB Touch"]
    assert missed.result.status is FAIL
    assert "closest: low 4,602 vs Lower BB 4,600 on 2024-01-07" in missed.result.detail
    assert missed.reason == "No lower BB touch in the last 5 bars"
    warming = make_state(touch_window=tuple(replace(bar, lower_band=NAN) for bar in _window([0.0] * 5)))
    assert status("BB Touch", warming) is NO_DATA


@pytest.mark.parametrize(("close", "expected"), [(4_659.99, FAIL), (4_660.0, FAIL), (4_660.01, PASS)])
def test_mean_reversion_gate(close: float, expected: CheckStatus) -> None:
    assert status("Mean Reversion", make_state(close=close, bb_lower=4_660.0)) is expected


def test_confirmation_failures_say_a_touch_was_seen() -> None:
    reason = run(make_state(close=4_650.0))["Mean Reversion"].reason
    assert reason == "BB touch detected but confirmation failed: close 4,650 not above lower BB 4,660"


@pytest.mark.parametrize(("streak", "expected"), [(1, FAIL), (2, PASS), (3, PASS)])
def test_price_action_gate(streak: float, expected: CheckStatus) -> None:
    params = UnderlyingParams(min_consecutive_up_closes=2)
    assert status("Price Action", make_state(up_close_streak=streak), params) is expected


def test_price_action_detail() -> None:
    state = make_state(close=5_810.0, prior_close=5_786.85, up_close_streak=1)
    assert run(state)["Price Action"].result.detail == "+0.4% today, 1 consecutive up-close"
    assert run(make_state(up_close_streak=0))["Price Action"].result.status is FAIL


@pytest.mark.parametrize(
    ("rsi", "prior", "expected"),
    [(29.99, 25.0, FAIL), (30.0, 25.0, FAIL), (30.01, 25.0, PASS), (40.0, 40.0, FAIL), (40.0, 40.01, FAIL),
     (40.01, 40.0, PASS)],
)
def test_rsi_gate_above_threshold_and_rising(rsi: float, prior: float, expected: CheckStatus) -> None:
    assert status("RSI", make_state(rsi=rsi, rsi_prior=prior)) is expected


def test_rsi_gate_without_prior_is_no_data() -> None:
    assert status("RSI", make_state(rsi_prior=NAN)) is NO_DATA


@pytest.mark.parametrize(
    ("hist", "prior", "expected"), [(-1.01, -1.0, FAIL), (-1.0, -1.0, FAIL), (-0.99, -1.0, PASS)]
)
def test_macd_gate_when_enabled(hist: float, prior: float, expected: CheckStatus) -> None:
    params = UnderlyingParams(macd_gate_enabled=True)
    assert status("MACD", make_state(macd_hist=hist, macd_hist_prior=prior), params) is expected


def test_macd_gate_is_disabled_by_default_neither_pass_nor_block() -> None:
    macd = run(make_state(macd_hist=-5.0, macd_hist_prior=-1.0))["MACD"]
    assert macd.result.status is DISABLED
    assert not macd.result.passed
    assert not macd.blocks
    assert macd.result.detail == "disabled (macd_gate_enabled = false)"


@pytest.mark.parametrize(("open_total", "expected"), [(7, PASS), (8, FAIL), (9, FAIL)])
def test_capacity_gate_total(open_total: int, expected: CheckStatus) -> None:
    assert status("Capacity", open_total=open_total, open_underlying=0) is expected


@pytest.mark.parametrize(("open_spx", "expected"), [(2, PASS), (3, FAIL), (4, FAIL)])
def test_capacity_gate_per_underlying(open_spx: int, expected: CheckStatus) -> None:
    outcome = run(open_total=open_spx, open_underlying=open_spx)["Capacity"]
    assert outcome.result.status is expected
    if expected is FAIL:
        assert outcome.reason == f"At capacity: {open_spx}/3 open SPX positions"


@pytest.mark.parametrize(
    ("last_entry", "expected"),
    # entry session Wed 2024-01-10: sessions after Fri 01-05 up to it are Mon 8, Tue 9, Wed 10
    [(date(2024, 1, 8), FAIL), (date(2024, 1, 5), PASS), (date(2024, 1, 4), PASS)],
)
def test_spacing_gate_counts_business_days_to_the_entry_session(
    last_entry: date, expected: CheckStatus
) -> None:
    outcome = run(last_entry=last_entry, entry_session=date(2024, 1, 10))["Spacing"]
    assert outcome.result.status is expected


def test_spacing_gate_skips_holidays_and_passes_without_a_prior_entry() -> None:
    # Thu 2024-12-19 to Fri 12-27: sessions 20, 23, 24, 26, 27 (Christmas closed) = 5
    outcome = run(last_entry=date(2024, 12, 19), entry_session=date(2024, 12, 27))["Spacing"]
    assert outcome.result.detail == "5 business days since last entry"
    assert run(last_entry=None)["Spacing"].result.detail == "no prior entry"


@pytest.mark.parametrize(("vix", "expected"), [(44.99, PASS), (45.0, PASS), (45.01, FAIL)])
def test_vix_ceiling_gate(vix: float, expected: CheckStatus) -> None:
    assert status("VIX Ceiling", make_state(vix=vix)) is expected


def test_entry_window_reads_the_next_sessions_hours() -> None:
    half_day = date(2024, 11, 29)  # the day after Thanksgiving closes at 13:00
    assert status("Entry Window", entry_session=half_day) is PASS
    late = UnderlyingParams(entry_window_start=time(12, 0), entry_window_end=time(13, 0))
    assert status("Entry Window", params=late, entry_session=half_day) is PASS
    too_late = UnderlyingParams(entry_window_start=time(12, 30), entry_window_end=time(13, 30))
    assert status("Entry Window", params=too_late, entry_session=half_day) is FAIL
    assert status("Entry Window", params=too_late, entry_session=date(2024, 12, 2)) is PASS
    backwards = UnderlyingParams(entry_window_start=time(11, 0), entry_window_end=time(10, 0))
    assert status("Entry Window", params=backwards) is FAIL
    early = UnderlyingParams(entry_window_start=time(9, 0), entry_window_end=time(10, 0))
    assert status("Entry Window", params=early) is FAIL
    assert status("Entry Window", entry_session=None) is NO_DATA


@pytest.mark.parametrize(("credit", "expected"), [(0.99, FAIL), (1.0, PASS), (1.01, PASS)])
def test_min_credit_gate(credit: float, expected: CheckStatus) -> None:
    assert status("Min Credit", candidate=spread(credit=credit)) is expected


@pytest.mark.parametrize(("credit", "expected"), [(1.99, FAIL), (2.0, PASS), (2.01, PASS)])
def test_return_on_risk_gate(credit: float, expected: CheckStatus) -> None:
    # On a 52-wide spread a 2.00 credit risks 50.00: exactly the 4 % minimum.
    assert status("Return on Risk", candidate=spread(credit=credit, width=52.0)) is expected


@pytest.mark.parametrize(("ask", "expected"), [(11.99, PASS), (12.0, FAIL), (12.01, FAIL)])
def test_bid_ask_gate_per_leg(ask: float, expected: CheckStatus) -> None:
    # A limit of 2/11 puts the boundary on round quotes: bid 10.00 / ask 12.00 is 2.00 over a 11.00 mid.
    params = UnderlyingParams(max_bid_ask_pct_of_premium=100 * 2.0 / 11.0)
    assert status("Bid/Ask Quality", params=params, candidate=spread(long_quote=(10.0, ask))) is expected


def test_bid_ask_detail_names_each_leg() -> None:
    result = run(candidate=spread())["Bid/Ask Quality"].result
    assert result.detail == "5700P 1.6%, 5650P 2.0% of mid"


def test_candidate_gates_without_a_spread_are_not_evaluated() -> None:
    outcomes = run(candidate=None)
    for gate in CANDIDATE_GATES:
        assert outcomes[gate.name].result.status is NO_DATA
        assert "not evaluated" in outcomes[gate.name].result.detail


@pytest.mark.parametrize(
    ("field", "gate"),
    [("iv_rank", "IV Rank"), ("term_ratio", "VIX Term Structure"), ("trend_ema", "Trend"),
     ("bb_lower", "Mean Reversion"), ("rsi", "RSI"), ("vix", "VIX Ceiling"), ("prior_close", "Price Action")],
)
def test_missing_data_blocks_and_never_passes(field: str, gate: str) -> None:
    outcome = run(make_state(**{field: NAN}))[gate]
    assert outcome.result.status is NO_DATA
    assert outcome.blocks
    assert not outcome.result.passed
    assert outcome.reason.startswith(f"{gate}: no data")


def test_first_blocking_is_the_first_in_order() -> None:
    outcomes = run(make_state(iv_rank=10.0, rsi=20.0), open_total=8)
    blocking = first_blocking(tuple(outcomes.values()))
    assert blocking is not None
    assert blocking.result.name == "IV Rank"


def test_gates_can_be_switched_off_by_name_but_not_misspelled() -> None:
    state = make_state(iv_rank=10.0)
    inputs = GateInputs(state, PARAMS, classify(state, PARAMS), entry_session=date(2024, 1, 11))
    outcomes = run_gates(SIGNAL_GATES, inputs, frozenset({"IV Rank"}))
    assert outcomes[1].result.status is DISABLED
    assert first_blocking(outcomes) is None
    with pytest.raises(InputError, match="IV rank"):
        run_gates(SIGNAL_GATES, inputs, frozenset({"IV rank"}))
