"""Black-Scholes-Merton and Black-76 prices and Greeks as numba kernels over arrays.

Conventions (for one option, no contract multiplier):

* BSM: spot S with continuous dividend yield q; Black-76: forward F (futures options).
* ``delta`` = dV/dS (BSM) or dV/dF (Black-76); ``gamma`` its derivative.
* ``theta`` = -dV/dT per calendar day (annual theta / 365).
* ``vega`` = dV/dsigma per vol point (dV/dsigma / 100).
* ``rho`` = dV/dr per percentage point of rate (/ 100); for Black-76 with F held fixed, so it is
  ``-T * price / 100``.
* Rights: True / 1 / +1 = call, False / 0 / -1 = put.

``bsm_greeks`` and friends check and broadcast their inputs and raise ``InputError``; the
``*_into`` functions are the unchecked hot path: contiguous 1-D float64 arrays of one length
(rights bool or int8), results written into preallocated arrays, nothing allocated, no input
check (``count_invalid`` is a cheap separate one).

The normal CDF comes from ``special.ncdf_pdf``: an upper-tail Mills-ratio form with the same
tail accuracy as ``math.erfc``, but vectorisable (see that module for why).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from numba import prange

from engine.pricing import inputs
from engine.pricing.inputs import POSITIVE_PRICE, POSITIVE_YEARS, RATE, VOL, FloatArray
from engine.pricing.special import (
    fexp,
    flog,
    inline_jit,
    ncdf_given_pdf,
    ncdf_pdf,
    parallel_jit,
)
from engine.pricing.threads import serial_when_small

_INF = math.inf
_TINY = 1e-300
_PER_DAY = 1.0 / 365.0
_PER_POINT = 0.01


class Greeks(NamedTuple):
    """Price and Greeks of each option, arrays of the broadcast input shape (units: module doc)."""

    price: FloatArray
    delta: FloatArray
    gamma: FloatArray
    theta: FloatArray
    vega: FloatArray
    rho: FloatArray


@inline_jit
def _black_terms(
    w: float, fwd_pv: float, strike_pv: float, v: float, scale: float
) -> tuple[float, float, float, float, float, float]:
    """Return (price, N(w d1), N(w d2), n(d1), 1/v, 1/(scale v)) for total vol v.

    ``scale`` is the spot (BSM) or forward (Black-76) that gamma divides by: one division
    serves 1/v and 1/(scale v). A zero total vol stands in as 1e-300, so d1 = +-inf and the
    limits come out right.
    """
    moneyness = fwd_pv / strike_pv
    safe_v = v if v > 0.0 else _TINY
    inv_scaled_v = 1.0 / (scale * safe_v)
    inv_v = scale * inv_scaled_v
    d1 = flog(moneyness) * inv_v + 0.5 * v
    cdf1, pdf1 = ncdf_pdf(w * d1)
    # n(d2) = n(d1) F / K exactly, which saves an exponential per option
    cdf2 = ncdf_given_pdf(w * (d1 - v), pdf1 * moneyness)
    return w * (fwd_pv * cdf1 - strike_pv * cdf2), cdf1, cdf2, pdf1, inv_v, inv_scaled_v


@inline_jit
def bsm_one(
    w: float, s: float, k: float, t: float, r: float, q: float, vol: float
) -> tuple[float, float, float, float, float, float]:
    """Return (price, delta, gamma, theta/day, vega/point, rho/point) of one BSM option."""
    sqrt_t = np.sqrt(t)
    v = vol * sqrt_t
    carry = fexp(-q * t)
    discount = fexp(-r * t)
    fwd_pv = s * carry
    strike_pv = k * discount
    price, cdf1, cdf2, pdf1, inv_v, inv_sv = _black_terms(w, fwd_pv, strike_pv, v, s)
    vega_pv = fwd_pv * pdf1
    held = strike_pv * cdf2
    # vol / sqrt(t) = vol^2 / v: no division of its own
    theta = -0.5 * vega_pv * vol * vol * inv_v - w * (r * held - q * fwd_pv * cdf1)
    return (
        price,
        w * carry * cdf1,
        carry * pdf1 * inv_sv,
        theta * _PER_DAY,
        vega_pv * sqrt_t * _PER_POINT,
        w * held * t * _PER_POINT,
    )


@inline_jit
def bsm_price_one(w: float, s: float, k: float, t: float, r: float, q: float, vol: float) -> float:
    """Return the price of one BSM option."""
    v = vol * np.sqrt(t)
    return _black_terms(w, s * fexp(-q * t), k * fexp(-r * t), v, 1.0)[0]


@inline_jit
def _valid(s: float, k: float, t: float, r: float, q: float, vol: float) -> bool:
    """Return True when one row is inside the model's domain (finite, S, K, T > 0, vol >= 0)."""
    # x * 0 is 0 for finite x and NaN for inf/NaN, so the sum is 0 exactly when all are finite;
    # with bitwise & this stays branch-free and vectorises.
    finite = s * 0.0 + k * 0.0 + t * 0.0 + r * 0.0 + q * 0.0 + vol * 0.0 == 0.0
    return finite & (s > 0.0) & (k > 0.0) & (t > 0.0) & (vol >= 0.0)


