"""IV rank (percentile and min-max), IV/HV and term structure: against slow, obviously-correct references."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine.indicators as ind
from engine.errors import InputError
from engine.indicators._inputs import FloatArray

MARKET_DIRS = (Path(__file__).resolve().parents[2] / "resources" / "market",)
NAN = math.nan


def reference_iv_rank(iv: list[float], lookback: int) -> list[float]:
    """Percent of the previous `lookback` non-missing values strictly below today's (plain Python)."""
    ranks: list[float] = []
    seen: list[float] = []
    for value in iv:
        if math.isnan(value):
            ranks.append(NAN)
            continue
        window = seen[-lookback:]
        below = len([past for past in window if past < value])
        ranks.append(100.0 * below / lookback if len(window) == lookback else NAN)
        seen.append(value)
    return ranks


def reference_min_max_rank(iv: list[float], lookback: int) -> list[float]:
    """Where today sits between the min and max of today and the previous `lookback` values, in %."""
    ranks: list[float] = []
    seen: list[float] = []
    for value in iv:
        if math.isnan(value):
            ranks.append(NAN)
            continue
        window = [*seen[-lookback:], value]
        low, high = min(window), max(window)
        ready = len(window) == lookback + 1 and high > low
        ranks.append(100.0 * (value - low) / (high - low) if ready else NAN)
        seen.append(value)
    return ranks


def read_close(name: str) -> pd.Series:
    """Return a bundled Cboe series' closes indexed by date (missing data is a failure)."""
    for folder in MARKET_DIRS:
        for path in (folder / f"{name}.csv.gz", folder / f"{name}.csv"):
            if path.exists():
                frame = pd.read_csv(path)
                return pd.Series(frame["CLOSE"].to_numpy(np.float64), index=frame["DATE"])
    pytest.fail(f"no {name} history bundled in {MARKET_DIRS}")


@pytest.fixture(scope="module")
def vix() -> FloatArray:
    """VIX closes aligned to SPX trading days from 1990: missing days are NaN."""
    spx, vix = read_close("SPX"), read_close("VIX")
    return np.asarray(vix.reindex(spx.index[spx.index >= "1990-01-01"]), dtype=np.float64)


iv_values = st.one_of(st.just(NAN), st.sampled_from([12.0, 15.5, 20.0]), st.floats(5.0, 90.0))


def test_iv_rank_of_real_vix_matches_the_reference(vix: FloatArray) -> None:
    assert np.isnan(vix).any(), "the aligned VIX series should contain missing days"
    for lookback in (1, 20, 252):
        np.testing.assert_array_equal(ind.iv_rank(vix, lookback), reference_iv_rank(list(vix), lookback))


def test_iv_min_max_rank_of_real_vix_matches_the_reference(vix: FloatArray) -> None:
    for lookback in (1, 20, 252):
        expected = reference_min_max_rank(list(vix), lookback)
        np.testing.assert_array_equal(ind.iv_min_max_rank(vix, lookback), expected)


@settings(max_examples=200, deadline=None)
@given(iv=st.lists(iv_values, max_size=60), lookback=st.integers(1, 8))
def test_iv_ranks_match_the_references_with_missing_days(iv: list[float], lookback: int) -> None:
    np.testing.assert_array_equal(ind.iv_rank(iv, lookback), reference_iv_rank(iv, lookback))
    np.testing.assert_array_equal(ind.iv_min_max_rank(iv, lookback), reference_min_max_rank(iv, lookback))


def test_iv_rank_worked_example() -> None:
    iv = [20.0, NAN, 10.0, 30.0, 20.0, NAN, 5.0, 30.0]
    # Observations 20, 10 | 30 (above both: 100) | 20 vs (10, 30): 50 | 5 vs (30, 20): 0 |
    # 30 vs (20, 5): 100. Missing days are NaN and do not enter the window.
    np.testing.assert_array_equal(ind.iv_rank(iv, 2), [NAN, NAN, NAN, 100.0, 50.0, NAN, 0.0, 100.0])


def test_iv_rank_counts_ties_as_not_below() -> None:
    np.testing.assert_array_equal(ind.iv_rank([15.0, 15.0, 15.0, 15.0], 3), [NAN, NAN, NAN, 0.0])
    np.testing.assert_array_equal(ind.iv_min_max_rank([15.0, 15.0, 15.0, 15.0], 3), [NAN] * 4)


def test_iv_rank_waits_for_lookback_observations_not_bars() -> None:
    iv = [NAN, NAN, 10.0, NAN, 11.0, 12.0]
    assert np.isnan(ind.iv_rank(iv, 3)).all()
    assert ind.iv_rank([*iv, 13.0], 3)[-1] == 100.0
    assert ind.iv_rank_warmup(3) == 3


