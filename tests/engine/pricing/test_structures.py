"""Multi-leg structures against hand-computed payoffs, max profit/loss and breakevens."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from engine.errors import InputError
from engine.pricing import (
    Legs,
    breakevens,
    broken_wing_butterfly,
    bsm_greeks,
    calendar,
    calendar_profile,
    expiry_payoff,
    expiry_pnl,
    iron_condor,
    max_loss,
    max_profit,
    net_credit,
    net_greeks,
    pnl_at,
    vertical,
)

T = 30 / 365


def _scipy_price(is_call: bool, s: float, k: float, t: float, r: float, q: float, v: float):  # type: ignore[no-untyped-def]
    d1 = (np.log(s / k) + (r - q + 0.5 * v * v) * t) / (v * np.sqrt(t))
    d2 = d1 - v * np.sqrt(t)
    w = 1.0 if is_call else -1.0
    return w * (s * np.exp(-q * t) * norm.cdf(w * d1) - k * np.exp(-r * t) * norm.cdf(w * d2))


def test_put_credit_spread_by_hand() -> None:
    legs = vertical(-1, short_strike=100.0, long_strike=95.0, t=T, vol=0.2)
    credit = 1.5
    assert max_profit(legs, credit)[0] == pytest.approx(1.5)
    assert max_loss(legs, credit)[0] == pytest.approx(3.5)  # width 5 - credit
    np.testing.assert_allclose(breakevens(legs, credit)[0, :1], [98.5])
    assert np.all(np.isnan(breakevens(legs, credit)[0, 1:]))


def test_iron_condor_by_hand() -> None:
    legs = iron_condor(90.0, 95.0, 105.0, 110.0, T, 0.2)
    credit = 2.0
    assert max_profit(legs, credit)[0] == pytest.approx(2.0)
    assert max_loss(legs, credit)[0] == pytest.approx(3.0)
    np.testing.assert_allclose(breakevens(legs, credit)[0, :2], [93.0, 107.0])


def test_broken_wing_butterfly_by_hand() -> None:
    # long 90 put, short 2 x 100 put, long 105 put: payoff -5 below 90, +5 at 100, 0 above 105
    legs = broken_wing_butterfly(-1, 90.0, 100.0, 105.0, T, 0.2)
    credit = 0.8
    assert max_profit(legs, credit)[0] == pytest.approx(5.8)
    assert max_loss(legs, credit)[0] == pytest.approx(4.2)
    np.testing.assert_allclose(breakevens(legs, credit)[0, :1], [94.2])
    assert np.isnan(breakevens(legs, credit)[0, 1])


def test_unbounded_structures_report_inf() -> None:
    short_call = Legs.build([1], [100.0], [-1.0], [T], [0.2])
    assert max_loss(short_call, 2.0)[0] == np.inf
    assert max_profit(short_call, 2.0)[0] == pytest.approx(2.0)
    np.testing.assert_allclose(breakevens(short_call, 2.0)[0, :1], [102.0])
    long_call = Legs.build([1], [100.0], [1.0], [T], [0.2])
    assert max_profit(long_call, -3.0)[0] == np.inf
    assert max_loss(long_call, -3.0)[0] == pytest.approx(3.0)
    ratio = Legs.build([1, 1], [100.0, 105.0], [1.0, -2.0], [T, T], [0.2, 0.2])  # 1x2 call
    assert max_loss(ratio, 1.0)[0] == np.inf
    np.testing.assert_allclose(breakevens(ratio, 1.0)[0, :1], [111.0])  # 1 + (105-100) - (S-105)


def test_payoff_grid_matches_hand_formula() -> None:
    legs = iron_condor(90.0, 95.0, 105.0, 110.0, T, 0.2)
    grid = np.linspace(50, 150, 1001)
    by_hand = (
        np.maximum(90 - grid, 0) - np.maximum(95 - grid, 0)
        - np.maximum(grid - 105, 0) + np.maximum(grid - 110, 0)
    )
    np.testing.assert_allclose(expiry_payoff(legs, grid)[0], by_hand, atol=1e-12)
    np.testing.assert_allclose(expiry_pnl(legs, grid, 2.0)[0], by_hand + 2.0, atol=1e-12)


def test_batch_of_structures() -> None:
    put_short = np.array([95.0, 96.0, 97.0])
    legs = iron_condor(put_short - 5, put_short, 105.0, 110.0, T, 0.2)
    credits = np.array([2.0, 2.5, 3.0])
    np.testing.assert_allclose(max_profit(legs, credits), credits)
    np.testing.assert_allclose(max_loss(legs, credits), 5.0 - credits)
    np.testing.assert_allclose(breakevens(legs, credits)[:, 0], put_short - credits)
    np.testing.assert_allclose(breakevens(legs, credits)[:, 1], 105.0 + credits)


def test_pnl_at_expiry_equals_the_expiry_payoff() -> None:
    legs = broken_wing_butterfly(-1, 90.0, 100.0, 105.0, T, 0.25)
    grid = np.linspace(70, 130, 301)
    at_expiry = pnl_at(legs, grid, elapsed=T, rate=0.04, div_yield=0.01, credit=0.8)
    np.testing.assert_allclose(at_expiry, expiry_pnl(legs, grid, 0.8), atol=1e-12)


def test_pnl_before_expiry_is_the_model_value_plus_credit() -> None:
    legs = vertical(-1, 100.0, 95.0, T, np.array([0.22, 0.25]))
    elapsed, grid = 10 / 365, np.array([90.0, 100.0, 110.0])
    left = T - elapsed
    expected = [
        -_scipy_price(False, s, 100, left, 0.04, 0.0, 0.22)
        + _scipy_price(False, s, 95, left, 0.04, 0.0, 0.25) + 1.2
        for s in grid
    ]
    np.testing.assert_allclose(pnl_at(legs, grid, elapsed, 0.04, 0.0, 1.2)[0], expected)


def test_net_credit_and_greeks_are_signed_sums_of_legs() -> None:
    legs = iron_condor(90.0, 95.0, 105.0, 110.0, T, np.array([0.28, 0.24, 0.18, 0.17]))
    strikes, vols, rights = [90, 95, 105, 110], [0.28, 0.24, 0.18, 0.17], [0, 0, 1, 1]
    quantity = np.array([1, -1, -1, 1])
    by_leg = [_scipy_price(bool(c), 100, k, T, 0.04, 0.01, v)
              for c, k, v in zip(rights, strikes, vols, strict=True)]
    assert net_credit(legs, 100, 0.04, 0.01)[0] == pytest.approx(-np.dot(quantity, by_leg))
    leg_greeks = bsm_greeks(np.array(rights, dtype=bool), 100, strikes, T, 0.04, 0.01, vols)
    total = net_greeks(legs, 100, 0.04, 0.01)
    for name in ("price", "delta", "gamma", "theta", "vega", "rho"):
        expected = np.dot(quantity, getattr(leg_greeks, name))
        assert getattr(total, name)[0] == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert total.price[0] == pytest.approx(-net_credit(legs, 100, 0.04, 0.01)[0])


def test_calendar_profile_at_front_expiry() -> None:
    legs = calendar(1, 100.0, 30 / 365, 60 / 365, 0.20, 0.22)
    credit = net_credit(legs, 100.0, 0.04, 0.0)  # negative: a calendar costs a debit
    assert credit[0] < 0
    profile = calendar_profile(legs, 100.0, 0.04, 0.0, credit)
    by_hand = [
        _scipy_price(True, s, 100, 30 / 365, 0.04, 0.0, 0.22) - max(s - 100, 0) + credit[0]
        for s in profile.grid[::400]
    ]
    np.testing.assert_allclose(profile.pnl[0, ::400], by_hand, atol=1e-10)
    low, high = profile.breakevens[0]
    assert low < 100 < high
    for edge in (low, high):  # the P&L really is ~0 there
        value = _scipy_price(True, edge, 100, 30 / 365, 0.04, 0, 0.22) - max(edge - 100, 0)
        assert value + credit[0] == pytest.approx(0.0, abs=1e-4)
    assert profile.max_profit[0] > 0
    assert profile.max_loss[0] == pytest.approx(-credit[0], rel=0.05)


def test_single_expiry_functions_reject_calendars() -> None:
    legs = calendar(1, 100.0, 30 / 365, 60 / 365, 0.2, 0.2)
    with pytest.raises(InputError, match="calendar_profile"):
        breakevens(legs, -1.0)


def test_bad_legs_are_rejected_with_their_position() -> None:
    with pytest.raises(InputError, match=r"strike=-5.0 at \(structure, leg\) \(0, 1\)"):
        Legs.build([1, 1], [100.0, -5.0], [1.0, -1.0], [T, T], [0.2, 0.2])
    with pytest.raises(InputError, match="right"):
        Legs.build([2], [100.0], [1.0], [T], [0.2])