@parallel_jit
def _count_invalid(
    s: FloatArray, k: FloatArray, t: FloatArray, r: FloatArray, q: FloatArray, vol: FloatArray
) -> int:
    """Return how many rows are outside the model's domain (a vectorised pass over inputs)."""
    invalid = 0
    for i in prange(s.shape[0]):
        invalid += 0 if _valid(s[i], k[i], t[i], r[i], q[i], vol[i]) else 1
    return invalid


# The Greeks kernels take each array as two halves and price one option from each half per
# iteration: two independent dependency chains per loop step let the out-of-order core overlap
# them (one chain per step is latency-bound; this is ~15% faster). Separate views rather than
# offsets into one array keep the halves provably disjoint, so the loop still vectorises. The
# input check is a separate pass for the same reason: folded into this loop it costs more.


@parallel_jit
def _bsm_greeks_kernel(
    right: np.ndarray, s: FloatArray, k: FloatArray, t: FloatArray, r: FloatArray,
    q: FloatArray, vol: FloatArray, price: FloatArray, delta: FloatArray, gamma: FloatArray,
    theta: FloatArray, vega: FloatArray, rho: FloatArray,
    right2: np.ndarray, s2: FloatArray, k2: FloatArray, t2: FloatArray, r2: FloatArray,
    q2: FloatArray, vol2: FloatArray, price2: FloatArray, delta2: FloatArray, gamma2: FloatArray,
    theta2: FloatArray, vega2: FloatArray, rho2: FloatArray,
) -> None:
    for i in prange(s.shape[0]):
        first = bsm_one(1.0 if right[i] > 0 else -1.0, s[i], k[i], t[i], r[i], q[i], vol[i])
        second = bsm_one(
            1.0 if right2[i] > 0 else -1.0, s2[i], k2[i], t2[i], r2[i], q2[i], vol2[i]
        )
        price[i], delta[i], gamma[i], theta[i], vega[i], rho[i] = first
        price2[i], delta2[i], gamma2[i], theta2[i], vega2[i], rho2[i] = second
    if s2.shape[0] > s.shape[0]:  # odd count: the second half has one more
        j = s2.shape[0] - 1
        w = 1.0 if right2[j] > 0 else -1.0
        price2[j], delta2[j], gamma2[j], theta2[j], vega2[j], rho2[j] = bsm_one(
            w, s2[j], k2[j], t2[j], r2[j], q2[j], vol2[j]
        )


@parallel_jit
def _bsm_price_kernel(
    right: np.ndarray, s: FloatArray, k: FloatArray, t: FloatArray, r: FloatArray,
    q: FloatArray, vol: FloatArray, price: FloatArray,
) -> None:
    for i in prange(s.shape[0]):
        w = 1.0 if right[i] > 0 else -1.0
        price[i] = bsm_price_one(w, s[i], k[i], t[i], r[i], q[i], vol[i])


def _in_halves(kernel: Callable[..., None], *arrays: np.ndarray) -> None:
    """Run a paired kernel on the first and second halves of the arrays (views, no copies)."""
    half = arrays[0].shape[0] // 2
    kernel(*(a[:half] for a in arrays), *(a[half:] for a in arrays))


