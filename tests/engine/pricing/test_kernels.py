"""BSM and Black-76 prices and Greeks against closed forms, parity, finite differences, Hull."""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy.stats import norm

from engine.errors import InputError
from engine.pricing import (
    Greeks,
    black76_greeks,
    black76_price,
    bsm_greeks,
    bsm_greeks_into,
    bsm_price,
    bsm_price_into,
    count_invalid,
    empty_greeks,
)

RNG = np.random.default_rng(20240611)
N = 20_000


def _assert_close(got: np.ndarray, expected: np.ndarray, rtol: float, atol: object) -> None:
    """Assert |got - expected| <= rtol |expected| + atol elementwise (atol may be an array)."""
    excess = np.abs(got - expected) - (rtol * np.abs(expected) + np.asarray(atol))
    if excess.size == 0:
        return
    worst = int(np.argmax(excess))
    assert excess[worst] <= 0.0, f"index {worst}: {got[worst]!r} vs {expected[worst]!r}"


def _sample(n: int = N) -> dict[str, np.ndarray]:
    spot = RNG.uniform(50, 5000, n)
    return {
        "is_call": RNG.integers(0, 2, n).astype(bool),
        "spot": spot,
        "strike": spot * np.exp(RNG.uniform(np.log(0.5), np.log(1.5), n)),
        "t": np.exp(RNG.uniform(np.log(1 / 365), np.log(3), n)),
        "rate": RNG.uniform(0, 0.08, n),
        "div_yield": RNG.uniform(0, 0.04, n),
        "vol": RNG.uniform(0.05, 1.5, n),
    }


