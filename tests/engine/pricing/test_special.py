"""The vectorisable special functions against numpy/scipy (independent implementations)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special as sc

from engine.pricing.special import fexp, flog, mills, ncdf_pdf

_FUNCTIONS = (fexp, flog, mills, ncdf_pdf)


def _run(which: int, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Apply one special function elementwise (scalar calls of the jitted function).

    The vectorised form of the same code is what the pricing kernels run; the kernel tests
    check it against scipy there.
    """
    function = _FUNCTIONS[which]
    if which < 3:
        out = np.array([function(float(v)) for v in x])
        return out, out
    pairs = np.array([function(float(v)) for v in x]).reshape(-1, 2)
    return pairs[:, 0], pairs[:, 1]


def _ulps(got: np.ndarray, ref: np.ndarray) -> float:
    return float(np.max(np.abs(got - ref) / np.spacing(np.abs(ref))))


RNG = np.random.default_rng(7)


def test_exp_within_two_ulp_of_numpy() -> None:
    x = np.concatenate([RNG.uniform(-700, 700, 20_000), RNG.uniform(-1, 1, 20_000)])
    assert _ulps(_run(0, x)[0], np.exp(x)) <= 2


def test_exp_subnormal_overflow_and_specials() -> None:
    x = np.array([-740.0, -745.0, -746.0, 709.7, 710.0, np.inf, -np.inf, np.nan, 0.0])
    got = _run(0, x)[0]
    with np.errstate(over="ignore"):
        ref = np.exp(x)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    finite = np.isfinite(ref) & (ref > 1e-300)
    np.testing.assert_allclose(got[finite], ref[finite], rtol=4e-16)
    assert got[1] == pytest.approx(ref[1], rel=1e-3)  # subnormal: fewer bits by nature
    assert got[2] == 0.0
    assert got[4] == np.inf
    assert got[5] == np.inf
    assert got[6] == 0.0


def test_log_within_two_ulp_of_numpy() -> None:
    x = np.concatenate(
        [
            np.exp(RNG.uniform(-700, 700, 20_000)),
            RNG.uniform(0.5, 2.0, 20_000),
            1.0 + RNG.uniform(-1e-9, 1e-9, 2000),
            [5e-324, 1e-310, 2.2250738585072014e-308],
        ]
    )
    assert _ulps(_run(1, x)[0], np.log(x)) <= 2


def test_log_specials() -> None:
    got = _run(1, np.array([0.0, -1.0, np.inf, np.nan, 1.0]))[0]
    assert got[0] == -np.inf
    assert np.isnan(got[1])
    assert got[2] == np.inf
    assert np.isnan(got[3])
    assert got[4] == 0.0


def test_mills_ratio_matches_scipy_erfcx() -> None:
    z = np.concatenate([RNG.uniform(0, 40, 20_000), np.exp(RNG.uniform(-20, 20, 20_000))])
    ref = np.sqrt(np.pi / 2) * sc.erfcx(z / np.sqrt(2))
    np.testing.assert_allclose(_run(2, z)[0], ref, rtol=2e-15)
    special = _run(2, np.array([0.0, np.inf, np.nan]))[0]
    assert special[0] == pytest.approx(np.sqrt(np.pi / 2), rel=1e-15)
    assert special[1] == 0.0
    assert np.isnan(special[2])


def _lower_tail_reference(y: np.ndarray) -> np.ndarray:
    """N(y) for y <= 0 as exp(-y^2/2) (80-bit) times the Mills ratio from scipy's erfcx.

    scipy's ndtr itself loses ~y^2 ulp in the far tail (it rounds y / sqrt 2 inside erfc).
    """
    gauss = np.exp(-0.5 * np.longdouble(y) ** 2) / np.sqrt(np.longdouble(2.0) * np.pi)
    ratio = np.sqrt(np.pi / 2) * sc.erfcx(-y / np.sqrt(2))
    return np.asarray(gauss * ratio, dtype=np.float64)


def test_normal_cdf_is_accurate_deep_in_the_lower_tail() -> None:
    y = np.concatenate([RNG.uniform(-38, 0, 40_000), [-37.5, -30.0, -20.0, -10.0]])
    cdf, pdf = _run(3, y)
    # relative to the value, plus a few units of the smallest subnormal (5e-324)
    np.testing.assert_allclose(cdf, _lower_tail_reference(y), rtol=3e-15, atol=2e-323)
    exact_pdf = np.exp(-0.5 * np.longdouble(y) ** 2) / np.sqrt(np.longdouble(2.0) * np.pi)
    np.testing.assert_allclose(pdf, exact_pdf.astype(np.float64), rtol=2e-15, atol=2e-323)
    assert cdf[-4] > 0.0  # 1 - N(37.5) would be 0; the upper-tail form keeps ~4.6e-308
    upper = RNG.uniform(0, 9, 10_000)
    np.testing.assert_allclose(_run(3, upper)[0], sc.ndtr(upper), rtol=1e-15)


def test_normal_cdf_specials() -> None:
    cdf, pdf = _run(3, np.array([np.nan, np.inf, -np.inf, 0.0]))
    assert np.isnan(cdf[0])
    assert cdf[1] == 1.0
    assert cdf[2] == 0.0
    assert cdf[3] == pytest.approx(0.5, rel=3e-16)
    assert pdf[1] == 0.0
    assert pdf[2] == 0.0