def _as_int8(is_call: np.ndarray) -> np.ndarray:
    return is_call.view(np.int8) if is_call.dtype == np.bool_ else is_call


# ---------------------------------------------------------------- unchecked hot-path entry points


def bsm_greeks_into(
    is_call: np.ndarray,
    spot: FloatArray,
    strike: FloatArray,
    t: FloatArray,
    rate: FloatArray,
    div_yield: FloatArray,
    vol: FloatArray,
    out: Greeks,
) -> None:
    """Write BSM price and Greeks into ``out``'s arrays (unchecked hot path).

    Every array must be 1-D, C-contiguous, of one length; floats float64, rights bool or int8.
    Only the lengths are checked; rows with invalid inputs get meaningless numbers (use
    ``count_invalid`` or the checked ``bsm_greeks`` if the inputs are not known to be good).
    """
    args = (is_call, spot, strike, t, rate, div_yield, vol, *out)
    inputs.require_same_length("bsm_greeks_into", args)
    _in_halves(_bsm_greeks_kernel, _as_int8(is_call), spot, strike, t, rate, div_yield, vol, *out)


def bsm_price_into(
    is_call: np.ndarray,
    spot: FloatArray,
    strike: FloatArray,
    t: FloatArray,
    rate: FloatArray,
    div_yield: FloatArray,
    vol: FloatArray,
    price: FloatArray,
) -> None:
    """Write BSM prices into ``price`` (unchecked hot path, see ``bsm_greeks_into``)."""
    args = (is_call, spot, strike, t, rate, div_yield, vol, price)
    inputs.require_same_length("bsm_price_into", args)
    _bsm_price_kernel(_as_int8(is_call), spot, strike, t, rate, div_yield, vol, price)


def black76_greeks_into(
    is_call: np.ndarray,
    forward: FloatArray,
    strike: FloatArray,
    t: FloatArray,
    rate: FloatArray,
    vol: FloatArray,
    out: Greeks,
) -> None:
    """Write Black-76 price and Greeks into ``out``'s arrays (unchecked hot path)."""
    args = (is_call, forward, strike, t, rate, vol, *out)
    inputs.require_same_length("black76_greeks_into", args)
    # Black-76 is BSM on the forward with q = r (then S e^{-qT} = F e^{-rT}); price, delta (dV/dF),
    # gamma, vega and theta agree term by term. Only rho differs: with F held fixed it is -T V.
    _in_halves(_bsm_greeks_kernel, _as_int8(is_call), forward, strike, t, rate, rate, vol, *out)
    np.multiply(t, out.price, out=out.rho)
    np.multiply(out.rho, -_PER_POINT, out=out.rho)


def black76_price_into(
    is_call: np.ndarray,
    forward: FloatArray,
    strike: FloatArray,
    t: FloatArray,
    rate: FloatArray,
    vol: FloatArray,
    price: FloatArray,
) -> None:
    """Write Black-76 prices into ``price`` (unchecked hot path; BSM with S = F, q = r)."""
    args = (is_call, forward, strike, t, rate, vol, price)
    inputs.require_same_length("black76_price_into", args)
    _bsm_price_kernel(_as_int8(is_call), forward, strike, t, rate, rate, vol, price)


def count_invalid(
    spot: FloatArray, strike: FloatArray, t: FloatArray, rate: FloatArray,
    div_yield: FloatArray, vol: FloatArray,
) -> int:
    """Return how many rows are outside the BSM domain (for Black-76 pass the rate twice).

    One parallel pass over 1-D float64 arrays of one length: the cheap check for callers of
    the ``*_into`` functions.
    """
    inputs.require_same_length("count_invalid", (spot, strike, t, rate, div_yield, vol))
    return int(_count_invalid(spot, strike, t, rate, div_yield, vol))


def empty_greeks(n: int) -> Greeks:
    """Return uninitialised output arrays for ``n`` options (for the ``*_into`` functions)."""
    return Greeks(*(np.empty(n) for _ in Greeks._fields))


# ------------------------------------------------------------------------------ checked wrappers


