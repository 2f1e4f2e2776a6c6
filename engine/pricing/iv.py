"""Implied volatility from option prices, vectorised over arrays (BSM and Black-76).

Each option gets a volatility and a reason code (``IVReason``). A volatility is returned for
every price strictly inside the no-arbitrage bounds, as computed from the inputs::

    max(w (S e^{-qT} - K e^{-rT}), 0) < price < S e^{-qT} (call) or K e^{-rT} (put)

(with ``F e^{-rT}`` for ``S e^{-qT}`` under Black-76). Outside them the volatility is NaN and the
reason says why. The solver (``iv_core``) works in normalised Black form and converges to the
last few ulp of the price in 1-4 third-order steps; see that module for the method.

Accuracy: the volatility reproduces the given price to a few ulp of the option's discounted
forward/strike. Where vega is tiny (deep in or out of the money, very short expiry) a price ulp
spans a wide range of volatilities, and the returned one is any of them: that is the limit of the
input, not of the solver.
"""

from __future__ import annotations

import math
from enum import IntEnum

import numpy as np
import numpy.typing as npt
from numba import prange

from engine.pricing import inputs, iv_core
from engine.pricing.inputs import POSITIVE_PRICE, RATE, YEARS_OR_EXPIRED, FloatArray
from engine.pricing.special import inline_jit, parallel_jit
from engine.pricing.threads import serial_when_small

_INF = math.inf

ReasonArray = npt.NDArray[np.int8]


class IVReason(IntEnum):
    """Why an implied volatility is or is not available (stored as int8)."""

    OK = iv_core.OK
    NO_PRICE = iv_core.NO_PRICE  # price missing (NaN) or <= 0
    BELOW_INTRINSIC = iv_core.BELOW_INTRINSIC  # price <= discounted intrinsic value
    ABOVE_UPPER_BOUND = iv_core.ABOVE_UPPER_BOUND  # price >= S e^{-qT} (call) / K e^{-rT} (put)
    EXPIRED = iv_core.EXPIRED  # T <= 0
    NOT_CONVERGED = iv_core.NOT_CONVERGED  # the solver failed; never seen in testing


@inline_jit
def _solve_one(
    call: bool, price: float, fwd_pv: float, strike_pv: float, t: float
) -> tuple[float, int]:
    if not t > 0.0:
        return math.nan, iv_core.EXPIRED
    s, reason = iv_core.implied_total_vol(call, price, fwd_pv, strike_pv)
    return s / np.sqrt(t), reason


@inline_jit
def _valid(s: float, k: float, t: float, r: float, q: float) -> bool:
    positive = (s > 0.0) & (s < _INF) & (k > 0.0) & (k < _INF)
    return positive & (t < _INF) & (abs(r) < _INF) & (abs(q) < _INF)  # NaN t fails t < inf


@parallel_jit
def _bsm_iv_kernel(
    price: FloatArray, right: np.ndarray, s: FloatArray, k: FloatArray, t: FloatArray,
    r: FloatArray, q: FloatArray, iv_out: FloatArray, reason_out: ReasonArray,
) -> int:
    invalid = 0
    for i in prange(s.shape[0]):
        si, ki, ti, ri, qi = s[i], k[i], t[i], r[i], q[i]
        if not _valid(si, ki, ti, ri, qi):
            invalid += 1
            iv_out[i] = math.nan
            reason_out[i] = iv_core.NOT_CONVERGED
            continue
        vol, reason = _solve_one(right[i] > 0, price[i], si * math.exp(-qi * ti), ki * math.exp(-ri * ti), ti)
        iv_out[i] = vol
        reason_out[i] = reason
    return invalid


@parallel_jit
def _bounds_kernel(
    right: np.ndarray, fwd_pv: FloatArray, strike_pv: FloatArray, lower: FloatArray,
    upper: FloatArray,
) -> None:
    for i in prange(fwd_pv.shape[0]):
        call = right[i] > 0
        intrinsic = fwd_pv[i] - strike_pv[i] if call else strike_pv[i] - fwd_pv[i]
        lower[i] = intrinsic if intrinsic > 0.0 else 0.0
        upper[i] = fwd_pv[i] if call else strike_pv[i]


@parallel_jit
def _discounted_kernel(
    s: FloatArray, k: FloatArray, t: FloatArray, r: FloatArray, q: FloatArray,
    fwd_pv: FloatArray, strike_pv: FloatArray,
) -> None:
    for i in prange(s.shape[0]):
        fwd_pv[i] = s[i] * math.exp(-q[i] * t[i])
        strike_pv[i] = k[i] * math.exp(-r[i] * t[i])


