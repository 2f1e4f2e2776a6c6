"""Probabilities under a lognormal (geometric Brownian motion) price model.

The price follows dS = mu S dt + sigma S dW, so ``ln(S_T / S_0) ~ N((mu - sigma^2/2) T,
sigma^2 T)``. The drift ``mu`` defaults to the risk-neutral ``rate - div_yield``; pass ``drift``
for a real-world view (e.g. 0 for "no drift", or an expected return).

* ``prob_profit_at_expiry``: probability that a single-expiry structure's P&L at expiry is > 0,
  summed over the intervals between its exact breakevens.
* ``prob_touch``: probability that the price touches a level at any time before expiry, by the
  exact first-passage (reflection-principle) formula for Brownian motion with drift. For an upper
  level ``B > S`` with ``b = ln(B/S)``, ``nu = mu - sigma^2/2``::

      P = N((-b + nu T) / (sigma sqrt T)) + exp(2 nu b / sigma^2) N((-b - nu T) / (sigma sqrt T))

  (mirrored for a lower level). With no drift this is close to twice the probability of
  finishing beyond the level (the trader's rule of thumb), but not equal to it.
* ``prob_finish_beyond``: probability of being beyond a level at expiry (the first term above).
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from engine.pricing import inputs
from engine.pricing.inputs import FloatArray, Rule
from engine.pricing.special import flog, inline_jit, ncdf, parallel_jit
from engine.pricing.structures import Legs, breakevens
from engine.pricing.threads import serial_when_small

_POSITIVE = inputs.POSITIVE_PRICE
_NON_NEGATIVE_YEARS = Rule(
    "must be >= 0 (years) and finite", lambda v: ~((v >= 0.0) & (v < np.inf))
)


@inline_jit
def _touch_one(spot: float, level: float, t: float, vol: float, drift: float) -> float:
    b = flog(level / spot)
    if b == 0.0:
        return 1.0
    nu = drift - 0.5 * vol * vol
    sd = vol * np.sqrt(t)
    if not sd > 0.0:
        # deterministic path: it reaches the level only by drifting there in time
        return 1.0 if nu * b > 0.0 and abs(nu * t) >= abs(b) else 0.0
    sign = 1.0 if b > 0.0 else -1.0  # mirror a lower level onto an upper one
    finish = ncdf((-sign * b + sign * nu * t) / sd)
    reflected = ncdf((-sign * b - sign * nu * t) / sd)
    # exp(2 nu b / vol^2) may overflow where the CDF underflows: multiply in log space
    bridge = 0.0 if reflected == 0.0 else math.exp(2.0 * nu * b / (vol * vol) + flog(reflected))
    total = finish + bridge
    return total if total < 1.0 else 1.0


@parallel_jit
def _touch_kernel(
    spot: FloatArray, level: FloatArray, t: FloatArray, vol: FloatArray, drift: FloatArray,
    out: FloatArray,
) -> None:
    for i in prange(spot.shape[0]):
        out[i] = _touch_one(spot[i], level[i], t[i], vol[i], drift[i])


@parallel_jit
def _below_kernel(
    spot: FloatArray, level: FloatArray, t: FloatArray, vol: FloatArray, drift: FloatArray,
    out: FloatArray,
) -> None:
    for i in prange(spot.shape[0]):
        sd = vol[i] * np.sqrt(t[i])
        if level[i] <= 0.0:
            out[i] = 0.0
        elif level[i] == np.inf:
            out[i] = 1.0
        elif not sd > 0.0:
            centre = flog(spot[i]) + (drift[i] - 0.5 * vol[i] * vol[i]) * t[i]
            out[i] = 1.0 if flog(level[i]) > centre else 0.0
        else:
            mean = (drift[i] - 0.5 * vol[i] * vol[i]) * t[i]
            out[i] = ncdf((flog(level[i] / spot[i]) - mean) / sd)


def _drift(rate: object, div_yield: object, drift: object | None) -> FloatArray:
    if drift is not None:
        return inputs.as_float(drift)
    return inputs.as_float(rate) - inputs.as_float(div_yield)


def _prepare(
    spot: object, level: object, t: object, vol: object, mu: FloatArray, name: str
) -> tuple[tuple[int, ...], list[FloatArray]]:
    values = [inputs.as_float(v) for v in (spot, level, t, vol)]
    inputs.check(
        [
            ("spot", values[0], _POSITIVE),
            (name, values[1], _POSITIVE),
            ("t", values[2], _NON_NEGATIVE_YEARS),
            ("vol", values[3], inputs.VOL),
            ("drift", mu, inputs.RATE),
        ]
    )
    return inputs.broadcast_values([*values, mu])


@serial_when_small
def prob_touch(
    spot: object, level: object, t: object, vol: object, rate: object = 0.0,
    div_yield: object = 0.0, drift: object | None = None,
) -> FloatArray:
    """Return the probability that the price touches ``level`` before ``t`` years (exact GBM)."""
    shape, flat = _prepare(spot, level, t, vol, _drift(rate, div_yield, drift), "level")
    out = np.empty(flat[0].shape[0])
    s, b, t_, v, mu = flat
    _touch_kernel(s, b, t_, v, mu, out)
    return out.reshape(shape)


@serial_when_small
def prob_below(
    spot: object, level: object, t: object, vol: object, rate: object = 0.0,
    div_yield: object = 0.0, drift: object | None = None,
) -> FloatArray:
    """Return P(S_T < level) under the lognormal model (level may be 0 or inf)."""
    values = [inputs.as_float(v) for v in (spot, level, t, vol)]
    shape, flat = inputs.broadcast_values([*values, _drift(rate, div_yield, drift)])
    out = np.empty(flat[0].shape[0])
    s, b, t_, v, mu = flat
    _below_kernel(s, b, t_, v, mu, out)
    return out.reshape(shape)


@serial_when_small
def prob_finish_beyond(
    spot: object, level: object, t: object, vol: object, rate: object = 0.0,
    div_yield: object = 0.0, drift: object | None = None,
) -> FloatArray:
    """Return the probability of ending beyond ``level`` (above if level > spot, else below)."""
    shape, flat = _prepare(spot, level, t, vol, _drift(rate, div_yield, drift), "level")
    below = prob_below(flat[0], flat[1], flat[2], flat[3], drift=flat[4])
    beyond = np.where(flat[1] > flat[0], 1.0 - below, below)
    return np.where(flat[1] == flat[0], 1.0, beyond).reshape(shape)


@serial_when_small
def prob_profit_at_expiry(
    legs: Legs, credit: object, spot: object, t: object, vol: object, rate: object = 0.0,
    div_yield: object = 0.0, drift: object | None = None,
) -> FloatArray:
    """Return, per structure, the probability that the P&L at expiry is > 0.

    Uses the exact breakevens of the piecewise-linear expiry P&L (single-expiry structures),
    the P&L sign between them, and a lognormal price with volatility ``vol`` (scalar or one per
    structure, e.g. the short strike's IV) and the stated drift.
    """
    edges = breakevens(legs, credit)
    n = edges.shape[0]
    edges = np.where(np.isnan(edges), np.inf, edges)
    lower = np.concatenate([np.zeros((n, 1)), edges], axis=1)
    upper = np.concatenate([edges, np.full((n, 1), np.inf)], axis=1)
    centre = np.broadcast_to(inputs.as_float(spot).reshape(-1, 1), lower.shape)
    # a point inside each interval tells the P&L sign there (it is constant between breakevens)
    open_end = np.where((lower > 0.0) & np.isfinite(lower), 2.0 * lower, centre)
    probe = np.where(np.isfinite(upper), 0.5 * (lower + upper), open_end)
    profitable = _pnl_at_points(legs, probe, credit) > 0.0
    column = [np.reshape(inputs.as_float(v), (-1, 1)) for v in (spot, t, vol)]
    mu = np.reshape(_drift(rate, div_yield, drift), (-1, 1))
    cdf_upper = prob_below(column[0], upper, column[1], column[2], drift=mu)
    cdf_lower = prob_below(column[0], lower, column[1], column[2], drift=mu)
    chance = np.where(profitable & (upper > lower), cdf_upper - cdf_lower, 0.0)
    return np.asarray(np.clip(np.sum(chance, axis=1), 0.0, 1.0))


def _pnl_at_points(legs: Legs, points: np.ndarray, credit: object) -> np.ndarray:
    """Return the expiry P&L of each structure at its own points: (n_structures, n_points)."""
    value = np.maximum(legs.right[:, :, None] * (points[:, None, :] - legs.strike[:, :, None]), 0)
    total = np.sum(legs.quantity[:, :, None] * value, axis=1)
    return np.asarray(total + np.asarray(credit, dtype=np.float64).reshape(-1, 1))