def _bsm_fields(values: list[FloatArray]) -> list[tuple[str, FloatArray, inputs.Rule]]:
    names = ("spot", "strike", "t", "rate", "div_yield", "vol")
    rules = (POSITIVE_PRICE, POSITIVE_PRICE, POSITIVE_YEARS, RATE, RATE, VOL)
    return list(zip(names, values, rules, strict=True))


def _b76_fields(values: list[FloatArray]) -> list[tuple[str, FloatArray, inputs.Rule]]:
    names = ("forward", "strike", "t", "rate", "vol")
    rules = (POSITIVE_PRICE, POSITIVE_PRICE, POSITIVE_YEARS, RATE, VOL)
    return list(zip(names, values, rules, strict=True))


def _prepare_bsm(
    where: str, is_call: object, values: list[FloatArray]
) -> tuple[tuple[int, ...], np.ndarray, list[FloatArray]]:
    """Broadcast and check BSM inputs (spot, strike, t, rate, div_yield, vol) before pricing."""
    shape, rights, flat = inputs.broadcast_flat(inputs.as_rights(is_call), values)
    if _count_invalid(*flat):
        inputs.raise_invalid(_bsm_fields(values), where)
    return shape, rights, flat


def _prepare_b76(
    where: str, is_call: object, values: list[FloatArray]
) -> tuple[tuple[int, ...], np.ndarray, list[FloatArray]]:
    """Broadcast and check Black-76 inputs (forward, strike, t, rate, vol) before pricing."""
    shape, rights, flat = inputs.broadcast_flat(inputs.as_rights(is_call), values)
    f, k, t, r, v = flat
    if _count_invalid(f, k, t, r, r, v):
        inputs.raise_invalid(_b76_fields(values), where)
    return shape, rights, flat


@serial_when_small
def bsm_greeks(
    is_call: object,
    spot: object,
    strike: object,
    t: object,
    rate: object,
    div_yield: object,
    vol: object,
) -> Greeks:
    """Return BSM price and Greeks; inputs broadcast together (units in the module docstring).

    Raise InputError naming the first bad argument, its index and value when spot or strike is
    not > 0, t not > 0, vol not >= 0, or anything is not finite.
    """
    values = [inputs.as_float(v) for v in (spot, strike, t, rate, div_yield, vol)]
    shape, rights, flat = _prepare_bsm("bsm_greeks", is_call, values)
    out = empty_greeks(rights.shape[0])
    _in_halves(_bsm_greeks_kernel, rights, *flat, *out)
    return Greeks(*(a.reshape(shape) for a in out))


@serial_when_small
def bsm_price(
    is_call: object,
    spot: object,
    strike: object,
    t: object,
    rate: object,
    div_yield: object,
    vol: object,
) -> FloatArray:
    """Return BSM prices; inputs broadcast together, checked as in ``bsm_greeks``."""
    values = [inputs.as_float(v) for v in (spot, strike, t, rate, div_yield, vol)]
    shape, rights, flat = _prepare_bsm("bsm_price", is_call, values)
    s, k, t_, r, q, v = flat
    price = np.empty(rights.shape[0])
    _bsm_price_kernel(rights, s, k, t_, r, q, v, price)
    return price.reshape(shape)


@serial_when_small
def black76_greeks(
    is_call: object, forward: object, strike: object, t: object, rate: object, vol: object
) -> Greeks:
    """Return Black-76 price and Greeks on forwards (delta = dV/dF; units in module docstring)."""
    values = [inputs.as_float(v) for v in (forward, strike, t, rate, vol)]
    shape, rights, flat = _prepare_b76("black76_greeks", is_call, values)
    f, k, t_, r, v = flat
    out = empty_greeks(rights.shape[0])
    black76_greeks_into(rights, f, k, t_, r, v, out)
    return Greeks(*(a.reshape(shape) for a in out))


@serial_when_small
def black76_price(
    is_call: object, forward: object, strike: object, t: object, rate: object, vol: object
) -> FloatArray:
    """Return Black-76 prices on forwards; inputs broadcast together and checked."""
    values = [inputs.as_float(v) for v in (forward, strike, t, rate, vol)]
    shape, rights, flat = _prepare_b76("black76_price", is_call, values)
    f, k, t_, r, v = flat
    price = np.empty(rights.shape[0])
    black76_price_into(rights, f, k, t_, r, v, price)
    return price.reshape(shape)