def _scipy_bsm(p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The textbook formulas, written independently with scipy.stats.norm."""
    s, k, t, r, q, v = (p[name] for name in ("spot", "strike", "t", "rate", "div_yield", "vol"))
    w = np.where(p["is_call"], 1.0, -1.0)
    d1 = (np.log(s / k) + (r - q + 0.5 * v * v) * t) / (v * np.sqrt(t))
    d2 = d1 - v * np.sqrt(t)
    sq, kr = s * np.exp(-q * t), k * np.exp(-r * t)
    return {
        "price": w * (sq * norm.cdf(w * d1) - kr * norm.cdf(w * d2)),
        "delta": w * np.exp(-q * t) * norm.cdf(w * d1),
        "gamma": np.exp(-q * t) * norm.pdf(d1) / (s * v * np.sqrt(t)),
        "theta": (
            -sq * norm.pdf(d1) * v / (2 * np.sqrt(t))
            - w * r * kr * norm.cdf(w * d2)
            + w * q * sq * norm.cdf(w * d1)
        )
        / 365.0,
        "vega": sq * norm.pdf(d1) * np.sqrt(t) / 100.0,
        "rho": w * kr * t * norm.cdf(w * d2) / 100.0,
    }


def test_bsm_matches_scipy_closed_form() -> None:
    p = _sample()
    got = bsm_greeks(**p)
    ref = _scipy_bsm(p)
    for name, expected in ref.items():
        scale = p["spot"] if name in ("price", "theta", "vega", "rho") else 1.0
        np.testing.assert_allclose(
            getattr(got, name), expected, rtol=1e-10, atol=1e-13 * np.max(scale), err_msg=name
        )


def test_put_call_parity() -> None:
    p = _sample()
    call = bsm_price(True, *(p[k] for k in ("spot", "strike", "t", "rate", "div_yield", "vol")))
    put = bsm_price(False, *(p[k] for k in ("spot", "strike", "t", "rate", "div_yield", "vol")))
    forward_pv = p["spot"] * np.exp(-p["div_yield"] * p["t"])
    strike_pv = p["strike"] * np.exp(-p["rate"] * p["t"])
    _assert_close(call - put, forward_pv - strike_pv, 0.0, 1e-12 * p["spot"])


def _price_with(p: dict[str, np.ndarray], **bumped: np.ndarray) -> np.ndarray:
    return bsm_price(**{**p, **bumped})


@pytest.mark.parametrize("is_call", [True, False])
def test_greeks_are_finite_differences_of_price(is_call: bool) -> None:
    p = _sample(2000)
    p["is_call"] = np.full(2000, is_call)
    p["t"] = np.maximum(p["t"], 10 / 365)  # room for the time bump
    g = bsm_greeks(**p)
    s, t, r, v = p["spot"], p["t"], p["rate"], p["vol"]
    # Central differences: truncation ~ h^2, rounding ~ eps * price / h; tolerances cover both.
    hs, ht, hr, hv = 1e-5 * s, 1e-6, 1e-6, 1e-6
    delta = (_price_with(p, spot=s + hs) - _price_with(p, spot=s - hs)) / (2 * hs)
    hg = 1e-3 * s * v * np.sqrt(t)  # a fraction of one standard deviation of the price
    up, down = _price_with(p, spot=s + hg), _price_with(p, spot=s - hg)
    gamma = (up - 2 * g.price + down) / hg**2
    theta = (_price_with(p, t=t - ht) - _price_with(p, t=t + ht)) / (2 * ht) / 365.0
    vega = (_price_with(p, vol=v + hv) - _price_with(p, vol=v - hv)) / (2 * hv) / 100.0
    rho = (_price_with(p, rate=r + hr) - _price_with(p, rate=r - hr)) / (2 * hr) / 100.0
    _assert_close(g.delta, delta, 1e-6, 1e-8)
    rounding = 8 * np.finfo(float).eps * (np.abs(g.price) + s) / hg**2
    _assert_close(g.gamma, gamma, 1e-5, 1e-9 / s + rounding)
    _assert_close(g.theta, theta, 1e-6, 1e-10 * s)
    _assert_close(g.vega, vega, 1e-6, 1e-10 * s)
    _assert_close(g.rho, rho, 1e-6, 1e-10 * s)


def test_black76_equals_bsm_on_the_forward() -> None:
    p = _sample()
    forward = p["spot"] * np.exp((p["rate"] - p["div_yield"]) * p["t"])
    b76 = black76_greeks(p["is_call"], forward, p["strike"], p["t"], p["rate"], p["vol"])
    bsm = bsm_greeks(**p)
    carry = np.exp((p["rate"] - p["div_yield"]) * p["t"])  # dF/dS
    _assert_close(b76.price, bsm.price, 1e-10, 1e-12 * p["spot"])
    _assert_close(b76.delta * carry, bsm.delta, 1e-10, 1e-13)
    _assert_close(b76.gamma * carry**2, bsm.gamma, 1e-9, 1e-15)
    _assert_close(b76.vega, bsm.vega, 1e-10, 1e-12 * p["spot"])


def test_black76_theta_and_rho_hold_the_forward_fixed() -> None:
    f, k, t, r, v = 100.0, 95.0, 0.5, 0.04, 0.3
    g = black76_greeks(True, f, k, t, r, v)
    h = 1e-6
    theta = (black76_price(True, f, k, t - h, r, v) - black76_price(True, f, k, t + h, r, v))
    rho = black76_price(True, f, k, t, r + h, v) - black76_price(True, f, k, t, r - h, v)
    assert float(g.theta) == pytest.approx(float(theta) / (2 * h) / 365, rel=1e-7)
    assert float(g.rho) == pytest.approx(float(rho) / (2 * h) / 100, rel=1e-7)
    assert float(g.rho) == pytest.approx(-t * float(g.price) / 100, rel=1e-12)


def test_hull_textbook_values() -> None:
    # Hull, Options Futures and Other Derivatives: example 15.6 (S=42, K=40, r=10%, 6 months).
    assert float(bsm_price(True, 42, 40, 0.5, 0.10, 0.0, 0.20)) == pytest.approx(4.76, abs=5e-3)
    assert float(bsm_price(False, 42, 40, 0.5, 0.10, 0.0, 0.20)) == pytest.approx(0.81, abs=5e-3)
    # Index option with dividend yield: S=930, K=900, r=8%, q=3%, 2 months -> 51.83.
    index_call = bsm_price(True, 930, 900, 2 / 12, 0.08, 0.03, 0.20)
    assert float(index_call) == pytest.approx(51.83, abs=5e-3)
    # Futures put (Black-76): F=K=20, r=9%, 4 months, vol 25% -> 1.116.
    assert float(black76_price(False, 20, 20, 4 / 12, 0.09, 0.25)) == pytest.approx(1.116, abs=1e-3)
    # Greeks chapter: S=49, K=50, r=5%, 20 weeks, vol 20%: delta .522, gamma .066,
    # theta -4.31/year, vega 12.1 per unit vol, rho 8.91 per unit rate.
    g = bsm_greeks(True, 49, 50, 0.3846, 0.05, 0.0, 0.20)
    assert float(g.price) == pytest.approx(2.40, abs=5e-3)
    assert float(g.delta) == pytest.approx(0.522, abs=5e-4)
    assert float(g.gamma) == pytest.approx(0.066, abs=5e-4)
    assert float(g.theta) * 365 == pytest.approx(-4.31, abs=5e-3)
    assert float(g.vega) * 100 == pytest.approx(12.1, abs=5e-2)
    assert float(g.rho) * 100 == pytest.approx(8.91, abs=5e-3)


def test_zero_vol_is_the_discounted_intrinsic_of_the_forward() -> None:
    g = bsm_greeks([True, False, True], 100.0, [90.0, 90.0, 110.0], 0.5, 0.05, 0.02, 0.0)
    fwd_pv, strike_pv = 100 * np.exp(-0.02 * 0.5), np.array([90, 90, 110]) * np.exp(-0.025)
    np.testing.assert_allclose(g.price, [fwd_pv - strike_pv[0], 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(g.delta, [np.exp(-0.01), 0.0, 0.0], atol=1e-15)
    np.testing.assert_array_equal(g.gamma, 0.0)
    np.testing.assert_array_equal(g.vega, 0.0)


def test_rights_accept_bool_int8_and_plus_minus_one() -> None:
    args = (100.0, [95.0, 105.0], 0.25, 0.03, 0.01, 0.2)
    as_bool = bsm_price(np.array([True, False]), *args)
    as_int8 = bsm_price(np.array([1, 0], dtype=np.int8), *args)
    as_sign = bsm_price(np.array([1, -1]), *args)
    np.testing.assert_array_equal(as_bool, as_int8)
    np.testing.assert_array_equal(as_bool, as_sign)


def test_inputs_broadcast() -> None:
    grid = bsm_greeks(True, np.array([[90.0], [100.0], [110.0]]), [95.0, 100, 105, 110], 0.5,
                      0.03, 0.0, 0.2)
    assert isinstance(grid, Greeks)
    assert grid.delta.shape == (3, 4)
    assert bsm_price(True, 100, 100, 1, 0.0, 0.0, 0.2).shape == ()


@pytest.mark.parametrize(
    ("field", "kwargs", "message"),
    [
        ("spot", {"spot": [100.0, 100.0, -5.0]}, "spot=-5.0 at index 2: must be > 0"),
        ("strike", {"strike": [100.0, 0.0]}, "strike=0.0 at index 1: must be > 0"),
        ("t", {"t": [0.1, 0.2, 0.3, -0.1]}, "t=-0.1 at index 3: must be > 0 (years)"),
        ("t", {"t": 0.0}, "t=0.0: must be > 0 (years)"),
        ("vol", {"vol": [0.2, np.nan]}, "vol=nan at index 1: must be >= 0 and finite"),
        ("rate", {"rate": [[0.0, 0.0], [0.0, np.inf]]}, "rate=inf at index (1, 1): must be"),
    ],
)
def test_bad_inputs_name_field_index_and_value(
    field: str, kwargs: dict[str, object], message: str
) -> None:
    p: dict[str, object] = {"is_call": True, "spot": 100.0, "strike": 100.0, "t": 0.5,
                            "rate": 0.03, "div_yield": 0.0, "vol": 0.2}
    p.update(kwargs)
    with pytest.raises(InputError, match=re.escape(message)) as info:
        bsm_greeks(**p)
    assert info.value.field == field


def test_rights_of_other_dtypes_are_rejected() -> None:
    with pytest.raises(InputError, match="is_call"):
        bsm_price(np.array([0.5]), 100, 100, 1, 0, 0, 0.2)


def test_into_functions_write_preallocated_outputs() -> None:
    for n in (1000, 999, 1, 0):  # even and odd counts: the kernels split the rows in halves
        p = _sample(n)
        out = empty_greeks(n)
        bsm_greeks_into(p["is_call"], p["spot"], p["strike"], p["t"], p["rate"],
                        p["div_yield"], p["vol"], out)
        checked = bsm_greeks(**p)
        for got, expected in zip(out, checked, strict=True):
            np.testing.assert_array_equal(got, expected)
        price = np.empty(n)
        bsm_price_into(p["is_call"], p["spot"], p["strike"], p["t"], p["rate"],
                       p["div_yield"], p["vol"], price)
        # same formula, but LLVM may fuse multiply-adds differently in the two kernels
        _assert_close(price, checked.price, 1e-13, 1e-14 * p["spot"])


def test_count_invalid_and_length_check_of_the_hot_path() -> None:
    p = _sample(1000)
    spot = p["spot"].copy()
    spot[7] = -1.0
    spot[9] = np.nan
    args = (spot, p["strike"], p["t"], p["rate"], p["div_yield"], p["vol"])
    assert count_invalid(*args) == 2
    with pytest.raises(InputError, match="length 1000"):
        bsm_price_into(p["is_call"], *args, np.empty(10))
