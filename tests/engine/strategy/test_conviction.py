"""Conviction scoring: each factor's breakpoints, the 0.5x-1.5x bounds, missing inputs."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.strategy.conviction import (
    Conviction,
    ConvictionInputs,
    bb_touch_depth,
    score_conviction,
    trend_strength_pct,
)

STRONG = ConvictionInputs(
    iv_rank=85.0, term_structure_ratio=0.80, trend_strength_pct=8.0, bb_touch_depth=2.8,
    recent_wins=[True] * 10,
)
WEAK = ConvictionInputs(
    iv_rank=52.0, term_structure_ratio=1.02, trend_strength_pct=0.5, bb_touch_depth=1.9,
    recent_wins=[True] * 5 + [False] * 5,
)


def _factor(conviction: Conviction, name: str) -> float | None:
    return next(f.score for f in conviction.factors if f.name == name)


def test_strongest_and_weakest_readings_hit_the_bounds() -> None:
    assert score_conviction(STRONG).multiplier == 1.5
    assert score_conviction(WEAK).multiplier == 0.5
    assert score_conviction(STRONG).score == 1.0
    assert score_conviction(WEAK).score == 0.0


@pytest.mark.parametrize(
    ("iv_rank", "score"), [(40.0, 0.0), (50.0, 0.0), (55.0, 0.0), (62.5, 0.5), (70.0, 1.0), (95.0, 1.0)]
)
def test_iv_rank_breakpoints(iv_rank: float, score: float) -> None:
    conviction = score_conviction(ConvictionInputs(iv_rank=iv_rank))
    assert _factor(conviction, "IV rank") == pytest.approx(score)
    assert conviction.multiplier == pytest.approx(0.5 + score)


@pytest.mark.parametrize(
    ("ratio", "score"), [(1.10, 0.0), (1.00, 0.0), (0.925, 0.5), (0.85, 1.0), (0.70, 1.0)]
)
def test_term_structure_breakpoints(ratio: float, score: float) -> None:
    conviction = score_conviction(ConvictionInputs(term_structure_ratio=ratio))
    assert _factor(conviction, "Term structure") == pytest.approx(score)


@pytest.mark.parametrize(("pct", "score"), [(-3.0, 0.0), (1.0, 0.0), (3.0, 0.5), (5.0, 1.0), (12.0, 1.0)])
def test_trend_strength_breakpoints(pct: float, score: float) -> None:
    conviction = score_conviction(ConvictionInputs(trend_strength_pct=pct))
    assert _factor(conviction, "Trend strength") == pytest.approx(score)


@pytest.mark.parametrize(("depth", "score"), [(1.5, 0.0), (2.0, 0.0), (2.25, 0.5), (2.5, 1.0), (3.5, 1.0)])
def test_bb_depth_breakpoints(depth: float, score: float) -> None:
    conviction = score_conviction(ConvictionInputs(bb_touch_depth=depth))
    assert _factor(conviction, "BB depth") == pytest.approx(score)


@pytest.mark.parametrize(("wins", "score"), [(5, 0.0), (6, 0.0), (7, 0.5), (8, 1.0), (10, 1.0)])
def test_win_rate_breakpoints_over_the_last_ten(wins: int, score: float) -> None:
    record = [True] * wins + [False] * (10 - wins)
    conviction = score_conviction(ConvictionInputs(recent_wins=record))
    assert _factor(conviction, "Recent win rate") == pytest.approx(score)


def test_win_rate_uses_only_the_last_ten_trades() -> None:
    record = [False] * 30 + [True] * 10  # an old losing streak no longer counts
    conviction = score_conviction(ConvictionInputs(recent_wins=record))
    assert _factor(conviction, "Recent win rate") == 1.0


def test_win_rate_is_neutral_with_fewer_than_ten_trades_and_says_so() -> None:
    conviction = score_conviction(ConvictionInputs(iv_rank=70.0, recent_wins=[True] * 9))
    factor = next(f for f in conviction.factors if f.name == "Recent win rate")
    assert factor.score == 0.5
    assert "only 9 of 10 trades: neutral" in factor.detail
    assert conviction.multiplier == pytest.approx(0.5 + (1.0 + 0.5) / 2)


def test_missing_inputs_are_excluded_and_reported_never_assumed() -> None:
    conviction = score_conviction(ConvictionInputs(iv_rank=70.0, term_structure_ratio=math.nan))
    assert conviction.multiplier == 1.5  # the average of the one factor known
    assert set(conviction.excluded) == {"Term structure", "Trend strength", "BB depth", "Recent win rate"}
    missing = next(f for f in conviction.factors if f.name == "Term structure")
    assert not missing.available
    assert "no data" in missing.detail
    assert "excluded" in missing.detail


def test_no_input_at_all_gives_base_size_and_says_so() -> None:
    conviction = score_conviction(ConvictionInputs())
    assert conviction.multiplier == 1.0
    assert conviction.score is None
    assert len(conviction.excluded) == 5
    assert "no factor available" in conviction.describe()


def test_average_over_available_factors() -> None:
    inputs = ConvictionInputs(iv_rank=62.5, term_structure_ratio=0.85, trend_strength_pct=1.0)
    conviction = score_conviction(inputs)
    assert conviction.score == pytest.approx((0.5 + 1.0 + 0.0) / 3)
    assert conviction.multiplier == pytest.approx(0.5 + 0.5)
    assert "Conviction 1.00x" in conviction.describe()
    assert "IV rank: 62.5%" in conviction.describe()


def test_input_helpers() -> None:
    assert trend_strength_pct(5842.0, 5650.0) == pytest.approx(3.3982, abs=1e-4)
    assert trend_strength_pct(95.0, 100.0) == pytest.approx(-5.0)
    assert bb_touch_depth(lowest_low=95.0, middle_band=100.0, band_std=2.0) == 2.5
    assert bb_touch_depth(lowest_low=96.0, middle_band=100.0, band_std=2.0) == 2.0  # on the lower band


_maybe = st.one_of(st.none(), st.just(math.nan), st.floats(-1e6, 1e6))


@given(
    _maybe, _maybe, _maybe, _maybe, st.one_of(st.none(), st.lists(st.booleans(), max_size=25))
)
def test_multiplier_always_within_bounds(
    iv_rank: float | None, ratio: float | None, trend: float | None, depth: float | None,
    wins: list[bool] | None,
) -> None:
    conviction = score_conviction(ConvictionInputs(iv_rank, ratio, trend, depth, wins))
    assert 0.5 <= conviction.multiplier <= 1.5
    for factor in conviction.factors:
        assert factor.score is None or 0.0 <= factor.score <= 1.0