@pytest.mark.parametrize("state_type", [ind.IvRankState, ind.IvMinMaxRankState])
def test_iv_rank_states_equal_the_vectorised_form(vix: FloatArray, state_type: Any) -> None:
    vectorised = {ind.IvRankState: ind.iv_rank, ind.IvMinMaxRankState: ind.iv_min_max_rank}[state_type]
    expected = vectorised(vix, 252)
    for split in (None, 0, 100, 253, len(vix) - 1):
        state = state_type(252) if split is None else state_type.from_history(vix[:split], 252)
        values = []
        for value in vix[split or 0 :]:
            state, rank = state.update(value)
            values.append(rank)
        np.testing.assert_array_equal(values, expected[split or 0 :])
        assert state.bars == np.count_nonzero(~np.isnan(vix))


def test_iv_rank_state_skips_missing_days_and_reports_readiness() -> None:
    state = ind.IvRankState(2)
    assert state.bars_remaining == 3
    state, _ = state.update(10.0)
    skipped, rank = state.update(NAN)
    assert skipped is state
    assert math.isnan(rank)
    state, _ = state.update(20.0)
    state, rank = state.update(15.0)
    assert (rank, state.ready, state.window) == (50.0, True, (20.0, 15.0))


@pytest.mark.parametrize("bad", [math.inf, -1.0])
def test_iv_rank_rejects_impossible_values(bad: float) -> None:
    with pytest.raises(InputError) as error:
        ind.iv_rank([10.0, bad, 12.0], 2)
    assert (error.value.field, error.value.where) == ("iv", "iv_rank, index 1")
    with pytest.raises(InputError, match="iv"):
        ind.IvRankState(2).update(bad)


def test_term_structure_ratio_is_nan_where_either_side_is_missing() -> None:
    front = np.array([20.0, NAN, 30.0, 18.0])
    back = np.array([22.0, 21.0, NAN, 18.0])
    np.testing.assert_array_equal(ind.term_structure_ratio(front, back), [20.0 / 22.0, NAN, NAN, 1.0])
    expected = [ind.term_structure_ratio_at(f, b) for f, b in zip(front, back, strict=True)]
    np.testing.assert_array_equal(ind.term_structure_ratio(front, back), expected)


def test_term_structure_of_real_vix_over_vix3m() -> None:
    spx, vix, vix3m = read_close("SPX"), read_close("VIX"), read_close("VIX3M")
    days = spx.index[spx.index >= "1990-01-01"]
    front, back = vix.reindex(days).to_numpy(), vix3m.reindex(days).to_numpy()
    ratio = ind.term_structure_ratio(front, back)
    np.testing.assert_array_equal(np.isnan(ratio), np.isnan(front) | np.isnan(back))
    assert np.isnan(ratio[: np.argmax(~np.isnan(back))]).all()
    valid = ~np.isnan(ratio)
    np.testing.assert_array_equal(ratio[valid], front[valid] / back[valid])
    assert 0.8 < np.median(ratio[valid]) < 1.0, "VIX/VIX3M is usually in contango"


@pytest.mark.parametrize("bad", [0.0, -3.0, math.inf])
def test_term_structure_rejects_non_positive_levels(bad: float) -> None:
    with pytest.raises(InputError) as error:
        ind.term_structure_ratio([20.0, 21.0], [22.0, bad])
    assert (error.value.field, error.value.where) == ("back", "term_structure_ratio, index 1")
    with pytest.raises(InputError, match="front"):
        ind.term_structure_ratio_at(bad, 20.0)


def test_iv_hv_ratio_converts_vol_points_and_handles_gaps() -> None:
    iv_pct = np.array([20.0, 30.0, NAN, 15.0, 16.0])
    hv = np.array([0.10, 0.20, 0.15, NAN, 0.0])
    np.testing.assert_array_equal(ind.iv_hv_ratio(iv_pct, hv), [0.2 / 0.1, 0.3 / 0.2, NAN, NAN, NAN])
    expected = [ind.iv_hv_ratio_at(i, h) for i, h in zip(iv_pct, hv, strict=True)]
    np.testing.assert_array_equal(ind.iv_hv_ratio(iv_pct, hv), expected)


@settings(max_examples=100, deadline=None)
@given(
    iv_pct=st.lists(st.one_of(st.just(NAN), st.floats(0.0, 150.0)), min_size=1, max_size=20),
    hv=st.lists(st.one_of(st.just(NAN), st.just(0.0), st.floats(1e-4, 3.0)), min_size=20, max_size=20),
)
def test_iv_hv_ratio_scalar_and_vector_forms_agree(iv_pct: list[float], hv: list[float]) -> None:
    hv = hv[: len(iv_pct)]
    expected = [ind.iv_hv_ratio_at(i, h) for i, h in zip(iv_pct, hv, strict=True)]
    np.testing.assert_array_equal(ind.iv_hv_ratio(iv_pct, hv), expected)


def test_iv_hv_ratio_rejects_mismatched_lengths() -> None:
    with pytest.raises(InputError) as error:
        ind.iv_hv_ratio([20.0, 21.0], [0.1])
    assert (error.value.field, error.value.where) == ("hv", "iv_hv_ratio")
