"""Regime classification (002 §3.3): VIX bands, steep backwardation, trend, breadth, precedence."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from engine.config import UnderlyingParams
from engine.model import Regime
from engine.strategy.market_state import BandBar, MarketState
from engine.strategy.regime import (
    CALM_VIX_CEILING,
    STEEP_BACKWARDATION_MARGIN,
    classify,
    steep_backwardation_level,
)

PARAMS = UnderlyingParams()
NAN = math.nan


def make_state(**overrides: Any) -> MarketState:
    """Return a hand-made calm, trending, freshly bounced SPX close; override any field.

    The base passes every signal gate of 002 §4.2 with the default parameters.
    """
    day = overrides.pop("day", date(2024, 1, 10))
    bars = tuple(
        BandBar(day - timedelta(days=4 - i), low, close, lower, 4_800.0)
        for i, (low, close, lower) in enumerate(
            [(4_700.0, 4_710.0, 4_690.0), (4_660.0, 4_670.0, 4_680.0), (4_650.0, 4_660.0, 4_670.0),
             (4_640.0, 4_650.0, 4_665.0), (4_655.0, 4_700.0, 4_660.0)]
        )
    )
    base = MarketState(
        underlying="SPX", day=day, bars_available=5_000, warmup_bars_remaining=0,
        close=4_700.0, high=4_705.0, low=4_655.0, prior_close=4_650.0,
        trend_ema=4_500.0, trend_ema_period=200,
        bb_upper=4_940.0, bb_middle=4_800.0, bb_lower=4_660.0,
        rsi=38.0, rsi_prior=33.0, macd_hist=-2.0, macd_hist_prior=-3.0,
        vix=16.0, vix3m=18.0, term_ratio=16.0 / 18.0, iv_rank=62.0, hv=0.12, iv_hv=16.0 / 12.0,
        put_call_5d=0.9, breadth_pct=NAN, hy_spread_change_bp=NAN,
        up_close_streak=1, touch_window=bars,
    )
    return replace(base, **overrides)


@pytest.mark.parametrize(
    ("vix", "expected"),
    [
        (CALM_VIX_CEILING - 0.01, Regime.BULLISH_CALM),
        (CALM_VIX_CEILING, Regime.ELEVATED_VOL),
        (CALM_VIX_CEILING + 0.01, Regime.ELEVATED_VOL),
        (24.99, Regime.ELEVATED_VOL),
        (25.0, Regime.HIGH_VOL),
        (25.01, Regime.HIGH_VOL),
        (35.0, Regime.HIGH_VOL),
        (35.01, Regime.CRISIS),
    ],
)
def test_vix_bands_with_the_trend_intact(vix: float, expected: Regime) -> None:
    assert classify(make_state(vix=vix, term_ratio=0.9), PARAMS).regime is expected


def test_steep_backwardation_is_crisis_from_the_warning_threshold_plus_the_margin() -> None:
    steep = steep_backwardation_level(PARAMS)
    assert steep == pytest.approx(PARAMS.vix_term_structure_threshold + STEEP_BACKWARDATION_MARGIN)
    assert classify(make_state(vix=20.0, term_ratio=steep), PARAMS).regime is Regime.CRISIS
    assert classify(make_state(vix=20.0, term_ratio=steep + 0.001), PARAMS).regime is Regime.CRISIS
    # Between the warning (1.05) and steep (1.15): gate 3 blocks, the regime is still read by VIX.
    assert classify(make_state(vix=20.0, term_ratio=steep - 0.001), PARAMS).regime is Regime.ELEVATED_VOL
    assert classify(make_state(vix=20.0, term_ratio=1.06), PARAMS).regime is Regime.ELEVATED_VOL


def test_crisis_takes_precedence_over_bear_trend() -> None:
    below_trend = {"close": 4_400.0, "trend_ema": 4_500.0}
    assert classify(make_state(vix=40.0, **below_trend), PARAMS).regime is Regime.CRISIS
    assert classify(make_state(vix=20.0, term_ratio=1.2, **below_trend), PARAMS).regime is Regime.CRISIS
    bear = classify(make_state(vix=20.0, **below_trend), PARAMS)
    assert bear.regime is Regime.BEAR_TREND
    assert "4,400 < 200 EMA 4,500" in bear.because


def test_bear_trend_takes_precedence_over_the_vix_bands() -> None:
    for vix in (12.0, 20.0, 30.0):
        state = make_state(vix=vix, close=4_499.99, trend_ema=4_500.0)
        assert classify(state, PARAMS).regime is Regime.BEAR_TREND
    at_the_ema = make_state(vix=12.0, close=4_500.0, trend_ema=4_500.0)
    assert classify(at_the_ema, PARAMS).regime is Regime.BULLISH_CALM  # not below; gate 4 still fails


def test_breadth_only_counts_when_supplied() -> None:
    assert classify(make_state(vix=15.0, breadth_pct=NAN), PARAMS).regime is Regime.BULLISH_CALM
    assert classify(make_state(vix=15.0, breadth_pct=40.0), PARAMS).regime is Regime.BULLISH_CALM
    weak = classify(make_state(vix=15.0, breadth_pct=39.9), PARAMS)
    assert weak.regime is Regime.ELEVATED_VOL
    assert "breadth 39.9%" in weak.because


def test_missing_inputs_give_no_regime_unless_vix_alone_says_crisis() -> None:
    assert classify(make_state(vix=NAN), PARAMS).regime is None
    warming = classify(make_state(trend_ema=NAN), PARAMS)
    assert warming.regime is None
    assert warming.label == "no data"
    assert classify(make_state(trend_ema=NAN, vix=50.0), PARAMS).regime is Regime.CRISIS
    # No VIX3M (before 2009-09): the crisis check by term structure is skipped, not failed.
    assert classify(make_state(vix3m=NAN, term_ratio=NAN), PARAMS).regime is Regime.BULLISH_CALM


def test_configured_thresholds_move_the_bands() -> None:
    params = UnderlyingParams(vix_crisis_threshold=40.0, vix_high_vol_threshold=22.0,
                              vix_term_structure_threshold=1.00)
    assert classify(make_state(vix=38.0), params).regime is Regime.HIGH_VOL
    assert classify(make_state(vix=22.0), params).regime is Regime.HIGH_VOL
    assert classify(make_state(vix=21.9), params).regime is Regime.ELEVATED_VOL
    assert classify(make_state(vix=20.0, term_ratio=1.10), params).regime is Regime.CRISIS
    assert classify(make_state(vix=40.01), params).regime is Regime.CRISIS


def test_halting_regimes_are_crisis_and_bear_trend() -> None:
    halting = {regime for regime in Regime if regime.halts_entries}
    assert halting == {Regime.CRISIS, Regime.BEAR_TREND}