@serial_when_small
def price_bounds(
    is_call: object, spot: object, strike: object, t: object, rate: object, div_yield: object
) -> tuple[FloatArray, FloatArray]:
    """Return the (lower, upper) no-arbitrage price bounds ``implied_vol`` uses, bit for bit.

    A price strictly between them always gets a volatility (reason OK).
    """
    values = [inputs.as_float(v) for v in (spot, strike, t, rate, div_yield)]
    shape, rights, flat = inputs.broadcast_flat(inputs.as_rights(is_call), values)
    s, k, t_, r, q = flat
    fwd_pv, strike_pv = np.empty(s.shape[0]), np.empty(s.shape[0])
    _discounted_kernel(s, k, t_, r, q, fwd_pv, strike_pv)
    lower, upper = np.empty(s.shape[0]), np.empty(s.shape[0])
    _bounds_kernel(rights, fwd_pv, strike_pv, lower, upper)
    return lower.reshape(shape), upper.reshape(shape)


def implied_vol_into(
    price: FloatArray,
    is_call: np.ndarray,
    spot: FloatArray,
    strike: FloatArray,
    t: FloatArray,
    rate: FloatArray,
    div_yield: FloatArray,
    iv_out: FloatArray,
    reason_out: ReasonArray,
) -> int:
    """Write BSM implied vols and reasons into preallocated arrays; return invalid-row count.

    Unchecked hot path: 1-D contiguous float64 arrays of one length (rights bool or int8,
    reasons int8); only lengths are checked. Invalid rows (spot/strike not > 0, NaN t, ...) get
    NaN and NOT_CONVERGED.
    """
    args = (price, is_call, spot, strike, t, rate, div_yield, iv_out, reason_out)
    inputs.require_same_length("implied_vol_into", args)
    rights = is_call.view(np.int8) if is_call.dtype == np.bool_ else is_call
    return int(_bsm_iv_kernel(price, rights, spot, strike, t, rate, div_yield, iv_out, reason_out))


def black76_implied_vol_into(
    price: FloatArray,
    is_call: np.ndarray,
    forward: FloatArray,
    strike: FloatArray,
    t: FloatArray,
    rate: FloatArray,
    iv_out: FloatArray,
    reason_out: ReasonArray,
) -> int:
    """Write Black-76 implied vols and reasons into preallocated arrays (see implied_vol_into)."""
    args = (price, is_call, forward, strike, t, rate, iv_out, reason_out)
    inputs.require_same_length("black76_implied_vol_into", args)
    rights = is_call.view(np.int8) if is_call.dtype == np.bool_ else is_call
    # Black-76 is BSM on the forward with q = r: the kernel's S e^{-qT} is then F e^{-rT}
    return int(_bsm_iv_kernel(price, rights, forward, strike, t, rate, rate, iv_out, reason_out))


@serial_when_small
def implied_vol(
    price: object,
    is_call: object,
    spot: object,
    strike: object,
    t: object,
    rate: object,
    div_yield: object,
) -> tuple[FloatArray, ReasonArray]:
    """Return (implied vol, IVReason codes as int8) for BSM options; inputs broadcast.

    Raise InputError for spot or strike not > 0, NaN t, or non-finite rate/yield. A missing,
    zero or out-of-bounds price, or t <= 0, is not an error: it gets NaN and its reason.
    """
    values = [inputs.as_float(v) for v in (price, spot, strike, t, rate, div_yield)]
    shape, rights, flat = inputs.broadcast_flat(inputs.as_rights(is_call), values)
    iv_out = np.empty(rights.shape[0])
    reason_out = np.empty(rights.shape[0], dtype=np.int8)
    p, s, k, t_, r, q = flat
    if _bsm_iv_kernel(p, rights, s, k, t_, r, q, iv_out, reason_out):
        names = ("spot", "strike", "t", "rate", "div_yield")
        rules = (POSITIVE_PRICE, POSITIVE_PRICE, YEARS_OR_EXPIRED, RATE, RATE)
        inputs.raise_invalid(list(zip(names, values[1:], rules, strict=True)), "implied_vol")
    return iv_out.reshape(shape), reason_out.reshape(shape)


@serial_when_small
def black76_implied_vol(
    price: object, is_call: object, forward: object, strike: object, t: object, rate: object
) -> tuple[FloatArray, ReasonArray]:
    """Return (implied vol, IVReason codes) for Black-76 options on forwards; inputs broadcast."""
    values = [inputs.as_float(v) for v in (price, forward, strike, t, rate)]
    shape, rights, flat = inputs.broadcast_flat(inputs.as_rights(is_call), values)
    iv_out = np.empty(rights.shape[0])
    reason_out = np.empty(rights.shape[0], dtype=np.int8)
    p, f, k, t_, r = flat
    if _bsm_iv_kernel(p, rights, f, k, t_, r, r, iv_out, reason_out):
        names = ("forward", "strike", "t", "rate")
        rules = (POSITIVE_PRICE, POSITIVE_PRICE, YEARS_OR_EXPIRED, RATE)
        fields = list(zip(names, values[1:], rules, strict=True))
        inputs.raise_invalid(fields, "black76_implied_vol")
    return iv_out.reshape(shape), reason_out.reshape(shape)
