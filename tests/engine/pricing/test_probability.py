"""Probabilities against closed forms, Monte Carlo (seeded) and the touch >= finish property."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from engine.errors import InputError
from engine.pricing import (
    iron_condor,
    prob_below,
    prob_finish_beyond,
    prob_profit_at_expiry,
    prob_touch,
    vertical,
)


def test_finish_beyond_matches_the_lognormal_closed_form() -> None:
    spot, t, vol, mu = 100.0, 0.25, 0.3, 0.05
    levels = np.array([80.0, 95.0, 105.0, 130.0])
    z = (np.log(levels / spot) - (mu - 0.5 * vol**2) * t) / (vol * np.sqrt(t))
    expected = np.where(levels > spot, norm.sf(z), norm.cdf(z))
    np.testing.assert_allclose(prob_finish_beyond(spot, levels, t, vol, drift=mu), expected,
                               rtol=1e-13)
    np.testing.assert_allclose(prob_below(spot, levels, t, vol, rate=0.07, div_yield=0.02),
                               norm.cdf(z), rtol=1e-13)


def test_touch_is_exactly_twice_finish_when_log_price_has_no_drift() -> None:
    # mu = sigma^2/2 makes ln S a driftless Brownian motion: the reflection principle gives 2x.
    vol, t = 0.25, 0.5
    levels = np.array([70.0, 90.0, 110.0, 150.0])
    touch = prob_touch(100.0, levels, t, vol, drift=0.5 * vol**2)
    finish = prob_finish_beyond(100.0, levels, t, vol, drift=0.5 * vol**2)
    np.testing.assert_allclose(touch, 2 * finish, rtol=1e-12)


def test_touch_is_at_least_finish_beyond() -> None:
    rng = np.random.default_rng(5)
    n = 20_000
    spot = rng.uniform(50, 500, n)
    level = spot * np.exp(rng.uniform(-1, 1, n))
    t, vol, mu = rng.uniform(0.001, 3, n), rng.uniform(0.01, 2, n), rng.uniform(-0.5, 0.5, n)
    touch = prob_touch(spot, level, t, vol, drift=mu)
    finish = prob_finish_beyond(spot, level, t, vol, drift=mu)
    assert np.all(touch >= finish - 1e-15)
    assert np.all((touch >= 0) & (touch <= 1))


def _monte_carlo_touch(level: float, t: float, vol: float, mu: float, paths: int) -> float:
    """Continuous-monitoring touch frequency: discrete steps plus the Brownian-bridge chance
    of crossing between them, so the estimate has no discretisation bias."""
    rng = np.random.default_rng(12345)
    steps = 64
    dt = t / steps
    nu = mu - 0.5 * vol**2
    barrier = np.log(level / 100.0)
    sign = 1.0 if barrier > 0 else -1.0
    x = np.zeros(paths)
    survive = np.ones(paths)
    for _ in range(steps):
        nxt = x + nu * dt + vol * np.sqrt(dt) * rng.standard_normal(paths)
        gap_now, gap_next = sign * (barrier - x), sign * (barrier - nxt)
        crossed = gap_next <= 0
        bridge = np.where(crossed, 1.0, np.exp(-2 * np.maximum(gap_now, 0) * np.maximum(gap_next, 0)
                                                / (vol**2 * dt)))
        survive *= 1.0 - np.where(gap_now <= 0, 1.0, bridge)
        x = nxt
    return float(1.0 - survive.mean())


@pytest.mark.parametrize(("level", "mu"), [(110.0, 0.05), (85.0, 0.05), (120.0, -0.3)])
def test_touch_matches_monte_carlo(level: float, mu: float) -> None:
    t, vol = 0.25, 0.3
    expected = _monte_carlo_touch(level, t, vol, mu, paths=40_000)
    got = float(prob_touch(100.0, level, t, vol, drift=mu))
    assert got == pytest.approx(expected, abs=4 * np.sqrt(got * (1 - got) / 40_000) + 2e-3)


def test_probability_of_profit_matches_monte_carlo() -> None:
    rng = np.random.default_rng(99)
    spot, t, vol, rate = 100.0, 45 / 365, 0.22, 0.04
    terminal = spot * np.exp((rate - 0.5 * vol**2) * t + vol * np.sqrt(t) * rng.standard_normal(400_000))
    for legs, credit in [
        (iron_condor(85.0, 90.0, 110.0, 115.0, t, vol), 1.1),
        (vertical(-1, 95.0, 90.0, t, vol), 0.9),
    ]:
        payoff = np.sum(legs.quantity[0] * np.maximum(legs.right[0] * (terminal[:, None]
                        - legs.strike[0]), 0), axis=1)
        expected = float(np.mean(payoff + credit > 0))
        got = float(prob_profit_at_expiry(legs, credit, spot, t, vol, rate=rate)[0])
        assert got == pytest.approx(expected, abs=4 * np.sqrt(expected * (1 - expected) / 4e5))


def test_probability_of_profit_uses_the_breakevens_exactly() -> None:
    t, vol = 30 / 365, 0.2
    legs = vertical(-1, 100.0, 95.0, t, vol)  # breakeven 98.5 with a 1.5 credit
    got = prob_profit_at_expiry(legs, 1.5, 100.0, t, vol, drift=0.0)[0]
    z = (np.log(98.5 / 100.0) + 0.5 * vol**2 * t) / (vol * np.sqrt(t))
    assert got == pytest.approx(norm.sf(z), rel=1e-12)


def test_bad_inputs() -> None:
    with pytest.raises(InputError, match=r"level=-1\.0 at index 1"):
        prob_touch(100.0, [110.0, -1.0], 0.5, 0.2)
    with pytest.raises(InputError, match="vol"):
        prob_touch(100.0, 110.0, 0.5, -0.2)
