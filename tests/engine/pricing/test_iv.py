"""Implied volatility: round trips over wide ranges, every reason code, input errors.

Tolerances are stated in price precision: a price is known to a few ulp of the option's
discounted forward and strike (``PRICE_TOL``), so where vega is tiny a whole range of vols
reproduces it. The vol itself is checked tightly where ``PRICE_TOL / vega`` is small.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine.errors import InputError
from engine.pricing import (
    IVReason,
    black76_implied_vol,
    black76_price,
    bsm_greeks,
    bsm_price,
    implied_vol,
    implied_vol_into,
    price_bounds,
)

EPS = float(np.finfo(float).eps)
SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

spots = st.floats(1.0, 10_000.0)
log_moneyness = st.floats(-4.0, 4.0)  # K/S from 0.018 to 55: very deep ITM and OTM
years = st.floats(1e-4, 5.0)
vols = st.floats(1e-3, 5.0)
rates = st.floats(-0.01, 0.12)
yields = st.floats(0.0, 0.06)


def _price_tol(spot: float, strike: float, t: float, rate: float, div_yield: float) -> float:
    """A price is reproducible to a few ulp of its discounted forward and strike."""
    return 64 * EPS * (spot * np.exp(-div_yield * t) + strike * np.exp(-rate * t))


@SETTINGS
@given(st.booleans(), spots, log_moneyness, years, vols, rates, yields)
def test_price_to_vol_to_price_round_trip(
    is_call: bool, spot: float, log_k: float, t: float, vol: float, rate: float, q: float
) -> None:
    strike = spot * np.exp(log_k)
    greeks = bsm_greeks(is_call, spot, strike, t, rate, q, vol)
    price = float(greeks.price)
    lower, upper = (float(b) for b in price_bounds(is_call, spot, strike, t, rate, q))
    iv, reason = implied_vol(price, is_call, spot, strike, t, rate, q)
    if not lower < price < upper:
        assert int(reason) in (IVReason.NO_PRICE, IVReason.BELOW_INTRINSIC,
                               IVReason.ABOVE_UPPER_BOUND)
        assert np.isnan(iv)
        return
    assert int(reason) == IVReason.OK
    tol = _price_tol(spot, strike, t, rate, q)
    repriced = float(bsm_price(is_call, spot, strike, t, rate, q, float(iv)))
    assert abs(repriced - price) <= tol
    vega = float(greeks.vega) * 100.0  # dV/dsigma
    if vega > 0.0 and tol / vega < 1e-6:  # the price pins the vol down: check it tightly
        assert abs(float(iv) - vol) <= 2 * tol / vega + 1e-13 * vol


@SETTINGS
@given(
    st.booleans(), spots, log_moneyness, years, rates, yields,
    st.one_of(st.floats(1e-9, 1 - 1e-9), st.integers(1, 300).map(lambda k: 10.0**-k)),
    st.booleans(),
)
def test_every_price_strictly_inside_the_bounds_converges(
    is_call: bool, spot: float, log_k: float, t: float, rate: float, q: float,
    fraction: float, from_top: bool,
) -> None:
    strike = spot * np.exp(log_k)
    lower, upper = (float(b) for b in price_bounds(is_call, spot, strike, t, rate, q))
    step = fraction * (upper - lower)
    price = upper - step if from_top else lower + step
    assume(lower < price < upper and price > 0.0)
    iv, reason = implied_vol(price, is_call, spot, strike, t, rate, q)
    assert int(reason) == IVReason.OK
    assert float(iv) > 0.0
    repriced = float(bsm_price(is_call, spot, strike, t, rate, q, float(iv)))
    assert abs(repriced - price) <= _price_tol(spot, strike, t, rate, q)


def test_bulk_benchmark_like_sample_all_converge_and_recover_the_vol() -> None:
    rng = np.random.default_rng(3)
    n = 200_000
    spot = rng.uniform(50, 5000, n)
    strike = spot * np.exp(rng.uniform(np.log(0.5), np.log(1.5), n))
    t = np.exp(rng.uniform(np.log(1 / 365), np.log(3), n))
    rate, q = rng.uniform(0, 0.08, n), rng.uniform(0, 0.04, n)
    vol = rng.uniform(0.05, 1.5, n)
    is_call = rng.integers(0, 2, n).astype(bool)
    greeks = bsm_greeks(is_call, spot, strike, t, rate, q, vol)
    lower, upper = price_bounds(is_call, spot, strike, t, rate, q)
    inside = (greeks.price > lower) & (greeks.price < upper)
    iv, reason = implied_vol(greeks.price, is_call, spot, strike, t, rate, q)
    assert np.all(reason[inside] == IVReason.OK)
    assert not np.any(reason == IVReason.NOT_CONVERGED)
    tol = 64 * EPS * (spot * np.exp(-q * t) + strike * np.exp(-rate * t))
    with np.errstate(divide="ignore", over="ignore"):
        resolvable = inside & (tol / (greeks.vega * 100.0) < 1e-10)
    assert np.max(np.abs(iv - vol)[resolvable]) < 1e-9


def test_every_reason_code() -> None:
    base = {"is_call": True, "spot": 100.0, "strike": 90.0, "rate": 0.05, "div_yield": 0.0}
    prices = np.array([5.0, np.nan, 0.0, -1.0, 10.0, 100.0, 150.0, 15.0])
    t = np.array([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.0])
    iv, reason = implied_vol(prices, t=t, **base)
    intrinsic = 100.0 - 90.0 * np.exp(-0.05 * 0.5)
    expected = [
        IVReason.BELOW_INTRINSIC,  # 5 < discounted intrinsic 12.2
        IVReason.NO_PRICE,
        IVReason.NO_PRICE,
        IVReason.NO_PRICE,
        IVReason.BELOW_INTRINSIC,  # 10 < 12.2
        IVReason.ABOVE_UPPER_BOUND,  # = S e^{-qT}
        IVReason.ABOVE_UPPER_BOUND,
        IVReason.EXPIRED,
    ]
    assert reason.tolist() == [int(code) for code in expected]
    assert np.all(np.isnan(iv))
    ok_iv, ok_reason = implied_vol(intrinsic + 2.0, **base, t=0.5)
    assert int(ok_reason) == IVReason.OK
    assert 0 < float(ok_iv) < 1
    assert IVReason.NOT_CONVERGED == 5  # exists for completeness; the tests above never see it


def test_near_expiry_and_extreme_vols() -> None:
    t = np.array([1e-4, 1e-4, 2e-4, 5.0, 5.0])
    vol = np.array([0.001, 5.0, 0.5, 0.001, 5.0])
    strike = np.array([100.0, 130.0, 100.5, 100.0 * np.exp(0.05), 1000.0])  # 4th: at the forward
    price = bsm_price(True, 100.0, strike, t, 0.01, 0.0, vol)
    iv, reason = implied_vol(price, True, 100.0, strike, t, 0.01, 0.0)
    assert reason.tolist() == [IVReason.OK] * 5
    np.testing.assert_allclose(iv, vol, rtol=1e-9)


def test_black76_round_trip() -> None:
    rng = np.random.default_rng(11)
    n = 5000
    forward = rng.uniform(10, 5000, n)
    strike = forward * np.exp(rng.uniform(-1, 1, n))
    t, rate, vol = rng.uniform(0.01, 3, n), rng.uniform(0, 0.08, n), rng.uniform(0.05, 2, n)
    is_call = rng.integers(0, 2, n).astype(bool)
    price = black76_price(is_call, forward, strike, t, rate, vol)
    iv, reason = black76_implied_vol(price, is_call, forward, strike, t, rate)
    assert np.all((reason == IVReason.OK) | (reason == IVReason.BELOW_INTRINSIC))
    ok = reason == IVReason.OK
    repriced = black76_price(is_call, forward, strike, t, rate, np.where(ok, iv, 0.1))
    tol = 64 * EPS * (forward + strike)
    assert np.all(np.abs(repriced - price)[ok] <= tol[ok])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"spot": [100.0, -5.0]}, "spot=-5.0 at index 1: must be > 0"),
        ({"strike": [100.0, 100.0, -1.0]}, "strike=-1.0 at index 2: must be > 0"),
        ({"t": [0.5, np.nan]}, "t=nan at index 1: must be a finite number of years"),
        ({"rate": np.nan}, "rate=nan: must be finite"),
    ],
)
def test_bad_inputs_raise_input_error(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"is_call": True, "spot": 100.0, "strike": 100.0, "t": 0.5,
                               "rate": 0.03, "div_yield": 0.0}
    args.update(kwargs)
    with pytest.raises(InputError, match=re.escape(message)):
        implied_vol(5.0, **args)


def test_into_variant_matches_and_counts_invalid_rows() -> None:
    price = np.array([5.0, 5.0, 5.0])
    spot = np.array([100.0, -1.0, 100.0])
    ones = np.ones(3)
    iv, reason = np.empty(3), np.empty(3, dtype=np.int8)
    invalid = implied_vol_into(price, np.ones(3, dtype=bool), spot, ones * 100, ones * 0.5,
                               ones * 0.03, ones * 0.0, iv, reason)
    assert invalid == 1
    assert iv[0] == pytest.approx(float(implied_vol(5.0, True, 100, 100, 0.5, 0.03, 0.0)[0]))
    assert np.isnan(iv[1])
